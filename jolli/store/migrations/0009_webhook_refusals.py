"""Refused webhook deliveries, counted: ``webhook_refusal`` holds one row per integration, reason and hour.

A refusal (bad or missing signature, no secret set, a body too large or unreadable, a provider that does not
verify webhooks) adds one to the count of its row (an upsert), so a flood of forged deliveries grows a
number, not the table: at most one row per integration, reason (a fixed set) and hour, and rows older than
two days are deleted as new hours begin. Deliveries to an integration id that does not exist are not
counted per id. The rows go with their integration.
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    db.execute_sql(
        'CREATE TABLE "webhook_refusal" ('
        '"integration_id" INTEGER NOT NULL REFERENCES "integration" ("id") ON DELETE CASCADE, '
        '"reason" VARCHAR(32) NOT NULL, "hour" BIGINT NOT NULL, "refusals" BIGINT NOT NULL, '
        'PRIMARY KEY ("integration_id", "reason", "hour"))'
    )
    db.execute_sql('CREATE INDEX "webhook_refusal_hour" ON "webhook_refusal" ("hour")')
