"""Drop ``source_event_integration_id``: ``source_event_integration_origin`` (integration, origin, received
time; migration 0007) starts with the same column and serves every lookup it served (the foreign key's
``ON DELETE SET NULL`` included), so it only cost every stored event one more index entry.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    db.execute_sql('DROP INDEX IF EXISTS "source_event_integration_id"')
