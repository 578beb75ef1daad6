"""``/api/sources``: the org's sources (top-level, never nested under spaces) and their cursors."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, url_for
from marshmallow import fields, validate

from jolli.api import rules
from jolli.api.auth import current_org
from jolli.api.rest import Blueprint
from jolli.api.schemas import (
    CursorPatchSchema,
    PageQuerySchema,
    SourceCreateSchema,
    SourcePageSchema,
    SourcePatchSchema,
    SourceSchema,
    page,
)
from jolli.errors import Conflict, InvalidInput, NotFound
from jolli.store.models import Org, Source, utcnow
from jolli.store.sql import in_org

bp = Blueprint("sources", __name__)

#: Retries of a cursor update without ``expectedVersion`` that lost a race.
CURSOR_RETRIES = 3


class SourceQuerySchema(PageQuerySchema):
    """Filters: exact ``name``; ``repo`` in any URL form (compared canonical)."""

    name = fields.String(validate=validate.Length(min=1, max=128))
    repo = fields.String(validate=validate.Length(min=1, max=2048))


def source_dict(row: Source) -> dict[str, Any]:
    """A source row as the attributes :class:`SourceSchema` dumps."""
    cursor = None
    if row.cursor_value is not None:
        cursor = {"value": row.cursor_value, "updated_at": row.cursor_updated_at}
    return {
        "id": row.id, "name": row.name, "type": row.type, "repo": row.repo, "branch": row.branch,
        "integration_id": row.__data__.get("integration"), "enabled": row.enabled, "cursor": cursor,
        "cursor_version": row.cursor_version, "created_at": row.created_at, "updated_at": row.updated_at,
        "fields": json.loads(row.fields) if row.fields else None,
    }


def answer(row: Source) -> dict[str, Any]:
    """One source as :class:`SourceSchema` dumps it, with the state of its checks (not in lists: a query each)."""
    from jolli.events.checks import source_check_row

    return {**source_dict(row), "check": source_check_row(row.id)}


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Validated values as the columns hold them (``fields`` as JSON text)."""
    stored = {key: values.get(key) for key in WRITABLE}
    stored["fields"] = json.dumps(stored["fields"], sort_keys=True) if stored["fields"] else None
    return stored


def get_source(source_id: int, org: Org) -> Source:
    """The org's source ``source_id``; 404 when missing or another org's."""
    row = in_org(Source, source_id, org.id)
    if row is None:
        raise NotFound(f"no source {source_id}", fields={"id": [f"no source {source_id} in this org"]})
    return row


def checked(org: Org, values: dict[str, Any], exclude_id: int | None = None) -> dict[str, Any]:
    """The full set of a source's writable values, validated: type, repo, the type's own fields,
    integration (same org, covers the repo) and the unique name. Returns them normalised."""
    stype = rules.source_type(values["type"])
    if values.get("repo") is not None:
        values["repo"] = str(rules.canonical_repo(values["repo"], org))
    if not stype.uses_repo:
        bad = {key: [f"a {stype.name} source has no {key}"] for key in ("repo", "branch") if values.get(key) is not None}
        if bad:
            raise InvalidInput(f"a {stype.name} source carries no repo or branch", fields=bad)
    if stype.requires_repo and values.get("repo") is None:
        raise InvalidInput(f"a {stype.name} source needs repo", fields={"repo": ["required for this type"]})
    values = rules.type_fields(stype, values)
    own = values.get("fields")
    if own is not None and (not isinstance(own, dict) or len(json.dumps(own)) > MAX_FIELDS_JSON):
        raise InvalidInput(f"fields must be an object of at most {MAX_FIELDS_JSON} characters as JSON",
                           fields={"fields": ["too large or not an object"]})
    if values.get("repo") is not None and len(values["repo"]) > 512:
        raise InvalidInput("repo is too long", fields={"repo": ["at most 512 characters"]})
    integration_id = values.get("integration_id")
    if integration_id is not None:
        if values.get("repo") is None:
            raise InvalidInput(
                "a source linked to an integration needs repo (host/owner/repo)",
                fields={"repo": ["required when integrationId is set"]},
            )
        integration = rules.integration_in_org(integration_id, org)
        rules.check_covered(values["repo"], integration)
    rules.check_unique_name(Source, org, values.get("name"), exclude_id)
    return values


WRITABLE = ("name", "type", "repo", "branch", "integration_id", "enabled", "fields")
MAX_FIELDS_JSON = 16384


