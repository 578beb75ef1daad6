"""Legacy per-space jobs: ``{spaceId, integrationId, eventJrn, killSandbox, sourceId?, afterSha?, cursorSha?}``.

Jobs queued before the fanout shape are still processed, as source events with one affected space and
under the same rules. :class:`LegacyJobSchema` is the shape's one definition (the API loads bodies with it,
the OpenAPI document shows it, the worker reads queued payloads with it). A job is accepted only when its
space, integration and source (when named) belong to the caller's org and the source is bound to the
space. The worker resolves the job to the event of its idempotency key ``(sourceId, eventJrn, headSha)``
through the one store path (:func:`jolli.events.store.store_changes`, creating it with ``version`` 1 and
``origin`` ``legacy`` if the push has not arrived yet) and processes just that space, so a space is done
once whether its work arrives as a legacy job, as part of a fanout event, or as both.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, validate

from jolli.contracts import MAX_ID, StrictSchema, storable_text
from jolli.errors import InvalidInput, NotFound
from jolli.events import leases
from jolli.events.errors import LegacyJobError
from jolli.events.staleness import mirror_path, provider_client
from jolli.events.status import JobKind, JobStatus, Origin
from jolli.events.store import ObservedChange, Producer, event_jrn_for, store_changes
from jolli.events.tables import EventJob
from jolli.store import sql as raw
from jolli.store.models import Integration, Source, Space, SpaceSource, utcnow
from jolli.store.sql import write_tx

_ID = validate.Range(min=1, max=MAX_ID)


class LegacyJobSchema(StrictSchema):
    """A per-space job in the legacy shape (what the previous producer queued)."""

    space_id = fields.Integer(data_key="spaceId", required=True, strict=True, validate=_ID)
    integration_id = fields.Integer(data_key="integrationId", required=True, strict=True, validate=_ID)
    event_jrn = fields.String(data_key="eventJrn", required=True,
                              validate=[validate.Length(min=1, max=1024), storable_text])
    kill_sandbox = fields.Boolean(data_key="killSandbox", load_default=False, truthy={True}, falsy={False})
    source_id = fields.Integer(data_key="sourceId", strict=True, validate=_ID)
    after_sha = fields.String(data_key="afterSha", validate=[validate.Length(min=1, max=512), storable_text])
    cursor_sha = fields.String(data_key="cursorSha", validate=[validate.Length(min=1, max=512), storable_text])


#: One instance, built once: a marshmallow schema costs more to build than to load a job with.
_SCHEMA = LegacyJobSchema()


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
    def load(cls, payload: Any) -> LegacyJob:
        """A job from its JSON payload, checked by :class:`LegacyJobSchema`; ``InvalidInput`` naming each bad
        field otherwise."""
        if not isinstance(payload, dict):
            raise InvalidInput("a legacy job must be a JSON object", fields={"_body": ["must be an object"]})
        try:
            data = _SCHEMA.load(payload)
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
            raise InvalidInput("invalid legacy job: " + ", ".join(sorted(map(str, messages))),
                               fields={str(k): v for k, v in messages.items()}) from None
        return cls(data["space_id"], data["integration_id"], data["event_jrn"], bool(data.get("kill_sandbox")),
                   data.get("source_id"), data.get("after_sha"), data.get("cursor_sha"))

    def to_payload(self) -> dict[str, Any]:
        body: dict[str, Any] = _SCHEMA.dump(self)
        return {key: value for key, value in body.items() if value is not None}


def enqueue(payload: Any, *, org_id: int) -> EventJob:
    """Queue one legacy job for org ``org_id``: 400 naming each bad field, 404 for an id of another org (as
    for a missing one), 400 for a source not bound to the space."""
    job = LegacyJob.load(payload)
    integration = Integration.get_or_none(Integration.id == job.integration_id, Integration.org == org_id)
    if integration is None:
        raise NotFound(f"no integration {job.integration_id}", fields={"integrationId": ["no such integration"]})
    if Space.get_or_none(Space.id == job.space_id, Space.org == org_id) is None:
        raise NotFound(f"no space {job.space_id}", fields={"spaceId": ["no such space"]})
    if job.source_id is not None:
        if Source.get_or_none(Source.id == job.source_id, Source.org == org_id) is None:
            raise NotFound(f"no source {job.source_id}", fields={"sourceId": ["no such source"]})
        bound = SpaceSource.get_or_none(SpaceSource.space == job.space_id, SpaceSource.source == job.source_id)
        if bound is None:
            raise InvalidInput(f"source {job.source_id} is not bound to space {job.space_id}; bind it first "
                               f"(POST /api/spaces/{job.space_id}/sources)",
                               fields={"sourceId": [f"not bound to space {job.space_id}"]})
    now = utcnow()
    return EventJob.create(
        org=org_id, kind=JobKind.LEGACY, payload=job.to_payload(), source_id=None,  # set once resolved
        status=JobStatus.QUEUED, run_after=now, created_at=now, updated_at=now,
    )


@dataclass(frozen=True)
class Resolved:
    """A legacy job turned into its source event and its one space (``leased``: the lease of the event's
    branch was taken for the worker in the same transaction)."""

    event_id: int
    space_id: int
    kill_sandbox: bool
    source_id: int
    branch: str
    leased: bool = False


#: The source's columns, read with the job's integration and org in one statement.
_SOURCE_COLUMNS = raw.columns(Source)
_CONTEXT = (
    "SELECT i.provider, o.name, " + ", ".join("s." + name for name in _SOURCE_COLUMNS) + " FROM integration i "
    "JOIN org o ON o.id = i.org_id LEFT JOIN source s ON s.id = ? AND s.org_id = i.org_id "
    "WHERE i.id = ? AND i.org_id = ?"
)


def resolve(row: EventJob, *, mirrors: str | None = None, lease: tuple[str, float] | None = None) -> Resolved:
    """The source event a legacy job belongs to (created if missing, its space merged in).

    ``lease``: ``(holder, seconds)``, to take the lease of the event's branch in the transaction that
    resolves the job (one commit fewer than taking it after)."""
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload or "null")
    try:
        job = LegacyJob.load(payload)
    except InvalidInput as exc:
        raise LegacyJobError(exc.message, fields=exc.fields) from None
    org_id = int(row.org_id or 0)
    found = raw.rows(_CONTEXT, (job.source_id, job.integration_id, org_id))
    if not found:
        raise LegacyJobError(f"integration {job.integration_id} no longer exists")
    provider, org_name = str(found[0][0]), str(found[0][1])
    named = raw.instance(Source, _SOURCE_COLUMNS, found[0][2:]) if found[0][2] is not None else None
    source, branch = _source_and_branch(job, org_id, org_name, named)
    head = job.after_sha or _branch_head(source, branch, mirrors)
    if not head:
        raise LegacyJobError(
            f"legacy job for space {job.space_id} has no afterSha and the head of {source.repo} "
            f"branch {branch} cannot be asked (no provider API and no local mirror)"
        )
    change = ObservedChange(ref=f"refs/heads/{branch}", head=head, origin=Origin.LEGACY, repo=source.repo,
                            before=job.cursor_sha, source_id=source.id, event_jrn=job.event_jrn,
                            space_ids=(job.space_id,))
    with write_tx():
        stored = store_changes(Producer(org_id, org_name, job.integration_id, provider), [change])
        if not stored.event_ids:
            raise LegacyJobError(f"legacy job for space {job.space_id}: {stored.reason}")
        raw.execute("UPDATE event_job SET event_id = ?, source_id = ?, branch_key = ? WHERE id = ?",
                    (stored.event_ids[0], source.id, branch or "", row.id))
        leased = lease is not None and leases.acquire(source.id, branch, lease[0], lease[1])
    return Resolved(stored.event_ids[0], job.space_id, job.kill_sandbox, source.id, branch, leased)


def _source_and_branch(job: LegacyJob, org_id: int, org_name: str, named: Source | None) -> tuple[Source, str]:
    """The job's source (``named``: the one its ``sourceId`` names, read with the integration) and branch."""
    if job.source_id is not None:
        if named is None:
            raise LegacyJobError(f"source {job.source_id} no longer exists")
        candidates = [named]
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
