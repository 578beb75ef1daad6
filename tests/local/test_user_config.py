"""The user config of ``jolli login``: where it is, who can read it, which server and token commands use."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from jolli.errors import InvalidInput
from jolli.local.user_config import (
    config_path,
    load_user_config,
    loose_permissions,
    normalize_server_url,
    resolve_server,
    save_login,
)


def test_lives_in_jolli_config_dir(tmp_path: Path):
    assert config_path() == tmp_path / "jolli-config" / "config.json"


def test_defaults_to_the_xdg_config_home(monkeypatch, tmp_path):
    monkeypatch.delenv("JOLLI_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "jolli" / "config.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "jolli" / "config.json"


def test_saved_login_is_readable_only_by_the_user():
    path = save_login("https://jolli.example.com", "jt_secret")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not loose_permissions(path)
    path.chmod(0o644)
    assert loose_permissions(path)


def test_the_saved_server_and_token_are_used():
    save_login("https://jolli.example.com", "jt_secret")

    settings = resolve_server()

    assert (settings.url, settings.token) == ("https://jolli.example.com", "jt_secret")
    assert "jt_secret" not in repr(settings)


def test_no_server_anywhere_means_none():
    assert resolve_server() is None


def test_flag_beats_environment_beats_saved_default(monkeypatch):
    save_login("https://saved.example.com", "jt_saved")
    monkeypatch.setenv("JOLLI_URL", "https://env.example.com/")

    assert resolve_server().url == "https://env.example.com"
    assert resolve_server("http://127.0.0.1:9000").url == "http://127.0.0.1:9000"


def test_a_token_is_never_sent_to_another_server(monkeypatch):
    save_login("https://saved.example.com", "jt_saved")

    assert resolve_server("https://other.example.com").token is None
    assert resolve_server("https://saved.example.com/").token == "jt_saved"
    monkeypatch.setenv("JOLLI_TOKEN", "jt_env")
    assert resolve_server("https://other.example.com").token == "jt_env"


def test_logins_to_several_servers_are_kept_apart():
    save_login("https://a.example.com", "jt_a")
    save_login("https://b.example.com", "jt_b")

    config = load_user_config()

    assert config.server == "https://b.example.com"
    assert config.tokens == {"https://a.example.com": "jt_a", "https://b.example.com": "jt_b"}


@pytest.mark.parametrize(
    ("url", "problem"),
    [("jolli.example.com", "must look like https://"), ("ftp://x.example.com", "must look like https://"),
     ("https://me:pw@jolli.example.com", "must not carry credentials")],
)
def test_server_urls_are_checked(url, problem):
    with pytest.raises(InvalidInput, match=problem) as caught:
        normalize_server_url(url)
    assert "pw" not in str(caught.value)


def test_a_broken_user_config_is_reported_with_its_path():
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")

    with pytest.raises(InvalidInput, match="config.json: is not valid JSON"):
        resolve_server()