@bp.get("/api/sources")
@bp.arguments(SourceQuerySchema, location="query")
@bp.response(200, SourcePageSchema)
def list_sources(args: dict[str, Any]) -> dict[str, Any]:
    """List sources

    The org's sources by ascending id, ``limit`` at a time after ``after``.
    """
    org = current_org()
    query = Source.select().where(Source.org == org)
    if "name" in args:
        query = query.where(Source.name == args["name"])
    if "repo" in args:
        query = query.where(Source.repo == str(rules.canonical_repo(args["repo"], org)))
    rows, after = page(query, Source.id, args["limit"], args.get("after"))
    return {"items": [source_dict(row) for row in rows], "next": after}


@bp.post("/api/sources")
@bp.arguments(SourceCreateSchema)
@bp.response(201, SourceSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_source(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Create a source

    Validated as a whole; ``repo`` is stored canonical; never a mount path.
    """
    org = current_org()
    values = checked(org, data)
    now = utcnow()
    row = Source.create(org=org, created_at=now, updated_at=now, **_stored(values))
    return answer(row), {"Location": url_for("sources.get_source_view", source_id=row.id)}


@bp.get("/api/sources/<int:source_id>")
@bp.response(200, SourceSchema)
def get_source_view(source_id: int) -> dict[str, Any]:
    """Get a source

    One source of the org, with the state of its checks.
    """
    return answer(get_source(source_id, current_org()))


@bp.patch("/api/sources/<int:source_id>")
@bp.arguments(SourcePatchSchema)
@bp.response(200, SourceSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_source(changes: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Change a source

    Only the given fields change; the result is validated as a whole, as on create.
    """
    org = current_org()
    row = get_source(source_id, org)
    current = {key: getattr(row, key) for key in WRITABLE if key not in ("integration_id", "fields")}
    current["integration_id"] = row.__data__.get("integration")
    current["fields"] = json.loads(row.fields) if row.fields else None
    values = checked(org, {**current, **changes}, exclude_id=row.id)
    stored = _stored(values)
    updates = {key: value for key, value in stored.items() if value != row.__data__.get(
        "integration" if key == "integration_id" else key)}
    if updates:
        updates["updated_at"] = utcnow()
        Source.update(**updates).where((Source.id == row.id) & (Source.org == org)).execute()
    return answer(get_source(source_id, org))


@bp.delete("/api/sources/<int:source_id>")
@bp.response(204)
@bp.alt_response(409, response="CONFLICT")
def delete_source(source_id: int) -> Response:
    """Delete a source

    Deletes the source and its space bindings.
    """
    org = current_org()
    row = get_source(source_id, org)
    Source.delete().where((Source.id == row.id) & (Source.org == org)).execute()
    return Response(status=204)


@bp.patch("/api/sources/<int:source_id>/cursor")
@bp.arguments(CursorPatchSchema)
@bp.response(200, SourceSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_cursor(data: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Set a source's cursor

    The value is checked by the source type; the write is a compare-and-swap on ``cursorVersion``.
    """
    org = current_org()
    expected = data.get("expected_version")
    for _attempt in range(CURSOR_RETRIES if expected is None else 1):
        row = get_source(source_id, org)
        value = _cursor_value(row, data["value"])
        version = row.cursor_version if expected is None else expected
        if _swap(row, value, version):
            return answer(get_source(source_id, org))
    current = get_source(source_id, org).cursor_version
    raise Conflict(
        f"the cursor changed meanwhile: its version is {current}, expected {version}; read the source and retry",
        fields={"expectedVersion": [f"is {current} now"]},
    )


def _swap(row: Source, value: str, version: int) -> bool:
    """The cursor's one compare-and-swap (:func:`jolli.events.cursor.swap`), recorded in its history."""
    from jolli.events.cursor import swap

    return swap(row.id, version, row.cursor_value, value, worker=f"api token {g.token.id}")


def _cursor_value(row: Source, value: str) -> str:
    stype = rules.source_type(row.type)
    try:
        normalized = stype.validate_cursor(value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, fields=rules.json_fields(exc.fields) or {"value": [exc.message]}) from None
    if not isinstance(normalized, str) or not normalized or len(normalized) > 512:
        raise InvalidInput("cursor value must be 1-512 characters", fields={"value": ["1-512 characters"]})
    return normalized
