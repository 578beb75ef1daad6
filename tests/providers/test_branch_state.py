"""Every provider client asks a branch's head conditionally: the ETag of the last answer goes back as
``If-None-Match``, an unchanged branch is a 304 with no body, and a spent quota says how long to wait."""

from __future__ import annotations

import time
from typing import Any

import pytest
import responses
from responses import matchers

from jolli.coordinates import RepoCoordinate
from jolli.http import ProviderError, rate_limit_wait
from jolli.provider import IntegrationRef
from jolli.registry import get_plugins

HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
ETAG = 'W/"b1a2c3"'
#: provider, host, repo path, branch URL, the documented answer for HEAD
CASES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("github", "github.com", "octo/app", "https://api.github.com/repos/octo/app/branches/main",
     {"name": "main", "commit": {"sha": HEAD}}),
    ("gitlab", "gitlab.com", "group/sub/app", "https://gitlab.com/api/v4/projects/group%2Fsub%2Fapp/repository/branches/main",
     {"name": "main", "commit": {"id": HEAD}}),
    ("gitea", "gitea.example.com", "octo/app", "https://gitea.example.com/api/v1/repos/octo/app/branches/main",
     {"name": "main", "commit": {"id": HEAD}}),
    ("bitbucket", "bitbucket.org", "ws/app", "https://api.bitbucket.org/2.0/repositories/ws/app/refs/branches/main",
     {"name": "main", "target": {"hash": HEAD}}),
    ("bitbucket-datacenter", "git.example.com", "PRJ/app",
     "https://git.example.com/rest/api/1.0/projects/PRJ/repos/app/branches",
     {"values": [{"id": "refs/heads/main", "displayId": "main", "latestCommit": HEAD}], "isLastPage": True}),
]


def _client(provider: str, host: str) -> Any:
    return get_plugins().provider(provider).client(IntegrationRef(provider=provider, host=host, token="t0k3n"))


def _repo(host: str, path: str) -> RepoCoordinate:
    owner, name = path.rsplit("/", 1)
    return RepoCoordinate(host=host, owner=owner, name=name)


@pytest.mark.parametrize(("provider", "host", "path", "url", "answer"), CASES, ids=[c[0] for c in CASES])
@responses.activate
def test_an_unchanged_branch_is_a_304_asked_with_the_last_etag(provider: str, host: str, path: str, url: str,
                                                               answer: dict[str, Any]) -> None:
    responses.get(url, body="", headers={"ETag": ETAG},
                  match=[matchers.header_matcher({"If-None-Match": ETAG}, strict_match=False)], status=304)
    responses.get(url, json=answer, headers={"ETag": ETAG, "Last-Modified": "Mon, 30 Nov 2026 04:00:00 GMT"})
    client, repo = _client(provider, host), _repo(host, path)
    first = client.branch_state(repo, "main")
    assert (first.head, first.etag, first.not_modified) == (HEAD, ETAG, False)
    second = client.branch_state(repo, "main", etag=first.etag, last_modified=first.last_modified)
    assert (second.head, second.not_modified, second.etag) == (None, True, ETAG)
    assert responses.calls[1].request.headers["If-Modified-Since"] == "Mon, 30 Nov 2026 04:00:00 GMT"
    assert client.branch_head(repo, "main") == HEAD


@responses.activate
def test_a_429_or_a_secondary_limit_403_says_how_long_to_wait() -> None:
    url = CASES[0][3]
    responses.get(url, status=429, headers={"Retry-After": "90"}, json={"message": "slow down"})
    with pytest.raises(ProviderError) as limited:
        _client("github", "github.com").branch_state(_repo("github.com", "octo/app"), "main")
    assert (limited.value.status_code, limited.value.retry_after) == (429, 90.0)
    assert "t0k3n" not in str(limited.value)
    secondary = rate_limit_wait({}, 403, '{"message": "You have exceeded a secondary rate limit"}')
    assert secondary == 60.0
    assert rate_limit_wait({}, 403, '{"message": "Resource not accessible by integration"}') is None


def test_a_spent_quota_waits_until_its_reset() -> None:
    now = time.time()
    github = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 300)}
    gitlab = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(now) + 30)}
    assert 298 <= (rate_limit_wait(github, 200, now=now) or 0) <= 300
    assert 28 <= (rate_limit_wait(gitlab, 200, now=now) or 0) <= 30
    assert rate_limit_wait({"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "1"}, 200) is None
