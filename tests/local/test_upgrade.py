"""Upgrading the legacy ``{"version": 1, "sources": {...}}`` file: automatic, non-destructive, said once."""

from __future__ import annotations

import json
from pathlib import Path

import filelock
import pytest

from jolli.local.document import parse_json
from jolli.local.upgrade import is_legacy, migrate


def write_legacy(root: Path, text: str) -> Path:
    path = root / ".jolli" / "sources.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path, make_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "project")
    monkeypatch.chdir(root)
    return root


def legacy_text(root: Path) -> str:
    return json.dumps({
        "version": 1,
        "sources": {
            "backend": {"type": "git", "path": str(root), "sourceId": 12},
            "notes": {"type": "git", "path": str(root / "notes")},
        },
    }, indent=2)


def test_first_use_upgrades_keeps_a_backup_and_says_so_once(cli, project):
    original = legacy_text(project)
    path = write_legacy(project, original)

    first = cli.invoke(["source", "list", "--json"])

    assert first.exit_code == 0, first
    assert "upgraded" in first.stderr and "1 mount(s), 1 virtual source(s)" in first.stderr
    backup = path.with_name("sources.json.legacy-backup")
    assert backup.read_text() == original
    assert f"kept at {backup}" in first.stderr
    assert json.loads(path.read_text()) == {
        "version": 1,
        "mounts": {"12": {"mountPath": str(project), "type": "git", "name": "backend"}},
        "virtualSources": {"notes": {"mountPath": str(project / "notes"), "type": "git"}},
    }
    rows = {row["name"]: row for row in first.json()}
    assert rows["backend"]["kind"] == "mounted" and rows["backend"]["sourceId"] == 12
    assert rows["notes"]["kind"] == "virtual"

    second = cli.invoke(["source", "list", "--json"])
    assert second.exit_code == 0
    assert "upgraded" not in second.stderr
    assert second.json() == first.json()
    assert sorted(p.name for p in path.parent.iterdir() if "backup" in p.name) == ["sources.json.legacy-backup"]


def test_a_writing_command_upgrades_too_and_keeps_the_migrated_entries(cli, project, make_repo, tmp_path):
    write_legacy(project, legacy_text(project))
    other = make_repo(tmp_path / "web", remote="https://github.com/acme/web.git")

    result = cli.invoke(["source", "add", "web", "--mount", str(other)])

    assert result.exit_code == 0, result
    assert result.stderr.count("upgraded") == 1
    data = json.loads((project / ".jolli" / "sources.json").read_text())
    assert set(data["virtualSources"]) == {"notes", "web"} and set(data["mounts"]) == {"12"}


def test_invalid_entries_are_reported_not_dropped_silently(cli, project):
    original = json.dumps({
        "version": 1,
        "sources": {
            "good": {"type": "git", "path": str(project)},
            "relative": {"type": "git", "path": "src/app"},
            "badid": {"type": "git", "path": str(project), "sourceId": "twelve"},
            "nopath": {"type": "git"},
            "bad name!": {"type": "git", "path": str(project)},
            "scalar": "oops",
        },
    })
    path = write_legacy(project, original)

    result = cli.invoke(["source", "list", "--json"])

    assert result.exit_code == 0, result
    for name, why in [("relative", "'path' must be absolute"), ("badid", "'sourceId' must be a positive integer"),
                      ("nopath", "'path' is missing"), ("bad name!", "the name must be"),
                      ("scalar", "expected an object")]:
        assert f"not migrated: {name}: {why}" in result.stderr, name
    assert "kept in the backup" in result.stderr
    assert [row["name"] for row in result.json()] == ["good"]
    assert path.with_name("sources.json.legacy-backup").read_text() == original


