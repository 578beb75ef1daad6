"""Source events: events, jobs, per-space state, audit, leases, cursor history, webhook deliveries.

Frozen copies of the tables as they were when this migration was written (never the live models).
The unique indexes carry the guarantees: one event per ``(source, event_jrn, head_sha)``, one job per
event, one state per ``(event, space)``, one lease per ``(source, branch)``, one history row per
``(source, cursor version)``.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    # Registry tables this migration points at (already created by 0001; not created here).
    class Org(Base):
        pass

    class Integration(Base):
        pass

    class Source(Base):
        pass

    class SourceEvent(Base):
        org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
        source = peewee.ForeignKeyField(Source, on_delete="CASCADE")
        integration = peewee.ForeignKeyField(Integration, null=True, on_delete="SET NULL")
        event_jrn = peewee.CharField(max_length=1024)
        head_sha = peewee.CharField(max_length=512)
        before_sha = peewee.CharField(max_length=512, null=True)
        repo = peewee.CharField(max_length=512, null=True)
        branch = peewee.CharField(max_length=255, null=True)
        affected_space_ids = peewee.TextField()
        version = peewee.IntegerField(default=2)
        origin = peewee.CharField(max_length=16, default="webhook")
        kind = peewee.CharField(max_length=16, default="push")
        forced = peewee.BooleanField(default=False)
        status = peewee.CharField(max_length=16, default="queued")
        delivery_id = peewee.CharField(max_length=255, null=True)
        received_at = peewee.DateTimeField()
        finished_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "source_event"
            indexes = (
                (("source", "event_jrn", "head_sha"), True),
                (("org", "status"), False),
            )

    class EventJob(Base):
        org = peewee.ForeignKeyField(Org, null=True, on_delete="CASCADE")
        kind = peewee.CharField(max_length=16, default="event")
        event = peewee.ForeignKeyField(SourceEvent, null=True, on_delete="CASCADE")
        dedupe_key = peewee.CharField(max_length=64, null=True, unique=True)
        payload = peewee.TextField(null=True)
        source_id = peewee.IntegerField(null=True)
        branch_key = peewee.CharField(max_length=255, default="")
        status = peewee.CharField(max_length=16, default="queued")
        run_after = peewee.DateTimeField()
        claimed_by = peewee.CharField(max_length=128, null=True)
        claimed_until = peewee.DateTimeField(null=True)
        takeovers = peewee.IntegerField(default=0)
        failures = peewee.IntegerField(default=0)
        last_error = peewee.TextField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()
        finished_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "event_job"
            indexes = ((("status", "run_after"), False),)

    class EventSpace(Base):
        event = peewee.ForeignKeyField(SourceEvent, on_delete="CASCADE")
        space_id = peewee.IntegerField()
        job_id = peewee.IntegerField(null=True)
        status = peewee.CharField(max_length=16)
        attempts = peewee.IntegerField(default=0)
        next_attempt_at = peewee.DateTimeField(null=True)
        reason = peewee.TextField(null=True)
        detail = peewee.TextField(null=True)
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "event_space"
            indexes = ((("event", "space_id"), True),)

    class SpaceAudit(Base):
        org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
        event = peewee.ForeignKeyField(SourceEvent, null=True, on_delete="CASCADE")
        job_id = peewee.IntegerField(null=True)
        space_id = peewee.IntegerField()
        source_id = peewee.IntegerField()
        event_jrn = peewee.CharField(max_length=1024)
        head_sha = peewee.CharField(max_length=512)
        outcome = peewee.CharField(max_length=24)
        reason = peewee.TextField(null=True)
        attempt = peewee.IntegerField(default=1)
        detail = peewee.TextField(null=True)
        worker = peewee.CharField(max_length=128, null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "space_audit"
            indexes = (
                (("space_id", "id"), False),
                (("event", "space_id"), False),
            )

    class SourceLease(Base):
        source_id = peewee.IntegerField()
        branch_key = peewee.CharField(max_length=255)
        holder = peewee.CharField(max_length=128)
        expires_at = peewee.DateTimeField()
        acquired_at = peewee.DateTimeField()

        class Meta:
            table_name = "source_lease"
            indexes = ((("source_id", "branch_key"), True),)

    class CursorHistory(Base):
        source = peewee.ForeignKeyField(Source, on_delete="CASCADE")
        version = peewee.IntegerField()
        old_value = peewee.CharField(max_length=512, null=True)
        new_value = peewee.CharField(max_length=512)
        event = peewee.ForeignKeyField(SourceEvent, null=True, on_delete="SET NULL")
        worker = peewee.CharField(max_length=128, null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "cursor_history"
            indexes = ((("source", "version"), True),)

    class WebhookDelivery(Base):
        org = peewee.ForeignKeyField(Org, on_delete="CASCADE")
        integration = peewee.ForeignKeyField(Integration, on_delete="CASCADE")
        provider = peewee.CharField(max_length=64)
        delivery_id = peewee.CharField(max_length=255, null=True)
        outcome = peewee.CharField(max_length=16)
        reason = peewee.TextField(null=True)
        refs = peewee.TextField(null=True)
        event_ids = peewee.TextField(null=True)
        received_at = peewee.DateTimeField()

        class Meta:
            table_name = "webhook_delivery"
            indexes = ((("integration", "id"), False),)

    db.create_tables([SourceEvent, EventJob, EventSpace, SpaceAudit, SourceLease, CursorHistory, WebhookDelivery])
