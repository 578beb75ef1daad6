"""Gitea/Forgejo API client against the documented response shapes (compare, get a branch)."""

from __future__ import annotations

import pytest
import requests
import responses

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.providers.api.gitea import Client

TOKEN = "0123456789abcdef0123456789abcdef01234567"
HOST = "git.example.org"
REPO = RepoCoordinate(HOST, "example", "example")
API = f"https://{HOST}/api/v1/repos/example/example"
BASE, HEAD = "28e1879d029cb852e4844d9c718537df08844e03", "bffeb74224043ba2feb48d137756c8a9331c449a"


def client() -> Client:
    return Client(IntegrationRef(provider="gitea", host=HOST, token=TOKEN))


def commit(sha: str, files: list[str] | None = None) -> dict:
    body = {"url": f"{API}/git/commits/{sha}", "sha": sha, "created": "2022-03-09T16:23:39+09:00",
            "html_url": f"https://{HOST}/example/example/commit/{sha}",
            "commit": {"message": "example\n", "author": {"name": "example", "email": "example@example.com"}},
            "parents": [{"url": f"{API}/git/commits/{BASE}", "sha": BASE}]}
    if files is not None:
        body["files"] = [{"filename": f, "status": "modified"} for f in files]
    return body


@responses.activate
def test_compare_ahead_with_per_commit_files() -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", json={
        "total_commits": 2, "commits": [commit(HEAD, ["a.md", "b.md"]), commit("9" * 40, ["a.md"])]})
    responses.get(f"{API}/compare/{HEAD}...{BASE}", json={"total_commits": 0, "commits": []})
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == ("ahead", 2, 0, ("a.md", "b.md"))
    assert responses.calls[0].request.headers["Authorization"] == f"token {TOKEN}"


@responses.activate
def test_compare_with_top_level_files_forgejo() -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", json={
        "total_commits": 1, "commits": [commit(HEAD)], "files": [{"filename": "docs/x.md", "status": "added"}]})
    responses.get(f"{API}/compare/{HEAD}...{BASE}", json={"total_commits": 4, "commits": [commit(BASE)] * 4})
    result = client().compare(REPO, BASE, HEAD)
    assert (result.status, result.ahead_by, result.behind_by, result.files) == ("diverged", 1, 4, ("docs/x.md",))


@responses.activate
@pytest.mark.parametrize(("ahead", "behind", "status"), [(0, 3, "behind"), (0, 0, "identical")])
def test_compare_statuses(ahead: int, behind: int, status: str) -> None:
    responses.get(f"{API}/compare/{BASE}...{HEAD}", json={"total_commits": ahead, "commits": []})
    responses.get(f"{API}/compare/{HEAD}...{BASE}", json={"total_commits": behind, "commits": []})
    assert client().compare(REPO, BASE, HEAD).status == status


@responses.activate
def test_branch_head() -> None:
    responses.get(f"{API}/branches/release/1.x", json={
        "name": "release/1.x", "protected": False, "required_approvals": 0, "enable_status_check": False,
        "user_can_push": True, "user_can_merge": True, "effective_branch_protection_name": "",
        "commit": {"id": HEAD, "message": "example\n", "url": f"https://{HOST}/example/example/commit/{HEAD}",
                   "author": {"name": "example", "email": "example@example.com", "username": "example"},
                   "timestamp": "2022-03-09T16:23:39+09:00", "added": None, "removed": None, "modified": None}})
    assert client().branch_head(REPO, "release/1.x") == HEAD


@responses.activate
def test_retries_on_502_and_429() -> None:
    url = f"{API}/branches/main"
    responses.get(url, status=502)
    responses.get(url, status=429, headers={"Retry-After": "0"})
    responses.get(url, json={"name": "main", "commit": {"id": HEAD}})
    assert client().branch_head(REPO, "main") == HEAD


@responses.activate
def test_errors_never_show_the_token() -> None:
    responses.get(f"{API}/branches/main", status=404, json={"errors": None, "message": "The target couldn't be found.",
                                                             "url": f"https://{HOST}/api/swagger"})
    responses.get(f"{API}/branches/dev", body=requests.ReadTimeout())
    with pytest.raises(ProviderError) as caught:
        client().branch_head(REPO, "main")
    assert caught.value.not_found and "couldn't be found" in caught.value.message
    with pytest.raises(ProviderError, match="timed out") as caught:
        client().branch_head(REPO, "dev")
    assert TOKEN not in caught.value.message
