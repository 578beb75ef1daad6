"""Helpers of the event tests: registry rows, real git repositories, a recording hook, a worker."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jolli import hookimpl

SECRET = "s3cret-for-tests"


def make_org(name: str = "acme") -> Any:
    from jolli.store.models import Org

    return Org.create(name=name)


def make_integration(org: Any, provider: str = "github", host: str = "github.com", owner: str | None = None,
                     secret: str | None = SECRET, **extra: Any) -> Any:
    from jolli.store.models import Integration

    return Integration.create(org=org, provider=provider, host=host, owner=owner, webhook_secret=secret, **extra)


def make_source(org: Any, name: str, repo: str, branch: str | None = "main", integration: Any = None,
                type: str = "git", **extra: Any) -> Any:
    from jolli.store.models import Source

    return Source.create(org=org, name=name, type=type, repo=repo, branch=branch, integration=integration, **extra)


def make_spaces(org: Any, source: Any, count: int, prefix: str = "space", pattern: str | None = None,
                enabled: bool = True) -> list[int]:
    """``count`` new spaces bound to ``source``; their ids, ascending."""
    from jolli.store.models import Space, SpaceSource

    ids = []
    for i in range(count):
        space = Space.create(org=org, name=f"{prefix}-{source.id}-{i}")
        SpaceSource.create(space=space, source=source, jrn_pattern=pattern, enabled=enabled)
        ids.append(space.id)
    return ids


def sha(n: int) -> str:
    """A fake 40-hex SHA (for tests where ancestry does not matter)."""
    return f"{n:040x}"


@dataclass
class GitRepo:
    """A real git repository in a temp folder, laid out as a mirror ``<root>/<host>/<owner>/<repo>``."""

    root: Path
    repo: str
    commits: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.root.joinpath(*self.repo.split("/"))

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
        out = subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True,
                             env=env)
        return out.stdout.strip()

    def init(self, branch: str = "main") -> GitRepo:
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)
        return self

    def commit(self, filename: str | None = None, text: str | None = None) -> str:
        n = len(self.commits)
        name = filename or f"file{n}.txt"
        (self.path / name).write_text(text or f"change {n}\n")
        self.git("add", name)
        self.git("commit", "-q", "-m", f"commit {n}")
        head = self.git("rev-parse", "HEAD")
        self.commits.append(head)
        return head


def git_repo(root: Path, repo: str, commits: int = 0) -> GitRepo:
    r = GitRepo(root, repo).init()
    for _ in range(commits):
        r.commit()
    return r


class RecordingHook:
    """A ``jolli_process_space`` plugin that records every call in memory; may fail on purpose."""

    def __init__(self, fail_spaces: dict[int, int] | None = None) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self.changes: dict[tuple[int, int], Any] = {}
        self.fail_spaces = dict(fail_spaces or {})  # space id -> how many times to fail

    @hookimpl
    def jolli_process_space(self, space_id: int, event: Any, changes: Any) -> dict[str, Any]:
        if self.fail_spaces.get(space_id, 0) > 0:
            self.fail_spaces[space_id] -= 1
            raise RuntimeError(f"space {space_id} is broken")
        self.calls.append((event.id, space_id, event.head_sha))
        self.changes[(event.id, space_id)] = changes
        return {"seen": event.head_sha}


def observe(source: Any, head: str, before: str | None = None, *, branch: str | None = "main",
            commits: tuple[str, ...] = (), event_jrn: str | None = None) -> int:
    """Store a change of ``source`` through the one store path, as a producer that knows its source does;
    the event's id (new or existing)."""
    from jolli.events.status import Origin
    from jolli.events.store import ObservedChange, Producer, store_changes
    from jolli.store.models import Org

    org = Org.get_by_id(source.org_id)
    change = ObservedChange(ref=f"refs/heads/{branch}" if branch else "", head=head, origin=Origin.WEBHOOK,
                            repo=source.repo, before=before, source_id=source.id, commits=commits,
                            event_jrn=event_jrn)
    result = store_changes(Producer(org.id, org.name), [change])
    ids = result.event_ids or result.duplicate_event_ids
    assert ids, result.reason
    return ids[0]


def deliver(integration: Any, pushes: list[Any]) -> Any:
    """Store verified pushes to ``integration`` as the webhook receiver does (its scope applies)."""
    from jolli.events.intake import accept, load_integration

    return accept(load_integration(integration.id, cached=False), list(pushes))


def history(source_id: int) -> list[Any]:
    """Every advance of the cursor of ``source_id``, oldest first."""
    from jolli.events.tables import CursorHistory

    return list(CursorHistory.select().where(CursorHistory.source == source_id).order_by(CursorHistory.version))
