"""Tables of event processing: source events, their jobs, per-space state, audit, leases, cursor history.

The schema is created and changed only by ``jolli/store/migrations/0002_events.py``; these classes are
how the code reads and writes it. Times are stored as naive UTC and read back as aware UTC.

- :class:`SourceEvent`: one push to one source; unique on ``(source, event_jrn, head_sha)`` (idempotency).
- :class:`EventJob`: the queue. One job per event (``kind="event"``) or one legacy per-space job.
- :class:`EventSpace`: the state of one (event, space): unique, so a space is processed once per event.
- :class:`SpaceAudit`: append-only outcomes (processed, skipped-duplicate, skipped-stale, failed).
- :class:`SourceLease`: who may process ``(source, branch)`` until when.
- :class:`CursorHistory`: every compare-and-swap advance of a source cursor, one row per version.
- :class:`WebhookDelivery`: a verified delivery that created no event (ignored: tags, pings...; duplicates).
"""

from __future__ import annotations

import json
from typing import Any

import peewee

from jolli.events.status import EventKind, EventStatus, JobKind, JobStatus, Origin
from jolli.store.models import BaseModel, Integration, Org, Source, UTCDateTimeField, utcnow

#: Payload version of a fanout source event (one event, many spaces).
FANOUT_VERSION = 2
#: Payload version given to events that were created from a legacy per-space job.
LEGACY_VERSION = 1


