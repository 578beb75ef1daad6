"""``jolli source sync NAME`` against a real ``jolli serve``: the cursor read from the mount (git's branch
head, a file folder's digest) becomes an event, validated by the server like any cursor."""
# ruff: noqa: F811 - the fixtures imported from served.py are redefined as test parameters by design

from __future__ import annotations

import pytest
from served import Org, git, jolli_serve, logged_in, make_repo, org  # noqa: F401 - fixtures

from jolli.testing.helpers import CliRunner


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_sync_reports_the_branch_head_of_a_git_mount_and_then_says_unchanged(cli, tmp_path, monkeypatch,
                                                                           logged_in: Org):
    workspace = make_repo(tmp_path / "backend")
    monkeypatch.chdir(workspace)
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    head = git(workspace, "rev-parse", "HEAD")

    first = cli.invoke(["source", "sync", "backend"])
    assert first.exit_code == 0, first
    assert f"backend: new head {head} (read from the mount): event" in first.stdout
    (workspace / "b.md").write_text("more\n")
    git(workspace, "add", "b.md")
    git(workspace, "commit", "-q", "-m", "second")
    second = cli.invoke(["source", "sync", "backend", "--json"]).json()
    assert (second["result"], second["head"], second["reported"]) == ("changed", git(workspace, "rev-parse", "HEAD"),
                                                                      True)
    status, event = logged_in.api("GET", f"/api/events/{second['eventId']}")
    assert status == 200 and (event["origin"], event["beforeSha"]) == ("manual", None)
    again = cli.invoke(["source", "sync", "backend"])
    assert again.exit_code == 0 and "unchanged at" in again.stdout
    listed = cli.invoke(["events", "list", "--origin", "manual"])
    header, *rows = listed.stdout.splitlines()
    assert "ORIGIN" in header.split() and len(rows) == 2 and all("manual" in row.split() for row in rows)


def test_sync_of_a_file_folder_reports_a_digest_that_ignores_git_and_jolli(cli, tmp_path, monkeypatch,
                                                                          logged_in: Org):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("one")
    monkeypatch.chdir(notes)
    added = cli.invoke(["source", "add", "notes", "--mount", str(notes), "--type", "file"])
    assert added.exit_code == 0, added

    first = cli.invoke(["source", "sync", "notes", "--json"]).json()
    assert first["result"] == "changed" and first["head"].startswith("sha256:")
    (notes / ".jolli" / "extra").write_text("jolli's own state")
    assert cli.invoke(["source", "sync", "notes", "--json"]).json()["result"] == "unchanged"
    (notes / "a.md").write_text("two")
    third = cli.invoke(["source", "sync", "notes", "--json"]).json()
    assert third["result"] == "changed" and third["head"] != first["head"]


def test_sync_of_an_unknown_or_virtual_source_exits_2(cli, tmp_path, monkeypatch, logged_in: Org):
    monkeypatch.chdir(tmp_path)
    unknown = cli.invoke(["source", "sync", "nope"])
    assert unknown.exit_code == 2 and "no source named 'nope'" in unknown.stderr


def test_sync_of_a_virtual_source_says_to_link_it_first(cli, tmp_path, monkeypatch):
    workspace = make_repo(tmp_path / "backend")
    monkeypatch.chdir(workspace)
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    virtual = cli.invoke(["source", "sync", "backend"])
    assert virtual.exit_code == 2 and "jolli source link backend" in virtual.stderr
