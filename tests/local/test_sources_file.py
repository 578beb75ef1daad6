"""``.jolli/sources.json`` on disk: corrupt files reported and untouched, atomic writes, concurrent writers."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import pytest

from jolli.local.records import ConfigNotWritable, Entry, LocalConfigError
from jolli.local.sources_file import SourcesFile

JOLLI = os.path.join(os.path.dirname(sys.executable), "jolli")


@pytest.fixture
def project(tmp_path: Path, make_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "project")
    monkeypatch.chdir(root)
    return root


CORRUPT = [
    ("", "is empty"),
    ('{"version": 1, "mounts": {', "is not valid JSON: Expecting property name enclosed in double quotes at line 1"),
    ("[1, 2]", "expected a JSON object, found list"),
    ('{"version": 7, "mounts": {}}', "version 7 was written by a newer jolli"),
    ('{"version": 1, "mounts": {}, "virtualSources": {"a": {"mountPath": "/x"}, "a": {"mountPath": "/y"}}}',
     "duplicate keys"),
    ('{"version": 1, "mounts": {"abc": {"mountPath": "/x"}}}', "mounts.abc (the key): must be a server source id"),
    ('{"version": 1, "virtualSources": {"a": {"mountPath": "rel"}}}', "virtualSources.a.mountPath: must be an absolute"),
    ('{"version": 1, "virtualSources": {"a": {"mountPath": "/x", "repo": "acme/x"}}}',
     "virtualSources.a.repo: must be a repo coordinate"),
    ('{"version": 1, "virtualSources": {"a": {"mountPath": "/x", "path": "/y"}}}', "virtualSources.a.path: Unknown"),
    ('{"mounts": {}}', "version: Missing data for required field"),
    ('{"version": 1, "x": ' + "[" * 1000 + "]" * 1000 + "}", "is not valid JSON: nested deeper than 64 levels"),
    ('{"version": 1, "x": ' + "[" * 64 + "]" * 64 + "}", "is not valid JSON: nested deeper than 64 levels"),
]


@pytest.mark.parametrize(("content", "problem"), CORRUPT, ids=[c[1][:30] for c in CORRUPT])
def test_a_corrupt_file_is_reported_with_its_path_and_never_overwritten(cli, project, content, problem):
    path = project / ".jolli" / "sources.json"
    path.parent.mkdir()
    path.write_text(content)
    before = path.stat()

    listed = cli.invoke(["source", "list"])
    added = cli.invoke(["source", "add", "backend", "--mount", str(project)])
    removed = cli.invoke(["source", "remove", "anything"])

    for result in (listed, added, removed):
        assert result.exit_code == 2
        assert str(path) in result.stderr
        assert problem in result.stderr
    assert path.read_text() == content
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in path.parent.iterdir()) in (["sources.json"], ["sources.json", "sources.json.lock"])


def test_a_file_that_is_not_utf8_is_reported(project):
    path = project / ".jolli" / "sources.json"
    path.parent.mkdir()
    path.write_bytes(b'{"version": 1, "mounts": {}, "x": "\xff"}')

    with pytest.raises(LocalConfigError, match="is not UTF-8 text"):
        SourcesFile(path).load()


def test_writes_replace_the_file_atomically_keeping_its_mode(project):
    path = project / ".jolli" / "sources.json"
    file = SourcesFile(path)
    with file.edit() as edit:
        edit.config.virtual_sources["a"] = Entry(mount_path="/w/a")
    os.chmod(path, 0o600)
    inode = path.stat().st_ino

    with file.edit() as edit:
        edit.config.virtual_sources["b"] = Entry(mount_path="/w/b")

    assert path.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())["virtualSources"]) == {"a", "b"}
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_new_jolli_folder_is_ignored_by_git(project):
    file = SourcesFile(project / ".jolli" / "sources.json")
    with file.edit() as edit:
        edit.config.virtual_sources["a"] = Entry(mount_path="/w/a")

    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert ".jolli" not in status
    assert (project / ".jolli" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_an_existing_jolli_folder_gets_no_gitignore(project):
    (project / ".jolli").mkdir()
    with SourcesFile(project / ".jolli" / "sources.json").edit() as edit:
        edit.config.virtual_sources["a"] = Entry(mount_path="/w/a")
    assert not (project / ".jolli" / ".gitignore").exists()  # a team that commits its folder keeps doing so


def test_nothing_is_written_when_the_edit_fails(project):
    path = project / ".jolli" / "sources.json"
    file = SourcesFile(path)
    with file.edit() as edit:
        edit.config.virtual_sources["a"] = Entry(mount_path="/w/a")
    before = path.read_bytes()

    with pytest.raises(RuntimeError), file.edit() as edit:
        edit.config.virtual_sources["b"] = Entry(mount_path="/w/b")
        raise RuntimeError("the server said no")

    assert path.read_bytes() == before


def test_a_held_lock_times_out_with_a_clear_message(project, monkeypatch):
    path = project / ".jolli" / "sources.json"
    path.parent.mkdir()
    monkeypatch.setenv("JOLLI_LOCK_TIMEOUT", "0.1")

    with filelock.FileLock(str(path) + ".lock"), pytest.raises(ConfigNotWritable) as caught, SourcesFile(path).edit():
        pass

    assert "another jolli process has held this lock" in str(caught.value)
    assert str(path) + ".lock" in str(caught.value)


WRITER = textwrap.dedent("""
    import sys
    from jolli.local.records import Entry
    from jolli.local.sources_file import SourcesFile

    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    file = SourcesFile(path)
    for i in range(count):
        with file.edit() as edit:
            edit.config.virtual_sources[f"{prefix}-{i}"] = Entry(mount_path=f"/w/{prefix}/{i}")
""")


def test_two_writer_processes_lose_nothing(project):
    path = project / ".jolli" / "sources.json"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), prefix, "60"], stderr=subprocess.PIPE, text=True)
        for prefix in ("left", "right")
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()

    names = set(json.loads(path.read_text())["virtualSources"])
    assert names == {f"{p}-{i}" for p in ("left", "right") for i in range(60)}


def test_two_jolli_commands_adding_at_once_lose_nothing(project, make_repo, tmp_path):
    repos = {name: make_repo(tmp_path / name, remote=f"git@github.com:acme/{name}.git")
             for name in ("a1", "a2", "a3", "b1", "b2", "b3")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOLLI_URL")}
    script = " && ".join(f"{JOLLI} source add {{p}}{i} --mount {{root}}/{{p}}{i}" for i in (1, 2, 3))
    procs = [
        subprocess.Popen(["sh", "-c", script.format(p=p, root=tmp_path)], cwd=project, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for p in ("a", "b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    data = json.loads((project / ".jolli" / "sources.json").read_text())
    assert set(data["virtualSources"]) == set(repos)
