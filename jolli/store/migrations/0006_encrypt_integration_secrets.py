"""Encrypt integrations' secrets at rest, and let a previous webhook secret verify until a set time.

Adds ``previous_webhook_secret`` (encrypted like the others) and ``previous_secret_until``; widens the two
secret columns to TEXT on PostgreSQL (a Fernet token is about 1.4x its plain text plus ~100 characters;
SQLite does not enforce VARCHAR lengths); then encrypts every plain secret with the newest key of
:mod:`jolli.secrets`, creating the key file if no key is configured and there is a secret. It runs in one transaction: a missing
or wrong key stops it before anything is written, and a value already encrypted is left as it is.
"""

from __future__ import annotations

from typing import Any

import peewee
from playhouse.migrate import migrate

from jolli import secrets

COLUMNS = ("webhook_secret", "access_token")


def up(migrator: Any, db: peewee.Database) -> None:
    if isinstance(db, peewee.PostgresqlDatabase):
        for column in COLUMNS:
            db.execute_sql(f'ALTER TABLE "integration" ALTER COLUMN "{column}" TYPE TEXT')
    migrate(
        migrator.add_column("integration", "previous_webhook_secret", peewee.TextField(null=True)),
        migrator.add_column("integration", "previous_secret_until", peewee.DateTimeField(null=True)),
    )
    rows = db.execute_sql('SELECT "id", "webhook_secret", "access_token" FROM "integration"').fetchall()
    values = [value for row in rows for value in row[1:] if value is not None]
    if values:  # with nothing to encrypt, no key is needed yet (it is made when the first secret is written)
        secrets.check_readable(values)
    param = db.param
    for row_id, *values in rows:
        changes = {column: secrets.encrypt(value) for column, value in zip(COLUMNS, values, strict=True)
                   if value is not None and not secrets.is_encrypted(value)}
        if changes:
            assignments = ", ".join(f'"{column}" = {param}' for column in changes)
            db.execute_sql(f'UPDATE "integration" SET {assignments} WHERE "id" = {param}',
                           (*changes.values(), row_id))
