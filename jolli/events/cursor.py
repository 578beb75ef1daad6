"""Advancing a source cursor by compare-and-swap on ``Source.cursor_version``, with its history.

``UPDATE source SET cursor_value = new, cursor_version = v + 1 WHERE id = s AND cursor_version = v``:
of two racing writers exactly one matches; the other re-reads, and gives up if the cursor it now sees
already holds the head or something newer (it never writes an older value over a newer one). Every
successful swap writes a :class:`CursorHistory` row in the same transaction, unique on
``(source, version)``, so the history is a single line that tests (and people) can check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from jolli.store import sql as raw
from jolli.store.db import database
from jolli.store.models import utcnow
from jolli.store.sql import write_tx


@dataclass(frozen=True)
class Advance:
    """What a call to :func:`advance` did."""

    moved: bool
    old_value: str | None
    new_value: str | None
    version: int
    reason: str


def advance(
    source_id: int,
    head: str,
    *,
    expected_value: str | None,
    expected_version: int | None = None,
    is_behind: Callable[[str, int], bool],
    event_id: int | None = None,
    worker: str | None = None,
    attempts: int = 20,
) -> Advance:
    """Move the cursor of ``source_id`` to ``head`` unless it already holds ``head`` or something newer.

    ``expected_value`` (at ``expected_version``, when given) is the cursor the caller judged ``head``
    against; if another writer changed it
    meanwhile, ``is_behind(current, version)`` must say whether ``head`` is behind (or equal to) that new value.
    """
    judged = expected_value
    known = (expected_value, expected_version) if expected_version is not None else None
    for _ in range(attempts):
        if known is not None:  # the first try trusts the caller's read: one statement less when no one raced
            (current, version), known = known, None
        else:
            found = raw.rows("SELECT cursor_value, cursor_version FROM source WHERE id = ?", (source_id,))
            if not found:
                return Advance(False, None, None, 0, "source deleted")
            current, version = found[0][0], int(found[0][1] or 0)
        if current == head:
            return Advance(False, current, current, version, "cursor already at head")
        if current != judged:
            if current is not None and is_behind(current, version):
                return Advance(False, current, current, version, "cursor moved to a newer commit meanwhile")
            judged = current
        if swap(source_id, version, current, head, event_id=event_id, worker=worker):
            return Advance(True, current, head, version + 1, "advanced")
    return Advance(False, judged, None, -1, "gave up after repeated compare-and-swap conflicts")


def swap(source_id: int, version: int, old_value: str | None, new_value: str, *, event_id: int | None = None,
         worker: str | None = None) -> bool:
    """The compare-and-swap itself: ``UPDATE source ... WHERE cursor_version = version`` and, when it matched,
    the history row of version ``version + 1``, in the caller's transaction (or one of its own). Every
    writer of a cursor (the worker, ``PATCH /api/sources/:id/cursor``) goes through here."""
    with contextlib.nullcontext() if database.in_transaction() else write_tx():
        swapped, _history = raw.batch(swapping(source_id, version, old_value, new_value, event_id=event_id,
                                               worker=worker))
    return bool(swapped)


def swapping(source_id: int, version: int, old_value: str | None, new_value: str, *, event_id: int | None = None,
             worker: str | None = None) -> list[raw.Statement]:
    """The statements of :func:`swap`: the ``UPDATE`` (one row changed: swapped), and the history row, written
    only when that ``UPDATE`` put ``new_value`` in place as version ``version + 1``."""
    now = raw.naive(utcnow())
    return [
        ("UPDATE source SET cursor_value = ?, cursor_version = ?, cursor_updated_at = ? "
         "WHERE id = ? AND cursor_version = ?", (new_value, version + 1, now, source_id, version)),
        ("INSERT INTO cursor_history (source_id, version, old_value, new_value, event_id, worker, created_at) "
         "SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM source WHERE id = ? AND cursor_version = ? "
         "AND cursor_value = ? AND cursor_updated_at = ?) ON CONFLICT (source_id, version) DO NOTHING",
         (source_id, version + 1, old_value, new_value, event_id, worker, now, source_id, version + 1, new_value, now)),
    ]


@dataclass(frozen=True)
class Setter:
    """The latest advance of a cursor: its version, the values and the event that made it."""

    version: int
    old_value: str | None
    new_value: str
    event_id: int | None


def last_setter(source_id: int) -> Setter | None:
    """The latest advance of the cursor of ``source_id``, if any."""
    found = raw.rows(
        "SELECT version, old_value, new_value, event_id FROM cursor_history WHERE source_id = ? "
        "ORDER BY version DESC LIMIT 1",
        (source_id,),
    )
    if not found:
        return None
    version, old_value, new_value, event_id = found[0]
    return Setter(int(version), old_value, new_value, int(event_id) if event_id is not None else None)

