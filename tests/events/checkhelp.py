"""Helpers of the check tests: the providers' branch APIs (mocked with ``responses`` in their documented
shapes, ETags and conditional requests included), a settable clock, and a checker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import responses

#: The branch URL and the answer body of each provider (GitHub ``commit.sha``, GitLab and Gitea ``commit.id``,
#: Bitbucket Cloud ``target.hash``).
BRANCH_API: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "github": ("https://api.github.com/repos/{owner}/{name}/branches/{branch}",
               lambda head: {"name": "main", "commit": {"sha": head}}),
    "gitlab": ("https://{host}/api/v4/projects/{path}/repository/branches/{branch}",
               lambda head: {"name": "main", "commit": {"id": head}}),
    "gitea": ("https://{host}/api/v1/repos/{owner}/{name}/branches/{branch}",
              lambda head: {"name": "main", "commit": {"id": head}}),
    "bitbucket": ("https://api.bitbucket.org/2.0/repositories/{owner}/{name}/refs/branches/{branch}",
                  lambda head: {"name": "main", "target": {"hash": head}}),
}


@dataclass
class BranchApi:
    """The branch heads a provider API answers; ``If-None-Match`` with the current ETag gets a 304."""

    heads: dict[str, str] = field(default_factory=dict)  # url -> head
    calls: list[tuple[str, int]] = field(default_factory=list)  # (url, status)
    limited: dict[str, tuple[int, dict[str, str], str]] = field(default_factory=dict)  # url prefix -> answer

    def add(self, provider: str, repo: str, head: str, branch: str = "main") -> str:
        host, owner, name = repo.split("/", 2)
        template, body = BRANCH_API[provider]
        url = template.format(host=host, owner=owner, name=name, path=quote(f"{owner}/{name}", safe=""),
                              branch=branch)
        self.heads[url] = head
        responses.add_callback(responses.GET, url, callback=self._answer(url, body))
        return url

    def push(self, url: str, head: str) -> None:
        self.heads[url] = head

    def _answer(self, url: str, body: Callable[[str], dict[str, Any]]) -> Callable[[Any], Any]:
        import json

        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            for prefix, limited in self.limited.items():
                if url.startswith(prefix):
                    self.calls.append((url, limited[0]))
                    return limited
            head = self.heads[url]
            etag = f'"{head[-16:]}"'
            if request.headers.get("If-None-Match") == etag:
                self.calls.append((url, 304))
                return 304, {"ETag": etag, "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "0"}, ""
            self.calls.append((url, 200))
            return 200, {"ETag": etag, "Content-Type": "application/json"}, json.dumps(body(head))

        return answer

    def statuses(self) -> list[int]:
        return [status for _, status in self.calls]


class Clock:
    """A clock the test moves (Unix seconds)."""

    def __init__(self, start: float | None = None) -> None:
        import time

        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def checker(settings: Any, clock: Clock, name: str = "checker-1") -> Any:
    from jolli.events.checker import Checker

    return Checker(settings, name, clock=clock)


class PypiType:
    """A third-party source type written from docs/plugins.md: a PyPI package, its cursor the latest version."""

    def __init__(self) -> None:
        from jolli.source_type import ChangeSet, CursorCheck, SourceType

        seen = self.seen = []  # type: ignore[var-annotated]

        class Pypi(SourceType):
            name = "pypi"

            def current_cursor(self, source: Any, context: Any) -> Any:
                import requests

                answer = requests.get(f"https://pypi.org/pypi/{context.fields['package']}/json", timeout=5)
                return CursorCheck(answer.json()["info"]["version"])

            def detect_changes(self, source: Any, base: Any, head: str, context: Any = None) -> Any:
                seen.append((base, head))
                return ChangeSet(base=base, head=head, relation="ahead", files=("CHANGELOG",))

        self.type = Pypi()

    @__import__("jolli").hookimpl
    def jolli_register_source_types(self, registry: Any) -> None:
        registry.add(self.type)
