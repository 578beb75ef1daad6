"""Index the lookup every webhook delivery makes: an org's sources by lower-cased repository.

Coordinates keep the owner's and the name's case as the provider reports them, and matching ignores case,
so the receiver asks for ``LOWER(repo) = ?`` within an org: the plain ``source(repo)`` index cannot answer
that, and each delivery read every source of its org. An expression index on ``(org_id, LOWER(repo))``
(SQLite 3.9+ and PostgreSQL both have them) keeps a delivery's cost flat however many sources an org has.
The table is analysed at once: until the planner has statistics on the new expression it may keep
reading the org's sources through another index.
"""

from __future__ import annotations

from typing import Any

import peewee

INDEX = "source_org_id_lower_repo"


def up(migrator: Any, db: peewee.Database) -> None:
    db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "source" ("org_id", LOWER("repo"))')
    db.execute_sql('ANALYZE "source"')
