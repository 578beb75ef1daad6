"""The cheap mount checks of ``source list`` agree with the real git."""

from __future__ import annotations

from pathlib import Path

import pytest
from localgit import git

from jolli.local.worktree import (
    display_remote,
    inspect,
    origin_url_from_config,
    remote_matches,
    simple_coordinate,
)


def test_reads_origin_and_branch_like_git(tmp_path: Path, make_repo):
    repo = make_repo(tmp_path / "repo", remote="https://github.com/acme/backend.git", branch="trunk")

    tree = inspect(str(repo))

    assert (tree.exists, tree.is_git) == (True, True)
    assert tree.origin_url == git(repo, "remote", "get-url", "origin")
    assert tree.branch == git(repo, "symbolic-ref", "--short", "HEAD") == "trunk"


def test_follows_a_linked_worktree_to_the_shared_config(tmp_path: Path, make_repo):
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "feature/x")

    tree = inspect(str(tmp_path / "wt"))

    assert tree.is_git and tree.branch == "feature/x"
    assert tree.origin_url == "git@github.com:acme/backend.git"


def test_detached_head_and_no_remote(tmp_path: Path, make_repo):
    repo = make_repo(tmp_path / "repo", remote=None)
    git(repo, "checkout", "-q", "--detach")

    tree = inspect(str(repo))

    assert tree.is_git and tree.branch is None and tree.origin_url is None


def test_missing_and_plain_folders(tmp_path: Path):
    assert inspect(str(tmp_path / "nope")).exists is False
    plain = inspect(str(tmp_path))
    assert plain.exists and not plain.is_git


def test_config_parsing_finds_only_the_origin_url():
    text = """
    [core]
        url = not-this
    [remote "upstream"]
        url = git@github.com:up/stream.git
    [remote "origin"]
        fetch = +refs/heads/*:refs/remotes/origin/*
        URL = "https://gitlab.com/group/sub/repo.git"
    """
    assert origin_url_from_config(text) == "https://gitlab.com/group/sub/repo.git"
    assert origin_url_from_config("[remote \"origin\"]\n") is None


@pytest.mark.parametrize(
    ("url", "coordinate"),
    [
        ("git@github.com:acme/backend.git", "github.com/acme/backend"),
        ("https://GitHub.com/acme/backend.git/", "github.com/acme/backend"),
        ("ssh://git@git.example.com:2222/team/svc.git", "git.example.com/team/svc"),
        ("https://user:secret@github.com/acme/backend", "github.com/acme/backend"),
        ("https://gitlab.com/group/sub/repo.git", "gitlab.com/group/sub/repo"),  # nested groups
        ("/srv/git/backend.git", None),
    ],
)
def test_simple_coordinates(url, coordinate):
    assert simple_coordinate(url) == coordinate


def test_remote_matching_ignores_case_and_url_form():
    assert remote_matches("git@github.com:Acme/Backend.git", "github.com/acme/backend") is True
    assert remote_matches("git@github.com:acme/other.git", "github.com/acme/backend") is False
    assert remote_matches(None, "github.com/acme/backend") is None
    assert remote_matches("https://gitlab.com/group/sub/repo.git", "gitlab.com/group/sub/repo") is True


def test_printed_remotes_never_carry_credentials():
    shown = display_remote("https://oauth2:glpat-SECRET@gitlab.example.com/a/b/c/d.git")
    assert "SECRET" not in shown


def test_a_remote_through_a_host_alias_names_the_repository_on_its_host() -> None:
    from jolli.local.worktree import remote_matches, simple_coordinate

    assert simple_coordinate("ssh://git@ssh.github.com:443/acme/app.git") == "github.com/acme/app"
    assert remote_matches("ssh://git@ssh.github.com:443/acme/app.git", "github.com/acme/app") is True
    assert remote_matches("git@github.com:acme/other.git", "github.com/acme/app") is False
