"""Checks of every source on a schedule (issue 13): the schedule, the pauses, and webhook-gap accounting.

- ``source_check``: one row per checked source: when it is next due (``due_at``, Unix seconds), who holds
  its check (``claimed_by`` until ``claimed_until``: at most one check of a source at a time, across
  workers and machines), an interval of its own, the validators of the last answer (``etag``,
  ``last_modified``: the next request is conditional), and the last check's time, result and event.
- ``integration_check``: per integration, an interval of its own and a pause (``paused_until``, with the
  reason) after the provider said to slow down (429, a secondary-limit 403, a spent quota).
- ``source_event.webhook_at``: when a webhook delivered a push a check had already stored (so the push is
  not a webhook gap).
- Indexes: the due checks in ``due_at`` order; an integration's last verified delivery (its newest
  webhook event, or newest recorded delivery) and its poll events of the last day.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    real = "DOUBLE PRECISION"
    db.execute_sql(
        'CREATE TABLE "source_check" ('
        '"source_id" INTEGER NOT NULL PRIMARY KEY REFERENCES "source" ("id") ON DELETE CASCADE, '
        f'"due_at" {real} NOT NULL, "interval_seconds" {real}, '
        f'"claimed_by" VARCHAR(128), "claimed_until" {real}, '
        '"etag" VARCHAR(512), "last_modified" VARCHAR(128), "last_value" VARCHAR(512), '
        f'"checked_at" {real}, "result" VARCHAR(16), "detail" TEXT, "event_id" BIGINT, '
        '"failures" INTEGER NOT NULL DEFAULT 0)'
    )
    db.execute_sql('CREATE INDEX "source_check_due" ON "source_check" ("due_at")')
    db.execute_sql(
        'CREATE TABLE "integration_check" ('
        '"integration_id" INTEGER NOT NULL PRIMARY KEY REFERENCES "integration" ("id") ON DELETE CASCADE, '
        f'"interval_seconds" {real}, "paused_until" {real}, "pause_reason" TEXT)'
    )
    db.execute_sql('ALTER TABLE "source_event" ADD COLUMN "webhook_at" TIMESTAMP')
    db.execute_sql('CREATE INDEX "source_event_integration_origin" ON "source_event" '
                   '("integration_id", "origin", "received_at")')
    db.execute_sql('CREATE INDEX "webhook_delivery_integration_received" ON "webhook_delivery" '
                   '("integration_id", "received_at")')
