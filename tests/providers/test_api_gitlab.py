"""GitLab API client against the documented response shapes (repository compare, single branch)."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.gitlab import Client

TOKEN = "glpat-Abcdefghijklmnop1234"
REPO = RepoCoordinate("gitlab.com", "group/sub", "project")
PROJECT = "https://gitlab.com/api/v4/projects/group%2Fsub%2Fproject"
BASE, HEAD = "ae73cb07c9eeaf35924a10f713b364d32b2dd34f", "12d65c8dd2b2676fa3ac47d955accc085a37a9c1"


def client(**kwargs: str) -> Client:
    return Client(IntegrationRef(provider="gitlab", host=kwargs.pop("host", "gitlab.com"), token=TOKEN, **kwargs))


def commit(sha: str) -> dict:
    return {"id": sha, "short_id": sha[:8], "title": "Replace sanitize with escape once",
            "author_name": "Example User", "author_email": "user@example.com",
            "created_at": "2012-09-20T09:06:12+03:00", "message": "Replace sanitize with escape once"}


def diff(old: str, new: str, *, new_file: bool = False, renamed: bool = False, deleted: bool = False) -> dict:
    return {"old_path": old, "new_path": new, "a_mode": None, "b_mode": "100644", "diff": "@@ -1 +1 @@",
            "new_file": new_file, "renamed_file": renamed, "deleted_file": deleted}


def compare_body(commits: list[str], diffs: list[dict]) -> dict:
    return {"commit": commit(commits[0]) if commits else None, "commits": [commit(s) for s in commits],
            "diffs": diffs, "compare_timeout": False, "compare_same_ref": False,
            "web_url": "https://gitlab.com/group/sub/project/-/compare/ae73cb07...12d65c8d"}


def mock_compare(from_: str, to: str, body: dict) -> None:
    responses.get(f"{PROJECT}/repository/compare", json=body,
                  match=[matchers.query_param_matcher({"from": from_, "to": to, "straight": "false"})])


@responses.activate
def test_compare_ahead_lists_paths_of_the_diffs() -> None:
    mock_compare(BASE, HEAD, compare_body([HEAD, "8b0a9ab0"], [
        diff("docs/a.md", "docs/a.md"),
        diff("docs/new.md", "docs/new.md", new_file=True),
        diff("docs/old.md", "docs/moved.md", renamed=True),
        diff("docs/gone.md", "docs/gone.md", deleted=True),
    ]))
    mock_compare(HEAD, BASE, compare_body([], []))
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == ("ahead", 2, 0)
    assert result.files == ("docs/a.md", "docs/new.md", "docs/old.md", "docs/moved.md", "docs/gone.md")
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
@pytest.mark.parametrize(("ahead", "behind", "status"), [(0, 2, "behind"), (1, 1, "diverged"), (0, 0, "identical")])
def test_compare_statuses_from_both_directions(ahead: int, behind: int, status: str) -> None:
    mock_compare(BASE, HEAD, compare_body([HEAD] * ahead, []))
    mock_compare(HEAD, BASE, compare_body([BASE] * behind, []))
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == (status, ahead, behind)


@responses.activate
def test_branch_head_encodes_the_branch() -> None:
    responses.get(f"{PROJECT}/repository/branches/feature%2Flogin", json={
        "name": "feature/login", "merged": False, "protected": False, "default": False,
        "developers_can_push": False, "developers_can_merge": False, "can_push": True,
        "web_url": "https://gitlab.com/group/sub/project/-/tree/feature/login", "commit": commit(HEAD),
    })
    assert client().branch_head(REPO, "feature/login") == HEAD
    assert responses.calls[0].request.path_url.endswith("/projects/group%2Fsub%2Fproject/repository/branches/feature%2Flogin")


@responses.activate
def test_self_managed_default_base() -> None:
    repo = RepoCoordinate("git.example.org", "team", "svc")
    responses.get("https://git.example.org/api/v4/projects/team%2Fsvc/repository/branches/main",
                  json={"name": "main", "commit": commit(BASE)})
    assert client(host="git.example.org").branch_head(repo, "main") == BASE


@responses.activate
def test_retries_then_succeeds() -> None:
    url = f"{PROJECT}/repository/branches/main"
    responses.get(url, status=503)
    responses.get(url, status=429, headers={"Retry-After": "0"})
    responses.get(url, json={"name": "main", "commit": commit(HEAD)})
    assert client().branch_head(REPO, "main") == HEAD


@responses.activate
def test_errors_never_show_the_token() -> None:
    responses.get(f"{PROJECT}/repository/branches/main", status=404, json={"message": "404 Branch Not Found"})
    responses.get(f"{PROJECT}/repository/branches/dev", body=requests.ConnectTimeout())
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "main")
    assert caught.value.not_found and caught.value.message.endswith(": 404 Branch Not Found")
    with pytest.raises(ProviderError, match="timed out") as caught:
        client().branch_head(REPO, "dev")
    assert TOKEN not in caught.value.message
