"""Order evidence on source events, and the indexes that keep reads flat as events pile up.

- ``source_event.commits``: the commit ids the provider listed for a push (JSON; order evidence: each is a
  state the branch passed through before the head).
- ``source_event.order_assumed``: true when no evidence ordered the event and it was applied, after being
  held for evidence, in arrival order.
- ``source_event(source_id, id)``: a source's events newest first (the order people read them in) and the
  push chain of a branch, without sorting every event of the source.
- ``event_job_open``: a partial index on the open jobs (queued or running) in id order, so a claim stops at
  the first claimable job instead of sorting every queued one. It replaces ``event_job(status, run_after)``,
  with which SQLite's planner scanned the whole table (finished jobs included) for a claim.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    db.execute_sql('ALTER TABLE "source_event" ADD COLUMN "commits" TEXT')
    # A database default, so that every writer (plain SQL included) gets false without naming the column.
    db.execute_sql('ALTER TABLE "source_event" ADD COLUMN "order_assumed" BOOLEAN NOT NULL DEFAULT FALSE')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "source_event_source_id_id" ON "source_event" ("source_id", "id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "event_job_open" ON "event_job" ("id") '
                   "WHERE status IN ('queued', 'running')")
    db.execute_sql('DROP INDEX IF EXISTS "event_job_status_run_after"')
    db.execute_sql('ANALYZE "source_event"')
    db.execute_sql('ANALYZE "event_job"')
