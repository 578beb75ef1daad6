"""``SourceType.current_cursor`` and ``mount_cursor``: where a source stands now, asked by jolli's checks
(real bare repositories and ``git ls-remote`` for git, a digest of the folder for file)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from jolli.errors import InvalidInput
from jolli.plugins.file import FileSourceType
from jolli.plugins.git import GitSourceType
from jolli.source_type import CheckContext, SourceType

GIT = GitSourceType()
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True,
                          env=ENV).stdout.strip()


def commit(work: Path, text: str) -> str:
    (work / "notes.md").write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", text)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare "remote", a work clone pushing to it, and jolli's mirror of it under ``mirrors/<host>/<owner>``."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    git(work, "checkout", "-q", "-b", "main")
    commit(work, "one")
    git(work, "push", "-q", "origin", "main")
    mirror = tmp_path / "mirrors" / "github.com" / "acme" / "app.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(bare), str(mirror)], check=True)
    return bare, work, mirror


def test_git_asks_the_mirrors_remote_and_fetches_a_new_head(remote: tuple[Path, Path, Path]) -> None:
    _, work, mirror = remote
    context = CheckContext(source_id=1, repo="github.com/acme/app", branch="main", repo_path=str(mirror))
    first = GIT.current_cursor(None, context)
    assert first is not None and first.value == git(work, "rev-parse", "HEAD")
    new = commit(work, "two")
    git(work, "push", "-q", "origin", "main")
    assert GIT.current_cursor(None, context).value == new  # type: ignore[union-attr]
    assert git(mirror, "cat-file", "-t", new) == "commit"  # fetched: git can order it when it is processed


def test_git_names_a_branch_the_remote_does_not_have(remote: tuple[Path, Path, Path]) -> None:
    _, _, mirror = remote
    with pytest.raises(InvalidInput, match="no branch 'gone'"):
        GIT.current_cursor(None, CheckContext(source_id=1, branch="gone", repo_path=str(mirror)))


def test_git_without_a_branch_or_a_way_to_ask_cannot_tell() -> None:
    assert GIT.current_cursor(None, CheckContext(source_id=1, repo="github.com/acme/app", branch=None)) is None
    assert GIT.current_cursor(None, CheckContext(source_id=1, repo="github.com/acme/app", branch="main")) is None


def test_git_mount_cursor_is_the_branchs_head_in_the_work_tree(remote: tuple[Path, Path, Path]) -> None:
    _, work, _ = remote
    head = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", "other")
    commit(work, "elsewhere")
    assert GIT.mount_cursor(str(work), "main") == head
    assert GIT.mount_cursor(str(work)) == git(work, "rev-parse", "HEAD")
    with pytest.raises(InvalidInput, match="no commit on nope"):
        GIT.mount_cursor(str(work), "nope")


def test_file_mount_cursor_is_a_digest_of_the_files_ignoring_git_and_jolli(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("one")
    (folder / "sub" / "b.md").write_text("two")
    file_type = FileSourceType()
    first = file_type.mount_cursor(str(folder))
    assert first.startswith("sha256:") and file_type.validate_cursor(first) == first
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main")
    (folder / ".jolli").mkdir()
    (folder / ".jolli" / "state").write_text("x")
    assert file_type.mount_cursor(str(folder)) == first
    (folder / "sub" / "b.md").write_text("changed")
    second = file_type.mount_cursor(str(folder))
    assert second != first
    (folder / "sub" / "b.md").rename(folder / "b.md")
    assert file_type.mount_cursor(str(folder)) not in (first, second)  # a move is a change too
    assert file_type.current_cursor(None, CheckContext(source_id=1)) is None  # the server cannot read it


def test_a_type_that_says_nothing_cannot_be_checked_by_the_server() -> None:
    class Plain(SourceType):
        name = "plain"

    assert Plain().current_cursor(None, CheckContext(source_id=1)) is None
    with pytest.raises(NotImplementedError, match="cannot read a cursor from a mount"):
        Plain().mount_cursor("/tmp")
