"""flask-smorest, set up for jolli: request parsing, response schemas and the OpenAPI document.

Every resource is a :class:`Blueprint` (flask-smorest's, with jolli's request parser): ``@bp.arguments``
loads a body or query string with a marshmallow schema, ``@bp.response`` dumps what the view returns with
one, and both document the operation. On top of what the decorators say, :class:`ProblemResponses` (an
apispec plugin) documents the problem+json answers every operation can give (401 unless public, 404 with
path ids, 400 with arguments, 408/413/415 with a body, 414 and 500 always). :mod:`jolli.api.openapi`
serves the document.

Request bodies and query strings are read as before flask-smorest: a JSON body must say it is JSON (415),
nest at most 64 levels and hold each key once (:mod:`jolli.json_input`, through the app's JSON provider);
``mountPath``/``path`` are refused with the reason (the server never accepts local mount paths); every
string must be storable text; a query parameter may be given once; an unknown field is a 400 listing the
accepted ones. Invalid input is a 400 problem (never flask-smorest's 422 JSON).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import flask
import flask_smorest
from apispec import BasePlugin
from flask import Flask, Request
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser

from jolli import __version__
from jolli.api.auth import is_public
from jolli.api.errors import PROBLEM_MIME, register_error_handlers
from jolli.api.schemas import ProblemSchema
from jolli.contracts import text_problem
from jolli.errors import InvalidInput

MOUNT_KEYS = ("mountPath", "path", "mount_path")
MOUNT_MESSAGE = (
    "the server never accepts local mount paths: a mount is local to one machine and is recorded by "
    "the CLI in .jolli/sources.json (`jolli source add NAME --mount PATH`)"
)

#: The problem answers jolli gives, as the document describes them.
STATUS_TEXT = {
    400: "Invalid input", 401: "Not authenticated (bearer token missing, unknown or revoked; for webhooks, a bad signature)",
    404: "Not found (or another org's)", 405: "Method not allowed", 408: "Body stalled (silent for the body timeout)",
    409: "Conflict", 413: "Body too large", 414: "URI too long", 415: "Body not sent as application/json",
    422: "Not available", 429: "Rate limited", 500: "Unexpected error", 502: "Check failed",
    503: "Database unavailable",
}


# --- request parsing ---------------------------------------------------------------------------------
def _text_problems(value: Any, where: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            found.setdefault(where, []).append(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            _text_problems(key, where or "_body", found)
            _text_problems(item, f"{where}.{key}" if where else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _text_problems(item, f"{where}.{index}", found)


def refuse_unstorable(data: Any) -> None:
    """400 for a mount path (``mountPath``, ``path``) or a string that cannot be stored, anywhere in ``data``."""
    problems: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key in MOUNT_KEYS:
            if key in data:
                problems[key] = [MOUNT_MESSAGE]
    _text_problems(data, "", problems)
    if problems:
        if any(key in MOUNT_KEYS for key in problems):
            raise InvalidInput(MOUNT_MESSAGE, fields=problems)
        raise InvalidInput("the request holds text that cannot be stored: see errors", fields=problems)


def explain_unknown(exc: ValidationError, schema: Schema) -> ValidationError:
    """``exc`` with marshmallow's "Unknown field." saying which fields the endpoint accepts."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
    accepted = ", ".join(sorted(f.data_key or name for name, f in schema.load_fields.items()))
    return ValidationError({
        key: [f"unknown field: this endpoint accepts only {accepted}"] if value == ["Unknown field."] else value
        for key, value in messages.items()
    })


