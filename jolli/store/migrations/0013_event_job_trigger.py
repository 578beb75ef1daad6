"""A new source event gets its job from the database, in the statement that inserts the event.

The trigger ``source_event_job`` runs after every insert of a ``source_event`` row that is a queued push
not made by a legacy job (a legacy job is its own job) and inserts its ``event_job``: kind ``event``, dedupe
key ``event:<id>``, queued, due (and created) at the event's ``received_at``. So storing a push is one
statement, which on SQLite is one call into the library with the write lock held for nothing else
(``bench/bench_events_intake.py``), and no code path can store a queued event without its job. Queueing an
existing event again (a retry, a legacy event a push reaches) stays with
:func:`jolli.events.store.enqueue_job`.
"""

from __future__ import annotations

from typing import Any

import peewee

#: The trigger's insert, the same on both stores (``NEW`` is the inserted event).
JOB_INSERT = (
    'INSERT INTO "event_job" ("org_id", "kind", "event_id", "dedupe_key", "source_id", "branch_key", "status", '
    '"run_after", "takeovers", "failures", "created_at", "updated_at") VALUES (NEW."org_id", \'event\', NEW."id", '
    "'event:' || NEW.\"id\", NEW.\"source_id\", COALESCE(NEW.\"branch\", ''), 'queued', NEW.\"received_at\", 0, 0, "
    'NEW."received_at", NEW."received_at");'
)
WHEN = "NEW.\"kind\" = 'push' AND NEW.\"status\" = 'queued' AND NEW.\"origin\" <> 'legacy'"


def up(migrator: Any, db: peewee.Database) -> None:
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql('CREATE FUNCTION "source_event_job"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
                       f"{JOB_INSERT} RETURN NULL; END $$")
        db.execute_sql(f'CREATE TRIGGER "source_event_job" AFTER INSERT ON "source_event" FOR EACH ROW '
                       f'WHEN ({WHEN}) EXECUTE FUNCTION "source_event_job"()')
    else:
        db.execute_sql(f'CREATE TRIGGER "source_event_job" AFTER INSERT ON "source_event" WHEN {WHEN} '
                       f"BEGIN {JOB_INSERT} END")
