"""Reading request bodies and query strings through schemas, and keyset pagination.

Every body is a JSON object loaded by a strict schema. Before the schema runs, ``mountPath`` and ``path``
are refused with the reason (the server never accepts local mount paths) and every string is checked to
be storable text (no NUL, valid Unicode), so nothing reaches the database that it would choke on.
"""

from __future__ import annotations

from typing import Any

import peewee
from flask import request
from marshmallow import Schema, ValidationError

from jolli.contracts import text_problem
from jolli.errors import InvalidInput

MOUNT_KEYS = ("mountPath", "path", "mount_path")
MOUNT_MESSAGE = (
    "the server never accepts local mount paths: a mount is local to one machine and is recorded by "
    "the CLI in .jolli/sources.json (`jolli source add NAME --mount PATH`)"
)


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


def _accepted(schema: Schema) -> str:
    return ", ".join(sorted(f.data_key or name for name, f in schema.load_fields.items()))


def _explain_unknown(exc: ValidationError, schema: Schema) -> ValidationError:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
    accepted = _accepted(schema)
    out: dict[str, Any] = {}
    for key, value in messages.items():
        if value == ["Unknown field."]:
            value = [f"unknown field: this endpoint accepts only {accepted}"]
        out[key] = value
    return ValidationError(out)


def load(schema: Schema, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """``data`` loaded by ``schema``; a 400 naming each bad field otherwise."""
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
    try:
        result: dict[str, Any] = schema.load(data, partial=partial)
    except ValidationError as exc:
        raise _explain_unknown(exc, schema) from None
    return result


def load_body(schema: Schema) -> dict[str, Any]:
    """The JSON object body loaded by ``schema``."""
    if not request.get_data(cache=True):
        raise InvalidInput("the request needs a JSON object body", fields={"_body": ["missing body"]})
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(
            "the request body must be a JSON object (Content-Type: application/json)",
            fields={"_body": ["must be a JSON object"]},
        )
    return load(schema, data)


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string loaded by ``schema`` (each parameter once)."""
    args = request.args
    repeated = [key for key in args if len(args.getlist(key)) > 1]
    if repeated:
        raise InvalidInput(
            "give each query parameter once", fields={key: ["given more than once"] for key in repeated}
        )
    return load(schema, dict(args))


def page(query: Any, key: peewee.Field, limit: int, after: int | None) -> tuple[list[Any], int | None]:
    """One keyset page of ``query`` ordered by ``key``: the rows and the ``after`` of the next page."""
    if after is not None:
        query = query.where(key > after)
    rows = list(query.order_by(key).limit(limit + 1))
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        return rows, _key_value(last, key)
    return rows, None


def _key_value(row: Any, key: peewee.Field) -> int:
    return int(row.__data__[key.name])
