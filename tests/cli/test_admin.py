"""``jolli org`` and ``jolli token`` through the real CLI, on both stores."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jolli.cli.main import cli


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--database-url", db_url]).exit_code == 0

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), env={"JOLLI_DATABASE_URL": db_url})

    return invoke


def test_org_create_and_list(run) -> None:  # type: ignore[no-untyped-def]
    created = run("org", "create", "acme")
    assert created.exit_code == 0 and "created org acme" in created.output
    assert json.loads(run("org", "create", "globex", "--json").output)["name"] == "globex"
    assert [o["name"] for o in json.loads(run("org", "list", "--json").output)] == ["acme", "globex"]
    again = run("org", "create", "acme")
    assert again.exit_code == 2 and "already exists" in again.output
    assert run("org", "create", "bad name").exit_code == 2


def test_token_create_prints_the_token_once_on_stdout(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from jolli.store.admin import find_token
    from jolli.store.db import open_database

    run("org", "create", "acme")
    result = run("token", "create", "--org", "acme", "--name", "laptop")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("jolli_") and "\n" not in token
    assert "shown only now" in result.stderr and token not in result.stderr
    open_database(db_url)
    assert find_token(token).org.name == "acme"
    listing = run("token", "list", "--org", "acme", "--json").output
    assert token not in listing and json.loads(listing)[0]["name"] == "laptop"
    table = run("token", "list").output
    assert token not in table and "laptop" in table


def test_token_create_json(run) -> None:  # type: ignore[no-untyped-def]
    run("org", "create", "acme")
    body = json.loads(run("token", "create", "--org", "acme", "--json").stdout)
    assert body["token"].startswith(body["prefix"]) and body["org"] == "acme"


def test_token_for_unknown_org_exits_2(run) -> None:  # type: ignore[no-untyped-def]
    result = run("token", "create", "--org", "ghost")
    assert result.exit_code == 2 and "jolli org create ghost" in result.output


def test_token_revoke(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from jolli.store.admin import find_token
    from jolli.store.db import open_database

    run("org", "create", "acme")
    token = run("token", "create", "--org", "acme").stdout.strip()
    token_id = json.loads(run("token", "list", "--json").output)[0]["id"]
    result = run("token", "revoke", str(token_id))
    assert result.exit_code == 0 and "revoked" in result.output and token not in result.output
    open_database(db_url)
    assert find_token(token) is None
    assert run("token", "revoke", "9999").exit_code == 2


def test_admin_commands_ask_for_an_upgrade_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = "sqlite:///" + str(tmp_path / "fresh.db")
    result = CliRunner().invoke(cli, ["org", "create", "acme", "--database-url", url])
    assert result.exit_code == 2 and "jolli db upgrade" in result.output
