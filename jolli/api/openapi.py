"""``GET /api/openapi.json``: the OpenAPI document of this server (no token needed)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from jolli.api.spec import build_spec, doc

bp = Blueprint("openapi", __name__)


@bp.get("/api/openapi.json")
@doc(summary="This OpenAPI document", tag="meta", responses={200: None})
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.0 document, built once per process from the routes and their schemas."""
    cached: dict[str, Any] | None = current_app.extensions.get("jolli.openapi")
    if cached is None:
        cached = current_app.extensions["jolli.openapi"] = build_spec(current_app)
    return cached
