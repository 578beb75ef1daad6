"""Finding ``.jolli/sources.json`` like git finds ``.git``."""

from __future__ import annotations

from pathlib import Path

from jolli.local.discovery import find_sources_file, git_toplevel, sources_file_path


def test_the_nearest_file_upwards_wins(tmp_path: Path):
    outer = tmp_path / ".jolli" / "sources.json"
    inner = tmp_path / "a" / ".jolli" / "sources.json"
    for path in (outer, inner):
        path.parent.mkdir(parents=True)
        path.write_text("{}")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)

    assert find_sources_file(deep) == inner
    assert find_sources_file(tmp_path / "a") == inner
    assert find_sources_file(tmp_path) == outer


def test_a_new_file_goes_at_the_git_top_level(tmp_path: Path, make_repo):
    repo = make_repo(tmp_path / "repo")
    deep = repo / "src" / "pkg"
    deep.mkdir(parents=True)

    assert find_sources_file(deep) is None
    assert git_toplevel(deep) == repo
    assert sources_file_path(deep) == repo / ".jolli" / "sources.json"


def test_a_git_worktree_with_a_dot_git_file_is_a_top_level(tmp_path: Path, make_repo):
    from localgit import git

    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", str(tmp_path / "feature"), "-b", "feature")

    assert (tmp_path / "feature" / ".git").is_file()
    assert sources_file_path(tmp_path / "feature" / "sub") == tmp_path / "feature" / ".jolli" / "sources.json"


def test_outside_git_a_new_file_goes_in_the_current_folder(tmp_path: Path, monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)

    assert sources_file_path() == plain / ".jolli" / "sources.json"


def test_jolli_sources_file_names_the_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "elsewhere" / "mine.json"
    monkeypatch.setenv("JOLLI_SOURCES_FILE", str(target))

    assert find_sources_file(tmp_path) is None
    assert sources_file_path(tmp_path) == target
    target.parent.mkdir()
    target.write_text("{}")
    assert find_sources_file(tmp_path) == target
