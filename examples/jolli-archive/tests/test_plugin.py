"""The installed plugin as jolli sees it, through the fixtures jolli ships (``jolli_*``).

Run these with the plugin installed (``pip install -e ".[test]"``): they check the entry point too.
"""

from __future__ import annotations

import hashlib

import jolli
import pytest
import responses
from archive_files import make_zip
from jolli.testing.helpers import PluginRefused

import jolli_archive.plugin
from jolli_archive.source_type import ArchiveSourceType

URL = "https://downloads.example.com/docs.zip"
V1 = make_zip({"a.md": b"1", "b.md": b"2"})
V2 = make_zip({"a.md": b"1", "b.md": b"3", "c.md": b"new"})


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_entry_point_contributes_the_archive_type(jolli_plugins) -> None:
    assert jolli_plugins.source_types.owner("archive") == "archive"
    [plugin] = [p for p in jolli_plugins.describe()["plugins"] if p["name"] == "archive"]
    assert plugin["distribution"] == "jolli-archive"
    assert plugin["sourceTypes"] == ["archive"]
    assert plugin["hooks"] == ["jolli_register_commands", "jolli_register_source_types"]


def test_another_plugin_cannot_take_the_archive_name(jolli_register_plugin) -> None:
    class Impostor:
        @jolli.hookimpl
        def jolli_register_source_types(self, registry) -> None:
            registry.add(ArchiveSourceType())

    with pytest.raises(PluginRefused, match="'archive' is contributed by two plugins"):
        jolli_register_plugin(Impostor(), "impostor")


def test_the_module_alone_registers_cleanly(jolli_register_plugin, jolli_plugins, monkeypatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "")
    jolli_register_plugin(jolli_archive.plugin, "archive-dev")
    assert jolli_plugins.source_types.names() == ["archive"]


@responses.activate
def test_check_prints_the_cursor(jolli_cli_runner) -> None:
    responses.add(responses.GET, URL, body=V1, headers={"ETag": '"v1"'})
    result = jolli_cli_runner.invoke(["archive", "check", URL])
    assert result.exit_code == 0, result
    assert f"cursor   {digest(V1)}" in result.stdout
    assert '"v1"' in result.stdout and "2 files" in result.stdout


@responses.activate
def test_check_since_lists_changed_files_as_json(jolli_cli_runner) -> None:
    responses.add(responses.GET, URL, body=V1)
    assert jolli_cli_runner.invoke(["archive", "check", URL]).exit_code == 0
    responses.replace(responses.GET, URL, body=V2)
    result = jolli_cli_runner.invoke(["archive", "check", URL, "--since", digest(V1), "--json"])
    assert result.exit_code == 0, result
    assert result.json() | {"etag": None} == {
        "url": URL, "cursor": digest(V2), "etag": None, "size": len(V2), "members": 3,
        "changed": True, "files": ["b.md", "c.md"],
    }


@responses.activate
def test_check_since_the_same_version_says_unchanged(jolli_cli_runner) -> None:
    responses.add(responses.GET, URL, body=V1)
    result = jolli_cli_runner.invoke(["archive", "check", URL, "--since", digest(V1), "--json"])
    assert (result.json()["changed"], result.json()["files"]) == (False, None)


@pytest.mark.parametrize("url", ["http://example.com/a.zip", "https://u:p@example.com/a.zip"])
def test_check_rejects_a_bad_url_with_exit_2(jolli_cli_runner, url: str) -> None:
    result = jolli_cli_runner.invoke(["archive", "check", url])
    assert result.exit_code == 2
    assert "url:" in result.stderr and ":p@" not in result.stderr


@responses.activate
def test_check_reports_a_failed_download_with_exit_1(jolli_cli_runner) -> None:
    responses.add(responses.GET, URL, status=503)
    result = jolli_cli_runner.invoke(["archive", "check", URL])
    assert result.exit_code == 1
    assert "HTTP 503" in result.stderr


@responses.activate
def test_check_head_reads_the_etag_without_downloading(jolli_cli_runner) -> None:
    responses.add(responses.HEAD, URL, headers={"ETag": '"v7"', "Content-Length": "1234"})
    result = jolli_cli_runner.invoke(["archive", "check", URL, "--head", "--json"])
    assert result.exit_code == 0, result
    assert (result.json()["etag"], result.json()["size"]) == ('"v7"', 1234)
    assert [c.request.method for c in responses.calls] == ["HEAD"]
