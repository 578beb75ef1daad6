"""Drop indexes that only repeat the leading column of another index.

``source_event(source_id)`` is the prefix of the unique ``(source_id, event_jrn, head_sha)``;
``source_event(org_id)`` is the prefix of ``(org_id, status)``; ``event_job(org_id)`` is read by no query
(orgs are never deleted through jolli). Each one was written on every webhook delivery for nothing.
"""

from __future__ import annotations

from typing import Any

import peewee

REDUNDANT = (  # (table, index)
    ("source_event", "source_event_source_id"),
    ("source_event", "source_event_org_id"),
    ("event_job", "event_job_org_id"),
)


def up(migrator: Any, db: peewee.Database) -> None:
    for _table, index in REDUNDANT:
        db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