def load(schema: Schema, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """``data`` loaded by ``schema`` under the request rules above (for input that is not a request's own,
    such as the console's forms); a 400 naming each bad field otherwise."""
    refuse_unstorable(data)
    try:
        result: dict[str, Any] = schema.load(data, partial=partial)
    except ValidationError as exc:
        raise explain_unknown(exc, schema) from None
    return result


class Parser(FlaskParser):
    """webargs' Flask parser under jolli's request rules. Locations: ``json`` (a JSON object body, required),
    ``optional_json`` (the same, or no body at all), ``query`` (each parameter once)."""

    DEFAULT_VALIDATION_STATUS = 400
    #: The schemas' own ``unknown`` everywhere (jolli's are strict: an unknown field or parameter is a 400).
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}
    __location_map__ = {**FlaskParser.__location_map__, "optional_json": "load_optional_json"}

    def load_json(self, req: Request, schema: Schema) -> Any:
        if not req.get_data(cache=True):
            raise InvalidInput("the request needs a JSON object body", fields={"_body": ["missing body"]})
        data = req.get_json(silent=True)  # 415, depth and duplicate keys: JolliRequest and the app's JSON provider
        if not isinstance(data, dict):
            raise InvalidInput("the request body must be a JSON object (Content-Type: application/json)",
                               fields={"_body": ["must be a JSON object"]})
        return data

    def load_optional_json(self, req: Request, schema: Schema) -> Any:
        return self.load_json(req, schema) if req.get_data(cache=True).strip() else {}

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        repeated = [key for key in req.args if len(req.args.getlist(key)) > 1]
        if repeated:
            raise InvalidInput("give each query parameter once",
                               fields={key: ["given more than once"] for key in repeated})
        return dict(req.args)

    def pre_load(self, location_data: Any, *, schema: Schema, req: Request, location: str) -> Any:
        refuse_unstorable(location_data)
        return location_data

    def handle_error(self, error: ValidationError, req: Request, schema: Schema, *,  # type: ignore[override]
                     error_status_code: int | None, error_headers: Any) -> None:
        """A 400 problem naming each field (the app's ``ValidationError`` handler), not webargs' 422."""
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:  # webargs files them under the location
            messages = next(iter(messages.values()))
        raise explain_unknown(ValidationError(messages), schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with jolli's request parser (``optional_json`` documented as a body)."""

    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "optional_json": "application/json",
    }


# --- the OpenAPI document ----------------------------------------------------------------------------
class ProblemResponses(BasePlugin):
    """Documents the problem answers every operation can give, beside those its decorators declare."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        public = is_public((path or "").split("{")[0])
        for operation in (operations or {}).values():
            codes = {414, 500}
            if not public:
                codes.add(401)
            if "{" in (path or ""):
                codes.add(404)
            if "parameters" in operation or "requestBody" in operation:
                codes.add(400)
            if "requestBody" in operation:
                codes.update((408, 413, 415))
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}
            for code in sorted(codes):
                if str(code) not in declared:
                    responses[code] = HTTPStatus(code).name
            if public:
                operation["security"] = []


class Api(flask_smorest.Api):
    """flask-smorest's Api: errors are jolli's problem details (:mod:`jolli.api.errors`), in the document too."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status is listed, none left to a "default"

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={
            "title": "jolli API", "version": __version__, "openapi_version": "3.0.3",
            "extra_plugins": [ProblemResponses()], "security": [{"bearer": []}],
            "info": {"description": "Sources, spaces, integrations and their bindings. Errors are RFC 9457 "
                                    "problem details; lists are keyset-paginated with ?limit= and ?after=."},
        })
        self.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})

    def _register_error_handlers(self) -> None:
        """jolli's handlers in place of flask-smorest's (which would answer ``{"code", "status", "message"}``)."""
        register_error_handlers(self._app)

    def _register_responses(self) -> None:
        for code, text in STATUS_TEXT.items():
            self.spec.components.response(HTTPStatus(code).name, {
                "description": text, "content": {PROBLEM_MIME: {"schema": self.ERROR_SCHEMA}}}, lazy=True)

    def register_plain(self, blueprint: flask.Blueprint) -> None:
        """Document the routes of a plain Flask blueprint (already registered): each method with the first
        line of its view's docstring, answering 200."""
        for rule in self._app.url_map.iter_rules():
            if rule.endpoint.partition(".")[0] != blueprint.name:
                continue
            view = self._app.view_functions[rule.endpoint]
            summary = ((view.__doc__ or "").strip().splitlines() or [rule.rule])[0]
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            self.spec.path(rule=rule, operations={
                m.lower(): {"summary": summary, "tags": [blueprint.name], "responses": {"200": {"description": "OK"}}}
                for m in methods})
