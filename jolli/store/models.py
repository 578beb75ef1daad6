"""Tables of the registry: orgs, API tokens, integrations, sources, spaces and their bindings.

Event-processing tables (source events, jobs, leases, audit) live in :mod:`jolli.events.tables`.
The schema itself is created and changed only by the versioned migrations in ``jolli.store.migrations``
(``jolli db upgrade``); a change here needs a new migration there.
"""

from __future__ import annotations

from datetime import UTC, datetime

import peewee

from jolli import secrets
from jolli.store.db import database


def utcnow() -> datetime:
    """Now, in UTC (timezone-aware)."""
    return datetime.now(UTC)


class UTCDateTimeField(peewee.DateTimeField):
    """Stores UTC naive, returns aware UTC datetimes."""

    def db_value(self, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: object) -> datetime | None:
        result = super().python_value(value)
        if isinstance(result, datetime) and result.tzinfo is None:
            result = result.replace(tzinfo=UTC)
        return result


class EncryptedTextField(peewee.TextField):
    """Text stored encrypted (:mod:`jolli.secrets`): written with the newest key, read back as plain text.

    Plain values stored before migration 0006 read back as they are; ``jolli secrets rotate`` and the
    migration encrypt them."""

    def db_value(self, value: str | None) -> str | None:
        if value is None or secrets.is_encrypted(value):
            return value
        return secrets.encrypt(value)

    def python_value(self, value: str | None) -> str | None:
        return None if value is None else secrets.decrypt(value)


class BaseModel(peewee.Model):
    #: Declared (peewee adds the same implicitly) so type checkers know every model has ``id``.
    id = peewee.AutoField()

    class Meta:
        database = database
        legacy_table_names = False


class Org(BaseModel):
    name = peewee.CharField(max_length=128, unique=True)
    created_at = UTCDateTimeField(default=utcnow)


class ApiToken(BaseModel):
    """An API token: only its SHA-256 is stored; the token itself is shown once at creation."""

    org = peewee.ForeignKeyField(Org, backref="tokens", on_delete="CASCADE")
    org_id: int  # peewee adds the raw foreign-key column as ``<field>_id``
    name = peewee.CharField(max_length=128, null=True)
    token_hash = peewee.CharField(max_length=64, unique=True)
    prefix = peewee.CharField(max_length=16)  # the first characters, to tell tokens apart in listings
    created_at = UTCDateTimeField(default=utcnow)
    last_used_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)


class Integration(BaseModel):
    org = peewee.ForeignKeyField(Org, backref="integrations", on_delete="CASCADE")
    org_id: int
    provider = peewee.CharField(max_length=64)
    host = peewee.CharField(max_length=255, index=True)  # lower case
    owner = peewee.CharField(max_length=255, null=True)  # None: the whole host
    repos = peewee.TextField(null=True)  # JSON list of selected canonical repos; None: all
    name = peewee.CharField(max_length=128, null=True)
    installation_id = peewee.CharField(max_length=128, null=True)
    api_base_url = peewee.CharField(max_length=512, null=True)
    webhook_secret = EncryptedTextField(null=True)  # write-only in the API
    access_token = EncryptedTextField(null=True)  # write-only in the API
    #: The secret before the last change, still verifying deliveries until ``previous_secret_until``.
    previous_webhook_secret = EncryptedTextField(null=True)
    previous_secret_until = UTCDateTimeField(null=True)
    #: The credential's shape (a kind the provider declares, :mod:`jolli.credential`); None: the default.
    credential_kind = peewee.CharField(max_length=32, null=True)
    app_id = peewee.CharField(max_length=64, null=True)  # a GitHub App
    private_key = EncryptedTextField(null=True)  # the App's PEM key; write-only in the API
    username = peewee.CharField(max_length=255, null=True)  # HTTP Basic (Bitbucket app password)
    app_password = EncryptedTextField(null=True)  # write-only in the API
    token_expires_at = UTCDateTimeField(null=True)  # when the static token expires, if known
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("org", "name"), True), (("org", "id"), False))


class Source(BaseModel):
    org = peewee.ForeignKeyField(Org, backref="sources", on_delete="CASCADE")
    org_id: int
    name = peewee.CharField(max_length=128)
    type = peewee.CharField(max_length=64)
    repo = peewee.CharField(max_length=512, null=True, index=True)  # canonical host/owner/repo
    branch = peewee.CharField(max_length=255, null=True)
    integration = peewee.ForeignKeyField(Integration, null=True, backref="sources", on_delete="RESTRICT")
    integration_id: int | None
    enabled = peewee.BooleanField(default=True)
    fields = peewee.TextField(null=True)  # JSON: the source type's own fields (e.g. an archive URL)
    cursor_value = peewee.CharField(max_length=512, null=True)
    cursor_updated_at = UTCDateTimeField(null=True)
    cursor_version = peewee.IntegerField(default=0)  # compare-and-swap counter
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("org", "name"), True), (("org", "id"), False))


class Space(BaseModel):
    org = peewee.ForeignKeyField(Org, backref="spaces", on_delete="CASCADE")
    org_id: int
    name = peewee.CharField(max_length=128)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("org", "name"), True), (("org", "id"), False))


class SpaceSource(BaseModel):
    space = peewee.ForeignKeyField(Space, backref="bindings", on_delete="CASCADE")
    source = peewee.ForeignKeyField(Source, backref="bindings", on_delete="CASCADE")
    space_id: int
    source_id: int
    jrn_pattern = peewee.CharField(max_length=1024, null=True)
    enabled = peewee.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("space", "source"), True),)


REGISTRY_MODELS = [Org, ApiToken, Integration, Source, Space, SpaceSource]
