"""Credentials in their own shapes (issue 14): GitHub Apps, app passwords, credential kinds.

Adds to ``integration``: ``credential_kind`` (a kind the provider declares; null: the provider's default),
``app_id`` and ``private_key`` (a GitHub App and its PEM key, encrypted like every secret),
``username`` and ``app_password`` (HTTP Basic, e.g. a Bitbucket Cloud app password, encrypted), and
``token_expires_at`` (when a static token expires, if the user said). An index on ``(org_id, app_id)``
finds the integrations of one App when its webhook delivery is routed by installation.
"""

from __future__ import annotations

from typing import Any

import peewee
from playhouse.migrate import migrate


def up(migrator: Any, db: peewee.Database) -> None:
    migrate(
        migrator.add_column("integration", "credential_kind", peewee.CharField(max_length=32, null=True)),
        migrator.add_column("integration", "app_id", peewee.CharField(max_length=64, null=True)),
        migrator.add_column("integration", "private_key", peewee.TextField(null=True)),
        migrator.add_column("integration", "username", peewee.CharField(max_length=255, null=True)),
        migrator.add_column("integration", "app_password", peewee.TextField(null=True)),
        migrator.add_column("integration", "token_expires_at", peewee.DateTimeField(null=True)),
    )
    db.execute_sql('CREATE INDEX "integration_org_app" ON "integration" ("org_id", "app_id")')
