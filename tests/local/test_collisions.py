"""A virtual source may not shadow a true source's name: detected in the file, shown with how to resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jolli.local.collisions import against_server, in_file
from jolli.local.records import Config, Entry


@pytest.fixture
def project(tmp_path: Path, make_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "project")
    monkeypatch.chdir(root)
    path = root / ".jolli" / "sources.json"
    path.parent.mkdir()
    path.write_text(json.dumps({
        "version": 1,
        "mounts": {"4": {"mountPath": str(root), "type": "git", "repo": "github.com/acme/backend", "name": "backend"}},
        "virtualSources": {"backend": {"mountPath": str(root / "old"), "type": "git"}},
    }))
    return root


def test_list_shows_the_collision_and_how_to_resolve_it(cli, project):
    result = cli.invoke(["source", "list", "--json"])

    assert result.exit_code == 0
    virtual = next(row for row in result.json() if row["kind"] == "virtual")
    (collision,) = virtual["collisions"]
    assert collision["where"] == "file"
    assert "'backend' is both a virtual source and the mount of server source 4" in virtual["status"]
    assert "jolli source remove backend --virtual" in collision["resolve"]
    shown = cli.invoke(["source", "show", "backend"])
    assert "to resolve: remove the virtual one" in shown.stdout


def test_remove_asks_which_one_then_removes_the_virtual_one(cli, project):
    ambiguous = cli.invoke(["source", "remove", "backend"])
    assert ambiguous.exit_code == 2
    assert "pass --virtual" in ambiguous.stderr

    result = cli.invoke(["source", "remove", "backend", "--virtual"])

    assert result.exit_code == 0, result
    data = json.loads((project / ".jolli" / "sources.json").read_text())
    assert data["virtualSources"] == {} and data["mounts"]["4"]["name"] == "backend"
    assert cli.invoke(["source", "list", "--json"]).json()[0]["collisions"] == []


def test_add_refuses_a_name_a_mount_already_has(cli, project):
    assert cli.invoke(["source", "remove", "backend", "--virtual"]).exit_code == 0

    result = cli.invoke(["source", "add", "backend", "--mount", str(project), "--virtual"])

    assert result.exit_code == 2
    assert "'backend' is already mounted here (server source 4)" in result.stderr


def test_server_collisions_suggest_link_for_the_same_repo_and_a_new_name_otherwise():
    config = Config(virtual_sources={
        "same": Entry(mount_path="/w/same", repo="github.com/acme/same"),
        "other": Entry(mount_path="/w/other", repo="github.com/acme/other"),
        "free": Entry(mount_path="/w/free"),
    })
    server = [{"id": 1, "name": "same", "repo": "github.com/Acme/Same"},
              {"id": 2, "name": "other", "repo": "github.com/elsewhere/other"}]

    found = {c.name: c for c in against_server(config, server)}

    assert set(found) == {"same", "other"}
    assert "jolli source link same" in found["same"].resolve
    assert "pick another name" in found["other"].resolve and "/w/other" in found["other"].resolve
    assert in_file(config) == []


def test_completion_offers_local_source_names(project):
    import os
    import subprocess
    import sys

    env = {"COMP_WORDS": "jolli source show ba", "COMP_CWORD": "3", "_JOLLI_COMPLETE": "bash_complete"}
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jolli")], env={**os.environ, **env},
                            cwd=project, capture_output=True, text=True, timeout=60)

    assert "plain,backend" in result.stdout.splitlines()
