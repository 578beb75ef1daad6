"""The seed's contracts, defined once: the marshmallow schemas of a source, a space's link to a source, an
integration and an entry of the local sources file.

JSON names are camelCase (``integrationId``, ``createdAt``); times are UTC ISO 8601. The API, the store
and the CLI all use these; request-specific schemas (create/patch) derive from them in ``jolli.api``, the
sources file's strict shape in :mod:`jolli.local.schema`. The patterns they check are :mod:`jolli.formats`'.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from jolli.formats import NAME_HINT, NAME_RE
from jolli.repo_coordinate import COORDINATE_RE

__all__ = ["MAX_ID", "NAME_HINT", "NAME_RE", "REPO_HINT", "IntegrationSchema", "LocalSourceConfigSchema",
           "LocalSourceEntrySchema", "SourceCursorSchema", "SourceSchema", "SpaceSourceSchema", "StrictSchema",
           "json_names", "repo_field", "storable_text", "text_problem"]

REPO_HINT = "a repo coordinate host/owner/repo, e.g. github.com/org/backend"


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


def json_names(*schemas: type[Schema]) -> dict[str, str]:
    """Python name -> JSON name (its ``data_key``) of every field the ``schemas`` load under another name."""
    return {name: field.data_key for schema in schemas for name, field in schema().fields.items()
            if field.data_key and field.data_key != name and not field.dump_only}


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


class LocalSourceConfigSchema(StrictSchema):
    version = fields.Integer(required=True, validate=validate.Equal(1, error="must be 1"))
    mounts = fields.Dict(keys=fields.String(), values=fields.Nested(LocalSourceEntrySchema), load_default=dict)
    virtual_sources = fields.Dict(
        keys=fields.String(), values=fields.Nested(LocalSourceEntrySchema), data_key="virtualSources",
        load_default=dict,
    )
