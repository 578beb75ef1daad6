"""JSON from outside (API bodies, webhook bodies, ``.jolli/sources.json``) held to one rule.

At most :data:`MAX_DEPTH` levels of nesting (a deeper document is refused, never a ``RecursionError``), and,
for API bodies, no key twice in one object (``json`` would keep the last one silently). Text that cannot
be stored (a lone surrogate such as ``"\\ud800"``, which ``json`` accepts) is found by :func:`unstorable_text`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jolli.errors import InvalidInput

#: Deepest nesting accepted: far beyond any real document, far below Python's recursion limit.
MAX_DEPTH = 64


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse(text: str | bytes, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
          max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads``, with a document nested deeper than ``max_depth`` levels refused as ``JSONDecodeError``."""
    too_deep = f"nested deeper than {max_depth} levels"
    try:
        value = json.loads(text, object_pairs_hook=object_pairs_hook)
    except RecursionError:
        raise json.JSONDecodeError(too_deep, text if isinstance(text, str) else "", 0) from None
    if isinstance(value, (dict, list)) and _deeper_than(value, max_depth):
        raise json.JSONDecodeError(too_deep, text if isinstance(text, str) else "", 0)
    return value


class DuplicateKey(InvalidInput):
    """A JSON object holding a key twice."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"the key {key!r} appears twice in one object; give each key once",
                               fields={"_body": [f"duplicate key {key!r}"]})
        result[key] = value
    return result


def loads_body(data: str | bytes) -> Any:
    """An API body: :class:`InvalidInput` (400) when nested too deep or holding a key twice; ``ValueError`` when
    it is not JSON at all (as ``json.loads``)."""
    try:
        return parse(data, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        if exc.msg.startswith("nested deeper"):
            raise InvalidInput(f"the JSON body is {exc.msg}", fields={"_body": [exc.msg]}) from None
        raise


def unstorable_text(value: Any) -> str | None:
    """The first string (key or value) in ``value`` that is not valid Unicode (a lone surrogate), or ``None``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
