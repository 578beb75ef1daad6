"""GitHub API client against the documented response shapes (compare two commits, get a branch)."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.github import Client

TOKEN = "ghs_InstallationToken0123456789"
REPO = RepoCoordinate("github.com", "octocat", "Hello-World")
BASE, HEAD = "bbcd538c8e72b8c175046e27cc8f907076331401", "0328041d1152db8ae77652d1618a02e57f745f17"
API = "https://api.github.com/repos/octocat/Hello-World"


def client(**kwargs: str) -> Client:
    return Client(IntegrationRef(provider="github", host=kwargs.pop("host", "github.com"), token=TOKEN, **kwargs))


def comparison(status: str, ahead: int, behind: int, files: list[dict]) -> dict:
    """The "Compare two commits" body as documented (commits trimmed to the fields that matter)."""
    commit = {"sha": HEAD, "node_id": "MDY6Q29tbWl0", "url": f"{API}/commits/{HEAD}",
              "commit": {"message": "Fix all the bugs", "tree": {"sha": HEAD, "url": "https://api.github.com/t"}},
              "parents": [{"sha": BASE, "url": f"{API}/commits/{BASE}"}]}
    return {
        "url": f"{API}/compare/master...topic",
        "html_url": "https://github.com/octocat/Hello-World/compare/master...topic",
        "permalink_url": f"https://github.com/octocat/Hello-World/compare/octocat:{BASE}...octocat:{HEAD}",
        "diff_url": "https://github.com/octocat/Hello-World/compare/master...topic.diff",
        "patch_url": "https://github.com/octocat/Hello-World/compare/master...topic.patch",
        "base_commit": commit | {"sha": BASE},
        "merge_base_commit": commit | {"sha": BASE},
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": [commit] * ahead,
        "files": files,
    }


FILES = [
    {"sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": "docs/guide.md", "status": "modified",
     "additions": 103, "deletions": 21, "changes": 124,
     "blob_url": "https://github.com/octocat/Hello-World/blob/6dcb09b/docs/guide.md",
     "raw_url": "https://github.com/octocat/Hello-World/raw/6dcb09b/docs/guide.md",
     "contents_url": f"{API}/contents/docs/guide.md?ref=6dcb09b", "patch": "@@ -132,7 +132,7 @@"},
    {"sha": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", "filename": "docs/new-name.md", "status": "renamed",
     "previous_filename": "docs/old-name.md", "additions": 0, "deletions": 0, "changes": 0},
]


@responses.activate
def test_compare_ahead_with_files_and_headers() -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", json=comparison("ahead", 2, 0, FILES))
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by) == ("ahead", 2, 0)
    assert result.files == ("docs/guide.md", "docs/old-name.md", "docs/new-name.md")
    headers = responses.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


@responses.activate
@pytest.mark.parametrize(("status", "ahead", "behind"), [("behind", 0, 3), ("diverged", 1, 4), ("identical", 0, 0)])
def test_compare_statuses(status: str, ahead: int, behind: int) -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", json=comparison(status, ahead, behind, []))
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == (status, ahead, behind, ())


@responses.activate
def test_branch_head_with_a_slash_in_the_name() -> None:
    responses.get(f"{API}/branches/feature/login", json={
        "name": "feature/login",
        "commit": {"sha": HEAD, "node_id": "MDY6Q29tbWl0", "url": f"{API}/commits/{HEAD}",
                   "commit": {"message": "Fix all the bugs"}},
        "_links": {"self": f"{API}/branches/feature/login", "html": "https://github.com/octocat/Hello-World/tree/feature/login"},
        "protected": False,
    })
    assert client().branch_head(REPO, "feature/login") == HEAD


@responses.activate
def test_enterprise_server_and_explicit_api_base() -> None:
    ghe = RepoCoordinate("ghe.example.com", "octocat", "Hello-World")
    responses.get("https://ghe.example.com/api/v3/repos/octocat/Hello-World/branches/main",
                  json={"name": "main", "commit": {"sha": BASE}})
    responses.get("https://proxy.example.com/gh/repos/octocat/Hello-World/branches/main",
                  json={"name": "main", "commit": {"sha": HEAD}})
    assert client(host="ghe.example.com").branch_head(ghe, "main") == BASE
    assert client(host="ghe.example.com", api_base_url="https://proxy.example.com/gh/").branch_head(ghe, "main") == HEAD


@responses.activate
def test_retries_on_502_and_429() -> None:
    url = f"{API}/branches/main"
    responses.get(url, status=502)
    responses.get(url, status=429, headers={"Retry-After": "0"}, json={"message": "secondary rate limit"})
    responses.get(url, json={"name": "main", "commit": {"sha": HEAD}})
    assert client().branch_head(REPO, "main") == HEAD
    assert len(responses.calls) == 3


@responses.activate
def test_unknown_commit_is_a_not_found_error_without_the_token() -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", status=404,
                  json={"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    with pytest.raises(ProviderError) as caught:
        client().compare(REPO, BASE, HEAD)
    assert caught.value.not_found and "GitHub API GET" in caught.value.message
    assert TOKEN not in caught.value.message


@responses.activate
def test_bad_credentials_and_timeouts_never_show_the_token() -> None:
    responses.get(f"{API}/branches/main", status=401, json={"message": f"Bad credentials {TOKEN}"},
                  match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})])
    responses.get(f"{API}/branches/dev", body=requests.ReadTimeout())
    for branch in ("main", "dev"):
        with pytest.raises(ProviderError) as caught:
            client().branch_head(REPO, branch)
        assert TOKEN not in caught.value.message


@responses.activate
def test_unexpected_shape_is_a_provider_error() -> None:
    responses.get(f"{API}/branches/main", json={"name": "main"})
    with pytest.raises(ProviderError, match="without 'commit'"):
        client().branch_head(REPO, "main")
