"""``GET /api/openapi.json``: the OpenAPI document of this server (no token needed), as flask-smorest builds it
from the blueprints and their schemas (:mod:`jolli.api.rest`), with the loaded plugins' names as enums."""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from jolli.api.rest import Blueprint

bp = Blueprint("openapi", __name__)


@bp.get("/api/openapi.json")
@bp.response(200, {"type": "object", "description": "an OpenAPI 3.0 document"})
def openapi() -> ResponseReturnValue:
    """This OpenAPI document

    Built once per process from the routes and their schemas (no token needed).
    """
    cached: dict[str, Any] | None = current_app.extensions.get("jolli.openapi")
    if cached is None:
        cached = flask_smorest.current_api.spec.to_dict()
        _registered_names(cached)
        _ecma_patterns(cached)
        current_app.extensions["jolli.openapi"] = cached
    return jsonify(cached)


def _ecma_patterns(node: Any) -> None:
    """OpenAPI patterns are ECMA-262: Python's ``\\A``/``\\Z`` anchors become ``^``/``$`` (same meaning there)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                node[key] = value.replace("\\A", "^").replace("\\Z", "$")
            else:
                _ecma_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _ecma_patterns(item)


def _registered_names(document: dict[str, Any]) -> None:
    """Source types and providers are what the loaded plugins contribute: list them as enums."""
    from jolli.registry import get_plugins

    plugins = get_plugins()
    enums = {"type": plugins.source_types.names(), "provider": plugins.providers.names()}
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        if name.endswith(("Create", "Patch")):
            for prop, values in enums.items():
                if prop in schema.get("properties", {}) and values:
                    schema["properties"][prop]["enum"] = values
