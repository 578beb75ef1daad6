"""The registry: orgs, API tokens, integrations, sources, spaces and their bindings.

Frozen copies of the models as they were when this migration was written (never the live models).
"""

from __future__ import annotations

from typing import Any

import peewee


def up(migrator: Any, db: peewee.Database) -> None:
    class Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Org(Base):
        name = peewee.CharField(max_length=128, unique=True)
        created_at = peewee.DateTimeField()

    class ApiToken(Base):
        org = peewee.ForeignKeyField(Org, backref="tokens", on_delete="CASCADE")
        name = peewee.CharField(max_length=128, null=True)
        token_hash = peewee.CharField(max_length=64, unique=True)
        prefix = peewee.CharField(max_length=16)
        created_at = peewee.DateTimeField()
        last_used_at = peewee.DateTimeField(null=True)
        revoked_at = peewee.DateTimeField(null=True)

    class Integration(Base):
        org = peewee.ForeignKeyField(Org, backref="integrations", on_delete="CASCADE")
        provider = peewee.CharField(max_length=64)
        host = peewee.CharField(max_length=255, index=True)
        owner = peewee.CharField(max_length=255, null=True)
        repos = peewee.TextField(null=True)
        name = peewee.CharField(max_length=128, null=True)
        installation_id = peewee.CharField(max_length=128, null=True)
        api_base_url = peewee.CharField(max_length=512, null=True)
        webhook_secret = peewee.CharField(max_length=512, null=True)
        access_token = peewee.CharField(max_length=2048, null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("org", "name"), True), (("org", "id"), False))

    class Source(Base):
        org = peewee.ForeignKeyField(Org, backref="sources", on_delete="CASCADE")
        name = peewee.CharField(max_length=128)
        type = peewee.CharField(max_length=64)
        repo = peewee.CharField(max_length=512, null=True, index=True)
        branch = peewee.CharField(max_length=255, null=True)
        integration = peewee.ForeignKeyField(Integration, null=True, backref="sources", on_delete="RESTRICT")
        enabled = peewee.BooleanField(default=True)
        fields = peewee.TextField(null=True)
        cursor_value = peewee.CharField(max_length=512, null=True)
        cursor_updated_at = peewee.DateTimeField(null=True)
        cursor_version = peewee.IntegerField(default=0)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("org", "name"), True), (("org", "id"), False))

    class Space(Base):
        org = peewee.ForeignKeyField(Org, backref="spaces", on_delete="CASCADE")
        name = peewee.CharField(max_length=128)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("org", "name"), True), (("org", "id"), False))

    class SpaceSource(Base):
        space = peewee.ForeignKeyField(Space, backref="bindings", on_delete="CASCADE")
        source = peewee.ForeignKeyField(Source, backref="bindings", on_delete="CASCADE")
        jrn_pattern = peewee.CharField(max_length=1024, null=True)
        enabled = peewee.BooleanField(default=True)
        created_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("space", "source"), True),)

    db.create_tables([Org, ApiToken, Integration, Source, Space, SpaceSource])