class JSONTextField(peewee.TextField):
    """JSON kept as text (portable between SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class SourceEvent(BaseModel):
    """One push to one source, processed once for each affected space."""

    id = peewee.AutoField()
    org_id: int
    source_id: int
    integration_id: int | None
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE", index=False)  # (org, status) covers it
    source = peewee.ForeignKeyField(Source, backref="events", on_delete="CASCADE", index=False)  # unique key covers it
    # indexed by source_event_integration_origin (migration 0007), whose first column it is (migration 0012)
    integration = peewee.ForeignKeyField(Integration, null=True, on_delete="SET NULL", index=False)
    event_jrn = peewee.CharField(max_length=1024)
    head_sha = peewee.CharField(max_length=512)
    before_sha = peewee.CharField(max_length=512, null=True)
    repo = peewee.CharField(max_length=512, null=True)
    branch = peewee.CharField(max_length=255, null=True)
    affected_space_ids = JSONTextField(default=list)
    version = peewee.IntegerField(default=FANOUT_VERSION)
    origin = peewee.CharField(max_length=16, default=Origin.WEBHOOK)  # an Origin
    kind = peewee.CharField(max_length=16, default=EventKind.PUSH)  # an EventKind
    forced = peewee.BooleanField(default=False)
    status = peewee.CharField(max_length=16, default=EventStatus.QUEUED)  # an EventStatus
    delivery_id = peewee.CharField(max_length=255, null=True)
    received_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)
    commits = JSONTextField(null=True)  # the commit ids the provider listed for the push (order evidence)
    order_assumed = peewee.BooleanField(default=False)  # applied with no evidence of its order (held first)

    class Meta:
        table_name = "source_event"
        indexes = (
            (("source", "event_jrn", "head_sha"), True),
            (("org", "status"), False),
            (("source", "id"), False),
        )


class EventJob(BaseModel):
    """A queued unit of work: a fanout event, or a legacy per-space job (``payload``).

    An event's job is made by the database, in the statement that inserts a queued push (the trigger
    ``source_event_job``, migration 0013); :func:`jolli.events.store.enqueue_job` queues an existing event
    again."""

    id = peewee.AutoField()
    org_id: int | None
    event_id: int | None
    org = peewee.ForeignKeyField(Org, null=True, on_delete="CASCADE", index=False)  # read by no query
    kind = peewee.CharField(max_length=16, default=JobKind.EVENT)  # a JobKind
    event = peewee.ForeignKeyField(SourceEvent, null=True, backref="jobs", on_delete="CASCADE")
    dedupe_key = peewee.CharField(max_length=64, null=True, unique=True)  # "event:<id>" for event jobs
    payload = JSONTextField(null=True)  # the legacy per-space job, as queued
    source_id = peewee.IntegerField(null=True)  # lease key, once known
    branch_key = peewee.CharField(max_length=255, default="")
    status = peewee.CharField(max_length=16, default=JobStatus.QUEUED)  # a JobStatus
    run_after = UTCDateTimeField(default=utcnow)
    claimed_by = peewee.CharField(max_length=128, null=True)
    claimed_until = UTCDateTimeField(null=True)
    takeovers = peewee.IntegerField(default=0)  # claims of a job whose worker stopped renewing it
    failures = peewee.IntegerField(default=0)  # job-level errors (not per-space hook failures)
    last_error = peewee.TextField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "event_job"
        # Claims read the partial indexes ``event_job_due`` and ``event_job_stale`` (migration 0011).


class EventSpace(BaseModel):
    """Where one space stands for one event; the unique key makes "processed twice" impossible."""

    id = peewee.AutoField()
    event_id: int
    event = peewee.ForeignKeyField(SourceEvent, backref="spaces", on_delete="CASCADE")
    space_id = peewee.IntegerField()
    job_id = peewee.IntegerField(null=True)  # the job that recorded the latest state
    status = peewee.CharField(max_length=16)  # a SpaceStatus
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    reason = peewee.TextField(null=True)
    detail = JSONTextField(null=True)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "event_space"
        indexes = ((("event", "space_id"), True),)


class SpaceAudit(BaseModel):
    """One outcome for one (event, space): processed, skipped-duplicate, skipped-stale or failed."""

    id = peewee.AutoField()
    org_id: int
    event_id: int | None
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    event = peewee.ForeignKeyField(SourceEvent, null=True, backref="audit", on_delete="CASCADE")
    job_id = peewee.IntegerField(null=True)
    space_id = peewee.IntegerField()
    source_id = peewee.IntegerField()
    event_jrn = peewee.CharField(max_length=1024)
    head_sha = peewee.CharField(max_length=512)
    outcome = peewee.CharField(max_length=24)  # an Outcome
    reason = peewee.TextField(null=True)
    attempt = peewee.IntegerField(default=1)
    detail = JSONTextField(null=True)
    worker = peewee.CharField(max_length=128, null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "space_audit"
        indexes = (
            (("space_id", "id"), False),
            (("event", "space_id"), False),
        )


class SourceLease(BaseModel):
    """The right to process one ``(source, branch)`` until ``expires_at``."""

    id = peewee.AutoField()
    source_id = peewee.IntegerField()
    branch_key = peewee.CharField(max_length=255)  # the branch, or "" for none
    holder = peewee.CharField(max_length=128)
    expires_at = UTCDateTimeField()
    acquired_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "source_lease"
        indexes = ((("source_id", "branch_key"), True),)


class CursorHistory(BaseModel):
    """One compare-and-swap advance of a source cursor (``version`` is the new ``cursor_version``)."""

    id = peewee.AutoField()
    source_id: int
    event_id: int | None
    source = peewee.ForeignKeyField(Source, backref="cursor_history", on_delete="CASCADE")
    version = peewee.IntegerField()
    old_value = peewee.CharField(max_length=512, null=True)
    new_value = peewee.CharField(max_length=512)
    event = peewee.ForeignKeyField(SourceEvent, null=True, on_delete="SET NULL")
    worker = peewee.CharField(max_length=128, null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "cursor_history"
        indexes = ((("source", "version"), True),)


class WebhookDelivery(BaseModel):
    """A verified delivery that created no event: ignored (and why) or a duplicate (of which events)."""

    id = peewee.AutoField()
    org_id: int
    integration_id: int
    org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
    integration = peewee.ForeignKeyField(Integration, on_delete="CASCADE")
    provider = peewee.CharField(max_length=64)
    delivery_id = peewee.CharField(max_length=255, null=True)
    outcome = peewee.CharField(max_length=16)  # a DeliveryOutcome
    reason = peewee.TextField(null=True)
    refs = JSONTextField(null=True)  # ["host/owner/repo refs/heads/main"]
    event_ids = JSONTextField(null=True)
    received_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_delivery"
        indexes = ((("integration", "id"), False),)


EVENT_MODELS: list[type[BaseModel]] = [
    SourceEvent,
    EventJob,
    EventSpace,
    SpaceAudit,
    SourceLease,
    CursorHistory,
    WebhookDelivery,
]
