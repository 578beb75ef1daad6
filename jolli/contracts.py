"""The seed's contracts, defined once: typed records and the marshmallow schemas that give their JSON form.

JSON names are camelCase (``integrationId``, ``createdAt``); times are UTC ISO 8601. The API, the store
and the CLI all use these; request-specific schemas (create/patch) derive from them in ``jolli.api``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from jolli.coordinates import COORDINATE_RE

REPO_HINT = "a repo coordinate host/owner/repo, e.g. github.com/org/backend"
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z"
NAME_HINT = "1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"


# --- records ---------------------------------------------------------------------------------------
@dataclass
class SourceCursor:
    value: str
    updated_at: datetime


@dataclass
class Source:
    id: int
    name: str
    type: str
    repo: str | None = None
    branch: str | None = None
    integration_id: int | None = None
    enabled: bool = True
    cursor: SourceCursor | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class SpaceSource:
    space_id: int
    source_id: int
    jrn_pattern: str | None = None
    enabled: bool = True
    created_at: datetime | None = None


@dataclass
class Integration:
    id: int
    provider: str
    host: str
    owner: str | None = None  # None: the whole host
    repos: list[str] | None = None  # selected repos (canonical); None: every repo under host/owner
    name: str | None = None
    installation_id: str | None = None
    api_base_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class LocalSourceEntry:
    mount_path: str
    type: str = "git"
    repo: str | None = None
    branch: str | None = None


@dataclass
class LocalSourceConfig:
    version: int = 1
    mounts: dict[str, LocalSourceEntry] = field(default_factory=dict)
    virtual_sources: dict[str, LocalSourceEntry] = field(default_factory=dict)


# --- schemas ---------------------------------------------------------------------------------------
#: Largest id or version the store can hold (SQLite and PostgreSQL BIGINT).
MAX_ID = 2**63 - 1


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL, or a lone surrogate: not valid Unicode), or ``None``."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def storable_text(value: str) -> None:
    """A marshmallow validator: :func:`text_problem` as a validation error."""
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem)


class StrictSchema(Schema):
    """Unknown fields are an error, never silently dropped."""

    class Meta:
        unknown = RAISE


def repo_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(COORDINATE_RE, error=f"must be {REPO_HINT}"), allow_none=True, **kwargs
    )


class SourceCursorSchema(StrictSchema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=512))
    updated_at = fields.DateTime(data_key="updatedAt", dump_only=True)


class SourceSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Regexp(NAME_RE, error=f"must be {NAME_HINT}"))
    type = fields.String(required=True)
    repo = fields.String(allow_none=True)  # normalised and checked by the source type and coordinates
    branch = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    integration_id = fields.Integer(data_key="integrationId", allow_none=True, strict=True)
    enabled = fields.Boolean(load_default=True)
    cursor = fields.Nested(SourceCursorSchema, dump_only=True, allow_none=True)
    created_at = fields.DateTime(data_key="createdAt", dump_only=True)
    updated_at = fields.DateTime(data_key="updatedAt", dump_only=True)


class SpaceSourceSchema(StrictSchema):
    space_id = fields.Integer(data_key="spaceId", dump_only=True)
    source_id = fields.Integer(data_key="sourceId", required=True, strict=True)
    jrn_pattern = fields.String(data_key="jrnPattern", allow_none=True, validate=validate.Length(max=1024))
    enabled = fields.Boolean(load_default=True)
    created_at = fields.DateTime(data_key="createdAt", dump_only=True)


class IntegrationSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    provider = fields.String(required=True)
    host = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9.-]+$", error="must be a host name"))
    owner = fields.String(allow_none=True)
    repos = fields.List(repo_field(), allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=128))
    installation_id = fields.String(data_key="installationId", allow_none=True)
    api_base_url = fields.Url(data_key="apiBaseUrl", allow_none=True, require_tld=False)
    webhook_secret = fields.String(data_key="webhookSecret", load_only=True, allow_none=True)
    access_token = fields.String(data_key="accessToken", load_only=True, allow_none=True)
    webhook_url = fields.String(data_key="webhookUrl", dump_only=True)
    created_at = fields.DateTime(data_key="createdAt", dump_only=True)
    updated_at = fields.DateTime(data_key="updatedAt", dump_only=True)


class LocalSourceEntrySchema(StrictSchema):
    mount_path = fields.String(data_key="mountPath", required=True)
    type = fields.String(load_default="git")
    repo = repo_field()
    branch = fields.String(allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LocalSourceEntry:
        return LocalSourceEntry(**data)


class LocalSourceConfigSchema(StrictSchema):
    version = fields.Integer(required=True, validate=validate.Equal(1, error="must be 1"))
    mounts = fields.Dict(keys=fields.String(), values=fields.Nested(LocalSourceEntrySchema), load_default=dict)
    virtual_sources = fields.Dict(
        keys=fields.String(), values=fields.Nested(LocalSourceEntrySchema), data_key="virtualSources",
        load_default=dict,
    )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LocalSourceConfig:
        return LocalSourceConfig(**data)
