"""Legacy per-space jobs: ``{spaceId, integrationId, eventJrn, killSandbox, sourceId?, afterSha?, cursorSha?}``.

Jobs queued before the fanout shape are still processed, as source events with one affected space and
under the same rules: the worker resolves the job to the event of its idempotency key
``(sourceId, eventJrn, headSha)`` (creating it, ``version`` 1 and ``origin`` ``legacy``, if the fanout push
has not arrived yet) and processes just that space. A space is therefore done once whether its work
arrives as a legacy job, as part of a fanout event, or as both.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from jolli.errors import InvalidInput
from jolli.events.create import NewEvent, store_event
from jolli.events.errors import LegacyJobError, NotFound
from jolli.events.fanout import event_jrn_for, merge_space_ids
from jolli.events.staleness import mirror_path, provider_client
from jolli.events.tables import LEGACY_VERSION, EventJob, SourceEvent
from jolli.store.models import Integration, Org, Source, SpaceSource, utcnow
from jolli.store.sql import write_tx

REQUIRED = ("spaceId", "integrationId", "eventJrn")
KNOWN = (*REQUIRED, "killSandbox", "sourceId", "afterSha", "cursorSha")


@dataclass(frozen=True)
class LegacyJob:
    """A validated legacy per-space job."""

    space_id: int
    integration_id: int
    event_jrn: str
    kill_sandbox: bool = False
    source_id: int | None = None
    after_sha: str | None = None
    cursor_sha: str | None = None

    @classmethod
    def from_payload(cls, payload: Any) -> LegacyJob:
        """Check the shape; ``InvalidInput`` naming each bad field."""
        if not isinstance(payload, dict):
            raise InvalidInput("a legacy job must be a JSON object", fields={"_body": ["must be an object"]})
        errors: dict[str, list[str]] = {}
        for name in REQUIRED:
            if payload.get(name) in (None, ""):
                errors[name] = ["is required"]
        for name in ("spaceId", "integrationId", "sourceId"):
            value = payload.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                errors[name] = ["must be a positive integer"]
        for name in ("eventJrn", "afterSha", "cursorSha"):
            value = payload.get(name)
            if value is not None and not isinstance(value, str):
                errors[name] = ["must be a string"]
        if "killSandbox" in payload and not isinstance(payload["killSandbox"], bool):
            errors["killSandbox"] = ["must be true or false"]
        unknown = sorted(set(payload) - set(KNOWN))
        for name in unknown:
            errors[name] = ["unknown field; a legacy job has " + ", ".join(KNOWN)]
        if errors:
            raise InvalidInput("invalid legacy job: " + ", ".join(sorted(errors)), fields=errors)
        return cls(
            space_id=payload["spaceId"],
            integration_id=payload["integrationId"],
            event_jrn=payload["eventJrn"],
            kill_sandbox=bool(payload.get("killSandbox", False)),
            source_id=payload.get("sourceId"),
            after_sha=payload.get("afterSha") or None,
            cursor_sha=payload.get("cursorSha") or None,
        )

    def to_payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "spaceId": self.space_id, "integrationId": self.integration_id, "eventJrn": self.event_jrn,
            "killSandbox": self.kill_sandbox,
        }
        for key, value in (("sourceId", self.source_id), ("afterSha", self.after_sha),
                           ("cursorSha", self.cursor_sha)):
            if value is not None:
                body[key] = value
        return body


def enqueue(payload: Any, *, org_id: int | None = None) -> EventJob:
    """Queue one legacy job (as the old producer did); ``org_id`` checks the integration belongs to it."""
    job = LegacyJob.from_payload(payload)
    integration = Integration.get_or_none(Integration.id == job.integration_id)
    if integration is None or (org_id is not None and integration.org_id != org_id):
        raise NotFound(f"no integration {job.integration_id}", fields={"integrationId": ["unknown integration"]})
    now = utcnow()
    return EventJob.create(
        org=integration.org_id, kind="legacy", payload=job.to_payload(), source_id=None,  # set once resolved
        status="queued", run_after=now, created_at=now, updated_at=now,
    )


@dataclass(frozen=True)
class Resolved:
    """A legacy job turned into its source event and its one space."""

    event: SourceEvent
    space_id: int
    kill_sandbox: bool


def resolve(row: EventJob, *, mirrors: str | None = None) -> Resolved:
    """The source event a legacy job belongs to (created if missing, its space merged in)."""
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "null")
    try:
        job = LegacyJob.from_payload(payload)
    except InvalidInput as exc:
        raise LegacyJobError(exc.message, fields=exc.fields) from None
    integration = Integration.get_or_none(Integration.id == job.integration_id)
    if integration is None:
        raise LegacyJobError(f"integration {job.integration_id} no longer exists")
    org_name = Org.select(Org.name).where(Org.id == integration.org_id).scalar()
    source, branch = _source_and_branch(job, integration.org_id, org_name)
    head = job.after_sha or _branch_head(source, branch, mirrors)
    if not head:
        raise LegacyJobError(
            f"legacy job for space {job.space_id} has no afterSha and the head of {source.repo} "
            f"branch {branch} cannot be asked (no provider API and no local mirror)"
        )
    with write_tx():
        stored = store_event(
            NewEvent(
                org_id=integration.org_id, source_id=source.id, event_jrn=job.event_jrn, head_sha=head,
                before_sha=job.cursor_sha, branch=branch, repo=source.repo, affected_space_ids=[job.space_id],
                integration_id=integration.id, origin="legacy", version=LEGACY_VERSION,
            ),
            with_job=False,
        )
        event = stored.event
        if job.space_id not in event.affected_space_ids:
            spaces = merge_space_ids(event.affected_space_ids, [job.space_id])
            SourceEvent.update(affected_space_ids=spaces).where(SourceEvent.id == event.id).execute()
            event.affected_space_ids = spaces
        EventJob.update(event=event.id, source_id=source.id, branch_key=branch or "").where(
            EventJob.id == row.id
        ).execute()
    return Resolved(event, job.space_id, job.kill_sandbox)


def _source_and_branch(job: LegacyJob, org_id: int, org_name: str) -> tuple[Source, str]:
    if job.source_id is not None:
        source = Source.get_or_none(Source.id == job.source_id, Source.org == org_id)
        if source is None:
            raise LegacyJobError(f"source {job.source_id} no longer exists")
        candidates = [source]
    else:  # the sources bound to the job's space whose pushes have this JRN
        candidates = list(
            Source.select().join(SpaceSource).where(
                SpaceSource.space == job.space_id, Source.org == org_id, Source.repo.is_null(False)
            ).order_by(Source.id)
        )
    found = [(s, b) for s in candidates if (b := _branch_of(s, org_name, job.event_jrn)) is not None]
    if not found:
        raise LegacyJobError(f"no source bound to space {job.space_id} has pushes with JRN {job.event_jrn}")
    if len(found) > 1:
        ids = ", ".join(str(s.id) for s, _ in found)
        raise LegacyJobError(f"several sources match JRN {job.event_jrn} ({ids}); the job needs a sourceId")
    return found[0]


def _branch_of(source: Source, org_name: str, jrn: str) -> str | None:
    """The branch whose push to ``source`` has JRN ``jrn``, or ``None``."""
    if not source.repo:
        return None
    if source.branch:
        return source.branch if event_jrn_for(org_name, source.repo, source.branch) == jrn else None
    marker = "jolli-branch-marker"
    prefix, _, suffix = event_jrn_for(org_name, source.repo, marker).partition(marker)
    if jrn.startswith(prefix) and jrn.endswith(suffix) and len(jrn) > len(prefix) + len(suffix):
        return jrn[len(prefix) : len(jrn) - len(suffix)]
    return None


def _branch_head(source: Source, branch: str, mirrors: str | None) -> str | None:
    """The branch head from the provider API, else from a local mirror, else ``None``."""
    try:
        found = provider_client(source)
        if found is not None:
            client, repo = found
            return str(client.branch_head(repo, branch))
    except Exception:  # noqa: BLE001, S110 - fall back to the mirror
        pass
    path = mirror_path(mirrors, source.repo)
    if path:
        out = subprocess.run(["git", "-C", path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                             capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    return None
