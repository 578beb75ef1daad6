"""``/api/spaces`` and their source bindings ``/api/spaces/:id/sources`` (the seed's SpaceSource)."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for

from jolli.api import rules
from jolli.api.auth import current_org
from jolli.api.rest import Blueprint
from jolli.api.schemas import (
    PageQuerySchema,
    SpaceCreateSchema,
    SpacePageSchema,
    SpacePatchSchema,
    SpaceSchema,
    SpaceSourceCreateSchema,
    SpaceSourcePageSchema,
    SpaceSourceSchema,
    page,
)
from jolli.errors import Conflict, InvalidInput, NotFound
from jolli.store.models import Org, Source, Space, SpaceSource, utcnow

bp = Blueprint("spaces", __name__)


def get_space(space_id: int, org: Org) -> Space:
    """The org's space ``space_id``; 404 when missing or another org's."""
    row = Space.get_or_none((Space.id == space_id) & (Space.org == org))
    if row is None:
        raise NotFound(f"no space {space_id}", fields={"id": [f"no space {space_id} in this org"]})
    return row


def binding_dict(row: SpaceSource) -> dict[str, Any]:
    return {
        "space_id": row.__data__["space"], "source_id": row.__data__["source"], "jrn_pattern": row.jrn_pattern,
        "enabled": row.enabled, "created_at": row.created_at,
    }


@bp.get("/api/spaces")
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, SpacePageSchema)
def list_spaces(args: dict[str, Any]) -> dict[str, Any]:
    """List spaces

    The org's spaces by ascending id.
    """
    rows, after = page(Space.select().where(Space.org == current_org()), Space.id, args["limit"], args.get("after"))
    return {"items": rows, "next": after}


@bp.post("/api/spaces")
@bp.arguments(SpaceCreateSchema)
@bp.response(201, SpaceSchema)
@bp.alt_response(409, response="CONFLICT")
def create_space(data: dict[str, Any]) -> tuple[Space, dict[str, str]]:
    """Create a space

    Names are unique per org.
    """
    org = current_org()
    rules.check_unique_name(Space, org, data["name"])
    now = utcnow()
    row = Space.create(org=org, name=data["name"], created_at=now, updated_at=now)
    return row, {"Location": url_for("spaces.get_space_view", space_id=row.id)}


@bp.get("/api/spaces/<int:space_id>")
@bp.response(200, SpaceSchema)
def get_space_view(space_id: int) -> Space:
    """Get a space

    One space of the org.
    """
    return get_space(space_id, current_org())


@bp.patch("/api/spaces/<int:space_id>")
@bp.arguments(SpacePatchSchema)
@bp.response(200, SpaceSchema)
@bp.alt_response(409, response="CONFLICT")
def patch_space(data: dict[str, Any], space_id: int) -> Space:
    """Rename a space

    Only the given fields change.
    """
    org = current_org()
    row = get_space(space_id, org)
    if "name" in data and data["name"] != row.name:
        rules.check_unique_name(Space, org, data["name"], row.id)
        Space.update(name=data["name"], updated_at=utcnow()).where(Space.id == row.id).execute()
    return get_space(space_id, org)


@bp.delete("/api/spaces/<int:space_id>")
@bp.response(204)
@bp.alt_response(409, response="CONFLICT")
def delete_space(space_id: int) -> Response:
    """Delete a space

    Deletes the space and its bindings (the sources stay).
    """
    org = current_org()
    row = get_space(space_id, org)
    Space.delete().where((Space.id == row.id) & (Space.org == org)).execute()
    return Response(status=204)


@bp.get("/api/spaces/<int:space_id>/sources")
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, SpaceSourcePageSchema)
def list_bindings(args: dict[str, Any], space_id: int) -> dict[str, Any]:
    """List a space's source bindings

    Bindings by ascending ``sourceId``; ``after`` is a source id.
    """
    space = get_space(space_id, current_org())
    query = SpaceSource.select().where(SpaceSource.space == space)
    rows, after = page(query, SpaceSource.source, args["limit"], args.get("after"))
    return {"items": [binding_dict(r) for r in rows], "next": after}


@bp.post("/api/spaces/<int:space_id>/sources")
@bp.arguments(SpaceSourceCreateSchema)
@bp.response(201, SpaceSourceSchema)
@bp.alt_response(409, response="CONFLICT")
def create_binding(data: dict[str, Any], space_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Bind a source to a space

    The source must be the org's; one binding per space and source; ``jrnPattern`` must compile.
    """
    org = current_org()
    space = get_space(space_id, org)
    source_id = data["source_id"]
    if not Source.select().where((Source.id == source_id) & (Source.org == org)).exists():
        raise InvalidInput(
            f"source {source_id} does not exist in this org", fields={"sourceId": [f"no source {source_id} in this org"]}
        )
    pattern = data.get("jrn_pattern")
    if pattern is not None:
        from jolli.jrn import JrnPattern

        JrnPattern.compile(pattern)  # InvalidInput naming jrnPattern
    if SpaceSource.select().where((SpaceSource.space == space) & (SpaceSource.source == source_id)).exists():
        raise Conflict(
            f"source {source_id} is already bound to space {space.id}; delete the binding first to change it",
            fields={"sourceId": ["already bound to this space"]},
        )
    row = SpaceSource.create(space=space, source=source_id, jrn_pattern=pattern, enabled=data["enabled"],
                             created_at=utcnow())
    return binding_dict(row), {"Location": url_for("spaces.list_bindings", space_id=space.id)}


@bp.delete("/api/spaces/<int:space_id>/sources/<int:source_id>")
@bp.response(204)
def delete_binding(space_id: int, source_id: int) -> Response:
    """Unbind a source from a space

    Removes the binding; the source stays.
    """
    space = get_space(space_id, current_org())
    deleted = SpaceSource.delete().where((SpaceSource.space == space) & (SpaceSource.source == source_id)).execute()
    if not deleted:
        raise NotFound(
            f"source {source_id} is not bound to space {space.id}", fields={"sourceId": ["not bound to this space"]}
        )
    return Response(status=204)
