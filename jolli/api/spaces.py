"""``/api/spaces`` and their source bindings ``/api/spaces/:id/sources`` (the seed's SpaceSource)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, url_for

from jolli.api import rules
from jolli.api.auth import current_org
from jolli.api.bodies import load_body, load_query, page
from jolli.api.schemas import (
    PageQuerySchema,
    SpaceCreateSchema,
    SpacePageSchema,
    SpacePatchSchema,
    SpaceSchema,
    SpaceSourceCreateSchema,
    SpaceSourcePageSchema,
    SpaceSourceSchema,
)
from jolli.api.spec import doc
from jolli.errors import Conflict, InvalidInput, NotFound
from jolli.store.models import Org, Source, Space, SpaceSource, utcnow

bp = Blueprint("spaces", __name__)

_space = SpaceSchema()
_binding = SpaceSourceSchema()


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
@doc(summary="List spaces", tag="spaces", query=PageQuerySchema, responses={200: SpacePageSchema})
def list_spaces() -> dict[str, Any]:
    """The org's spaces by ascending id."""
    args = load_query(PageQuerySchema())
    rows, after = page(Space.select().where(Space.org == current_org()), Space.id, args["limit"], args.get("after"))
    return SpacePageSchema().dump({"items": rows, "next": after})


@bp.post("/api/spaces")
@doc(summary="Create a space", tag="spaces", body=SpaceCreateSchema, responses={201: SpaceSchema}, errors=(409,))
def create_space() -> tuple[Response, int]:
    """Names are unique per org."""
    org = current_org()
    data = load_body(SpaceCreateSchema())
    rules.check_unique_name(Space, org, data["name"])
    now = utcnow()
    row = Space.create(org=org, name=data["name"], created_at=now, updated_at=now)
    response = jsonify(_space.dump(row))
    response.headers["Location"] = url_for("spaces.get_space_view", space_id=row.id)
    return response, 201


@bp.get("/api/spaces/<int:space_id>")
@doc(summary="Get a space", tag="spaces", responses={200: SpaceSchema})
def get_space_view(space_id: int) -> dict[str, Any]:
    """One space of the org."""
    return _space.dump(get_space(space_id, current_org()))


@bp.patch("/api/spaces/<int:space_id>")
@doc(summary="Rename a space", tag="spaces", body=SpacePatchSchema, responses={200: SpaceSchema}, errors=(409,))
def patch_space(space_id: int) -> dict[str, Any]:
    """Only the given fields change."""
    org = current_org()
    row = get_space(space_id, org)
    data = load_body(SpacePatchSchema())
    if "name" in data and data["name"] != row.name:
        rules.check_unique_name(Space, org, data["name"], row.id)
        Space.update(name=data["name"], updated_at=utcnow()).where(Space.id == row.id).execute()
    return _space.dump(get_space(space_id, org))


@bp.delete("/api/spaces/<int:space_id>")
@doc(summary="Delete a space", tag="spaces", responses={204: None}, errors=(409,))
def delete_space(space_id: int) -> tuple[str, int]:
    """Deletes the space and its bindings (the sources stay)."""
    org = current_org()
    row = get_space(space_id, org)
    Space.delete().where((Space.id == row.id) & (Space.org == org)).execute()
    return "", 204


@bp.get("/api/spaces/<int:space_id>/sources")
@doc(summary="List a space's source bindings", tag="spaces", query=PageQuerySchema,
     responses={200: SpaceSourcePageSchema})
def list_bindings(space_id: int) -> dict[str, Any]:
    """Bindings by ascending ``sourceId``; ``after`` is a source id."""
    space = get_space(space_id, current_org())
    args = load_query(PageQuerySchema())
    query = SpaceSource.select().where(SpaceSource.space == space)
    rows, after = page(query, SpaceSource.source, args["limit"], args.get("after"))
    return SpaceSourcePageSchema().dump({"items": [binding_dict(r) for r in rows], "next": after})


@bp.post("/api/spaces/<int:space_id>/sources")
@doc(summary="Bind a source to a space", tag="spaces", body=SpaceSourceCreateSchema,
     responses={201: SpaceSourceSchema}, errors=(409,))
def create_binding(space_id: int) -> tuple[Response, int]:
    """The source must be the org's; one binding per space and source; ``jrnPattern`` must compile."""
    org = current_org()
    space = get_space(space_id, org)
    data = load_body(SpaceSourceCreateSchema())
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
    response = jsonify(_binding.dump(binding_dict(row)))
    response.headers["Location"] = url_for("spaces.list_bindings", space_id=space.id)
    return response, 201


@bp.delete("/api/spaces/<int:space_id>/sources/<int:source_id>")
@doc(summary="Unbind a source from a space", tag="spaces", responses={204: None})
def delete_binding(space_id: int, source_id: int) -> tuple[str, int]:
    """Removes the binding; the source stays."""
    space = get_space(space_id, current_org())
    deleted = SpaceSource.delete().where((SpaceSource.space == space) & (SpaceSource.source == source_id)).execute()
    if not deleted:
        raise NotFound(
            f"source {source_id} is not bound to space {space.id}", fields={"sourceId": ["not bound to this space"]}
        )
    return "", 204
