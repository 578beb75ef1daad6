"""What a ``jolli_process_space`` hook receives as ``event``: a plain, read-only view of a source event.

Plugins get this, never a database row, so they cannot change the event by accident and need no peewee.
``(id, space_id)`` is the key a hook with outside side effects should use to make its work idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SourceEventView:
    """One push to one source (``version`` 2: fanout; 1: created from a legacy per-space job)."""

    id: int
    org_id: int
    source_id: int
    event_jrn: str
    head_sha: str
    before_sha: str | None
    branch: str | None
    repo: str | None
    affected_space_ids: tuple[int, ...]
    version: int
    integration_id: int | None = None
    delivery_id: str | None = None
    received_at: datetime | None = None
    forced: bool = False
    legacy: bool = False
    kill_sandbox: bool = False
    origin: str = "webhook"  # webhook | legacy | poll | manual (jolli.events.status.Origin)
    provider: str | None = None  # the provider of the integration the change came through
    order_assumed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The camelCase JSON form (the same keys the API and the log lines use)."""
        return {
            "id": self.id,
            "sourceId": self.source_id,
            "eventJrn": self.event_jrn,
            "headSha": self.head_sha,
            "beforeSha": self.before_sha,
            "branch": self.branch,
            "repo": self.repo,
            "affectedSpaceIds": list(self.affected_space_ids),
            "version": self.version,
            "integrationId": self.integration_id,
            "deliveryId": self.delivery_id,
            "receivedAt": self.received_at.isoformat() if self.received_at else None,
            "forced": self.forced,
            "killSandbox": self.kill_sandbox,
            "origin": self.origin,
            "provider": self.provider,
            "orderAssumed": self.order_assumed,
        }
