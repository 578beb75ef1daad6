"""``jolli login`` against a real ``jolli serve``: the token is checked, saved for the user only, never printed."""
# ruff: noqa: F811 - the fixtures imported from served.py are redefined as test parameters by design

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from served import Org, base_env, free_port, jolli_serve, org, run_jolli  # noqa: F401 - fixtures

from jolli.testing.helpers import CliRunner


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def saved(tmp_path: Path) -> Path:
    return tmp_path / "jolli-config" / "config.json"


def test_login_checks_the_token_and_saves_it_for_the_user_only(cli, org: Org, tmp_path):
    result = cli.invoke(["login", "--server", org.server.url + "/", "--token", org.token])

    assert result.exit_code == 0, result
    assert f"logged in to {org.server.url} (token checked)" in result.stdout
    assert org.token not in result.stdout + result.stderr
    path = saved(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"version": 1, "server": org.server.url,
                                            "tokens": {org.server.url: org.token}}


def test_later_commands_use_the_saved_login(cli, org: Org, tmp_path, monkeypatch):
    assert cli.invoke(["login", "--server", org.server.url, "--token", org.token]).exit_code == 0
    org.integration()

    result = cli.invoke(["integration", "list", "--json"])

    assert result.exit_code == 0, result
    assert [i["owner"] for i in result.json()] == ["acme"]


def test_a_wrong_token_exits_1_and_saves_nothing(cli, org: Org, tmp_path):
    result = cli.invoke(["login", "--server", org.server.url, "--token", "jt_wrong_token_value"])

    assert result.exit_code == 1
    assert "refused the token" in result.stderr
    assert "jt_wrong_token_value" not in result.stderr
    assert not saved(tmp_path).exists()


def test_an_unreachable_server_exits_1_unless_told_not_to_verify(cli, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"

    refused = cli.invoke(["login", "--server", url, "--token", "jt_x"])
    assert refused.exit_code == 1 and "cannot reach the jolli server" in refused.stderr
    assert not saved(tmp_path).exists()

    forced = cli.invoke(["login", "--server", url, "--token", "jt_x", "--no-verify"])
    assert forced.exit_code == 0
    assert json.loads(saved(tmp_path).read_text())["server"] == url


def test_the_token_can_be_typed_hidden_or_come_from_the_environment(cli, org: Org, tmp_path):
    typed = cli.invoke(["login", "--server", org.server.url], input=org.token + "\n")
    assert typed.exit_code == 0, typed
    assert org.token not in typed.stdout + typed.stderr

    saved(tmp_path).unlink()
    from_env = cli.invoke(["login"], env={"JOLLI_URL": org.server.url, "JOLLI_TOKEN": org.token})
    assert from_env.exit_code == 0, from_env
    assert json.loads(saved(tmp_path).read_text())["tokens"] == {org.server.url: org.token}


def test_a_bad_server_url_exits_2(cli):
    result = cli.invoke(["login", "--server", "jolli.example.com", "--token", "jt_x"])

    assert result.exit_code == 2
    assert "must look like https://" in result.stderr


def test_the_saved_token_is_not_sent_to_another_server(cli, org: Org):
    assert cli.invoke(["login", "--server", org.server.url, "--token", org.token]).exit_code == 0
    same_server_other_name = org.server.url.replace("127.0.0.1", "localhost")

    result = cli.invoke(["integration", "list", "--server", same_server_other_name])

    assert result.exit_code == 1
    assert "refused the token" in result.stderr and "jolli login" in result.stderr


def test_a_config_readable_by_others_is_warned_about(cli, org: Org, tmp_path):
    assert cli.invoke(["login", "--server", org.server.url, "--token", org.token]).exit_code == 0
    saved(tmp_path).chmod(0o644)

    result = cli.invoke(["integration", "list"])

    assert result.exit_code == 0
    assert "can be read by other users" in result.stderr and "chmod 600" in result.stderr


def test_login_without_a_token_or_a_terminal_says_how_to_give_one(org: Org, tmp_path):
    env = base_env(tmp_path / "sub")
    done = run_jolli(["login", "--server", org.server.url], env, check=False, input="")  # stdin: no terminal
    assert done.returncode == 2 and "Aborted" not in done.stderr and "GetPassWarning" not in done.stderr
    assert "no token: pass --token TOKEN, set JOLLI_TOKEN, or pipe it in" in done.stderr
    piped = run_jolli(["login", "--server", org.server.url], env, check=False, input=org.token + "\n")
    assert piped.returncode == 0 and "(token checked)" in piped.stdout


def test_login_end_to_end_in_a_subprocess(org: Org, tmp_path):
    env = base_env(tmp_path / "sub")

    result = run_jolli(["login", "--server", org.server.url, "--token", org.token], env)

    assert org.token not in result.stdout + result.stderr
    assert stat.S_IMODE((tmp_path / "sub" / "config" / "config.json").stat().st_mode) == 0o600
    listed = run_jolli(["integration", "list", "--json"], env)
    assert json.loads(listed.stdout) == []
