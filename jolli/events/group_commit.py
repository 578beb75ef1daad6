"""Group commit: the writes of concurrent requests in one process, sent together and committed once.

Under gthread workers (``jolli serve --threads N``) a process answers several webhook deliveries at once,
and on PostgreSQL most of a delivery's cost is its round trip and its durable commit, not the insert.
So the first delivery to arrive leads: it takes every delivery queued in the process behind it (itself
first), has them written together (one transaction, one round trip), and wakes each with its answer;
the next delivery waiting then leads the next group. A group of one is written the plain way (still
while leading: deliveries arriving meanwhile queue up and go together next).

If a group's write fails (a deadlock with another process's group, a lost connection), none of it was
kept, and each member writes on its own, the plain way: every delivery is still stored once, or answered
with its own error. The leader always hands over, whatever happens, so no request waits for ever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")


@dataclass(eq=False)
class _Pending(Generic[P, R]):
    params: P
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    written: bool = False
    result: R | None = None


class GroupCommit(Generic[P, R]):
    """Writes ``params`` with ``write_one(params)``, or with others queued at the same time in one
    ``write_many([params, ...])`` (answers in the same order; it must write all or nothing)."""

    def __init__(self, write_one: Callable[[P], R], write_many: Callable[[Sequence[P]], list[R]],
                 max_group: int = 64) -> None:
        self._write_one = write_one
        self._write_many = write_many
        self._max = max_group
        self._lock = threading.Lock()
        self._queue: list[_Pending[P, R]] = []
        self._busy = False
        #: How many writes went out, and how many of them were groups (for tests and benchmarks).
        self.writes = 0
        self.groups = 0

    def submit(self, params: P) -> R:
        """Write ``params`` (alone or in a group) and return its answer; errors are its own write's."""
        item: _Pending[P, R] = _Pending(params)
        with self._lock:
            self._queue.append(item)
            if not self._busy:
                self._busy = True
                item.lead = True
        if not item.lead:
            item.wake.wait()
            if item.written:
                return item.result  # type: ignore[return-value]
            if not item.lead:  # the group failed: on its own
                return self._write_one(params)
        self._lead()
        if item.written:
            return item.result  # type: ignore[return-value]
        return self._write_one(params)

    def _lead(self) -> None:
        """Write the group at the head of the queue (the leader's own item first), then hand over."""
        with self._lock:
            group = self._queue[: self._max]
            del self._queue[: self._max]
        try:
            if len(group) > 1:
                self.writes += 1
                self.groups += 1
                try:
                    results = self._write_many([g.params for g in group])
                except Exception:  # noqa: BLE001 - nothing was kept: each member writes on its own
                    results = None
                if results is not None:
                    for member, result in zip(group, results, strict=True):
                        member.result, member.written = result, True
            elif group:  # alone: written while leading, so that deliveries arriving meanwhile form a group
                self.writes += 1
                group[0].result = self._write_one(group[0].params)
                group[0].written = True
        finally:
            for member in group[1:]:
                member.lead = False
                member.wake.set()
            with self._lock:
                if self._queue:
                    following = self._queue[0]
                    following.lead = True
                    following.wake.set()
                else:
                    self._busy = False