def test_colliding_entries_keep_the_true_source_and_say_how_to_resolve(cli, project):
    # "backend" appears twice (a true and a virtual entry); two names point at server source 7
    original = (
        '{"version": 1, "sources": {'
        f'"backend": {{"type": "git", "path": "{project}/a"}}, '
        f'"backend": {{"type": "git", "path": "{project}/b", "sourceId": 3}}, '
        f'"api": {{"type": "git", "path": "{project}/c", "sourceId": 7}}, '
        f'"api-old": {{"type": "git", "path": "{project}/d", "sourceId": 7}}'
        "}}"
    )
    path = write_legacy(project, original)

    result = cli.invoke(["source", "list", "--json"])

    assert result.exit_code == 0, result
    data = json.loads(path.read_text())
    assert data["mounts"]["3"]["name"] == "backend" and data["mounts"]["7"]["name"] == "api"
    assert data["virtualSources"] == {}
    assert "name collision: backend (entry 1 of 2 with this name): the name 'backend' is already taken by the " \
           "mount of server source 3" in result.stderr
    assert f"jolli source add <new-name> --mount {project}/a" in result.stderr
    assert "name collision: api-old: points at server source 7 like 'api'" in result.stderr
    assert f"'jolli source add api-old --mount {project}/d'" in result.stderr
    assert path.with_name("sources.json.legacy-backup").read_text() == original


def test_a_legacy_file_that_cannot_be_upgraded_is_reported_and_left_alone(cli, project):
    original = '{"version": 1, "sources": ["not", "a", "map"]}'
    path = write_legacy(project, original)

    result = cli.invoke(["source", "list"])

    assert result.exit_code == 2
    assert f"{path}: legacy file cannot be upgraded: 'sources' must be an object" in result.stderr
    assert path.read_text() == original
    assert not path.with_name("sources.json.legacy-backup").exists()


def test_while_another_process_holds_the_lock_the_upgrade_is_used_but_saved_later(cli, project, monkeypatch):
    original = legacy_text(project)
    path = write_legacy(project, original)
    monkeypatch.setenv("JOLLI_LOCK_TIMEOUT", "0.2")

    with filelock.FileLock(str(path) + ".lock"):
        held = cli.invoke(["source", "list", "--json"])

    assert held.exit_code == 0, held
    assert "could not be saved" in held.stderr
    assert {row["name"] for row in held.json()} == {"backend", "notes"}
    assert path.read_text() == original

    later = cli.invoke(["source", "list", "--json"])
    assert "upgraded" in later.stderr
    assert "mounts" in json.loads(path.read_text())


def test_a_second_upgrade_does_not_overwrite_an_earlier_backup(cli, project):
    path = write_legacy(project, legacy_text(project))
    cli.invoke(["source", "list"])
    path.write_text(legacy_text(project).replace("12", "13"))  # someone restored an old copy

    result = cli.invoke(["source", "list"])

    assert "sources.json.legacy-backup.1" in result.stderr
    assert '"sourceId": 12' in path.with_name("sources.json.legacy-backup").read_text()
    assert '"sourceId": 13' in path.with_name("sources.json.legacy-backup.1").read_text()


# --- the conversion itself ---------------------------------------------------------------------------------
def test_detects_only_the_legacy_shape():
    assert is_legacy({"version": 1, "sources": {}})
    assert not is_legacy({"version": 1, "mounts": {}, "virtualSources": {}})
    assert not is_legacy({"version": 1, "sources": {}, "mounts": {}})
    assert not is_legacy(["sources"])


def test_converts_ids_given_as_strings_and_repos_in_url_form():
    done = migrate(parse_json(json.dumps({"version": 1, "sources": {
        "a": {"path": "/w/a", "sourceId": "5", "repo": "https://github.com/Acme/A.git", "branch": "dev"},
        "b": {"path": "/w/b", "sourceId": True},
        "c": {"path": "/w/c", "owner": "me"},
    }})))

    mount = done.config.mounts["5"]
    assert (mount.repo, mount.branch, mount.name, mount.type) == ("github.com/Acme/A", "dev", "a", "git")
    assert done.invalid == ["b: 'sourceId' must be a positive integer, got True; not migrated (kept in the backup)"]
    assert done.notes == ["c: ignored unknown field(s) owner (kept in the backup)"]
    assert (done.mounts, done.virtual) == (1, 1)


def test_reports_a_repo_that_is_not_a_coordinate():
    done = migrate(parse_json('{"sources": {"x": {"path": "/w/x", "repo": "acme/x"}}}'))

    assert done.config.virtual_sources == {}
    assert len(done.invalid) == 1 and done.invalid[0].startswith("x: repo 'acme/x'")
