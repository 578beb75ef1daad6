"""Claims read the jobs that are due, not every open job.

``event_job_open`` (migration 0005) kept the open jobs in id order, and a claim stopped at the first
claimable one: but a job that is not due yet (held for order evidence, or waiting out a retry's backoff)
sits in that order too, so with thousands of them ahead every claim read them all (16 ms a claim on
PostgreSQL with 4,000 held jobs). Two partial indexes replace it, each read in the order a claim wants:

- ``event_job_due``: queued jobs by due time, so the first row read is due, or none is;
- ``event_job_stale``: running jobs by the end of their claim, so a worker that stopped renewing is found
  at the front.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    db.execute_sql('CREATE INDEX IF NOT EXISTS "event_job_due" ON "event_job" ("run_after", "id") '
                   "WHERE status = 'queued'")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "event_job_stale" ON "event_job" ("claimed_until") '
                   "WHERE status = 'running'")
    db.execute_sql('DROP INDEX IF EXISTS "event_job_open"')
    db.execute_sql('ANALYZE "event_job"')
