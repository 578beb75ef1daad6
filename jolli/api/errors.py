"""One error shape for the whole API: RFC 9457 problem details (``application/problem+json``).

Every error, whether raised on purpose (:class:`jolli.errors.JolliError` and the HTTP errors below),
found by a marshmallow schema, produced by routing (404/405), by the body limit (413) or by a bug (500),
becomes ``{"type", "title", "status", "detail", "errors": {field: [messages]}}``: never an HTML page and
never a stack trace. Blueprints raise these exceptions; they never build error responses themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import peewee
from flask import Flask, Response, has_request_context, json, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from jolli.api.schemas import ProblemSchema
from jolli.errors import Ambiguous, JolliError
from jolli.log_limit import RateLimitedLog

log = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"
_problem_schema = ProblemSchema()

__all__ = ["PROBLEM_MIME", "problem", "register_error_handlers"]


def problem(
    status: int,
    title: str,
    detail: str,
    errors: Mapping[str, list[str]] | None = None,
    *,
    type_: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response; ``extra`` members (e.g. ``candidates``) are added to the body."""
    body: dict[str, Any] = {
        "type": type_ or "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": dict(errors or {}),
    }
    if has_request_context():
        body["instance"] = request.path
    body.update(extra)
    response = Response(json.dumps(_problem_schema.dump(body)), status=status, mimetype=PROBLEM_MIME)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"field": [...], "repos.0": [...]}``."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_body": list(messages)}
    if isinstance(messages, str):
        return {prefix or "_body": [messages]}
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = "_body" if key == "_schema" else str(key)
            for field, items in flatten_messages(value, f"{prefix}.{name}" if prefix else name).items():
                flat.setdefault(field, []).extend(items)
    elif isinstance(messages, list):
        for item in messages:
            for field, items in flatten_messages(item, prefix).items():
                flat.setdefault(field, []).extend(items)
    return flat


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def _jolli_error(exc: JolliError) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, Ambiguous):
        extra["candidates"] = exc.candidates
    headers = {"WWW-Authenticate": 'Bearer realm="jolli"'} if exc.status == 401 else None
    return problem(
        exc.status, exc.title, exc.message, exc.fields, type_=f"urn:jolli:problem:{_slug(exc.title)}",
        headers=headers, **extra,
    )


def _validation_error(exc: ValidationError) -> Response:
    errors = flatten_messages(exc.messages)
    fields = ", ".join(sorted(errors))
    return problem(
        400, "Invalid input", f"the request is invalid: see errors ({fields})", errors,
        type_="urn:jolli:problem:invalid-input",
    )


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
    detail = {
        404: f"no such resource: {request.path}",
        405: f"{request.method} is not allowed on {request.path}",
        413: "the request body is larger than this server accepts",
    }.get(status, exc.description or exc.name)
    return problem(status, exc.name, detail, headers=headers)


def _integrity_error(exc: peewee.IntegrityError) -> Response:
    # Unique constraints are checked before writing; this is the losing side of a race.
    log.info("integrity error on %s %s: %s", request.method, request.path, type(exc).__name__)
    return problem(
        409, "Conflict", "the change conflicts with stored data (a name or binding that already exists, "
        "or an object still in use); reload and retry", type_="urn:jolli:problem:conflict",
    )


def _out_of_range(exc: Exception) -> Response:
    # Schemas bound what they load; this is the safety net for a value that still does not fit a column.
    log.warning("value out of range on %s %s: %s", request.method, request.path, type(exc).__name__)
    return problem(
        400, "Invalid input", "a value in the request does not fit the database (too large, too long, or "
        "holding characters it cannot store)", type_="urn:jolli:problem:invalid-input",
    )


#: During an outage every request fails the same way: one line per kind of failure per this many seconds.
OUTAGE_LOG_INTERVAL = 30.0
_outage_log = RateLimitedLog(log, OUTAGE_LOG_INTERVAL)


def _database_error(exc: peewee.DatabaseError) -> Response:
    first_line = (str(exc).strip().splitlines() or [""])[0][:300]
    _outage_log.error(type(exc).__name__, "database unavailable (%s: %s), answering 503; first seen on %s %s",
                      type(exc).__name__, first_line, request.method, request.path)
    return problem(
        503, "Service unavailable", "the database is unavailable or not migrated (run `jolli db upgrade`)",
        headers={"Retry-After": "5"},
    )


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "Internal server error", "an unexpected error occurred; it has been logged")


def register_error_handlers(app: Flask) -> None:
    """Turn every error the app can meet into problem details."""
    app.register_error_handler(JolliError, _jolli_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(peewee.IntegrityError, _integrity_error)
    app.register_error_handler(peewee.DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(peewee.OperationalError, _database_error)
    app.register_error_handler(peewee.InterfaceError, _database_error)
    app.register_error_handler(peewee.ProgrammingError, _database_error)
    app.register_error_handler(peewee.DatabaseError, _database_error)  # e.g. a SQLite file that is not a database
    app.register_error_handler(Exception, _unexpected)
