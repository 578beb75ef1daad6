"""Group commit: concurrent writes of one process go out together, each gets its own answer, and a failed
group falls back to single writes; then the receiver's pushes on PostgreSQL, from many threads at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from eventhelp import make_source, make_spaces, sha

from jolli.events.group_commit import GroupCommit


class Writer:
    """Slow writes (so that others queue meanwhile), recording what went out together."""

    def __init__(self, fail_groups: bool = False, fail_one: set[int] | None = None) -> None:
        self.fail_groups = fail_groups
        self.fail_one = fail_one or set()
        self.calls: list[list[int]] = []
        self.lock = threading.Lock()

    def one(self, n: int) -> int:
        time.sleep(0.01)
        with self.lock:
            self.calls.append([n])
        if n in self.fail_one:
            raise ValueError(f"write {n} failed")
        return n * 10

    def many(self, group: Sequence[int]) -> list[int]:
        time.sleep(0.01)
        with self.lock:
            self.calls.append(list(group))
        if self.fail_groups:
            raise RuntimeError("deadlock detected")
        return [n * 10 for n in group]


def submit_all(commit: GroupCommit[int, int], count: int) -> dict[int, Any]:
    answers: dict[int, Any] = {}
    start = threading.Barrier(count)

    def one(n: int) -> None:
        start.wait()
        try:
            answers[n] = commit.submit(n)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            answers[n] = exc

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a submit never returned"
    return answers


def test_concurrent_writes_go_out_in_groups_each_with_its_own_answer() -> None:
    writer = Writer()
    commit = GroupCommit(writer.one, writer.many)
    answers = submit_all(commit, 40)
    assert answers == {n: n * 10 for n in range(40)}
    written = sorted(n for call in writer.calls for n in call)
    assert written == list(range(40))  # each exactly once
    assert commit.groups >= 1 and commit.writes < 40  # fewer round trips than writes
    assert any(len(call) > 1 for call in writer.calls)


def test_a_failed_group_writes_each_member_alone() -> None:
    writer = Writer(fail_groups=True)
    commit = GroupCommit(writer.one, writer.many)
    answers = submit_all(commit, 20)
    assert answers == {n: n * 10 for n in range(20)}
    singles = sorted(call[0] for call in writer.calls if len(call) == 1)
    assert singles == list(range(20))  # every member written on its own after its group failed


def test_a_failing_write_is_its_own_error_and_the_others_go_on() -> None:
    writer = Writer(fail_one={3, 7})
    commit = GroupCommit(writer.one, writer.many)
    answers = submit_all(commit, 12)
    for n in range(12):
        if n in (3, 7) and isinstance(answers[n], Exception):
            assert str(answers[n]) == f"write {n} failed"
        else:
            assert answers[n] == n * 10


def test_groups_stay_under_their_size_limit() -> None:
    writer = Writer()
    commit = GroupCommit(writer.one, writer.many, max_group=4)
    assert submit_all(commit, 30) == {n: n * 10 for n in range(30)}
    assert max(len(call) for call in writer.calls) <= 4


def test_the_receivers_pushes_from_many_threads_are_each_stored_once(org: Any, integration: Any,
                                                                      db_url: str) -> None:
    """24 threads at once, each push sent twice: one event and one job per push, duplicates answered as
    such; on PostgreSQL the pushes went out in groups (SQLite takes the general path)."""
    from jolli.events import intake_sql
    from jolli.events.intake import store_pushes
    from jolli.events.tables import EventJob, SourceEvent
    from jolli.provider import CanonicalPush
    from jolli.store.db import database

    source = make_source(org, "app", "github.com/acme/app", "main")
    make_spaces(org, source, 2)
    before = intake_sql._pushes.groups
    pushes = [CanonicalPush(repo="github.com/acme/app", ref="refs/heads/main", before=sha(0), after=sha(n % 12 + 1),
                            delivery_id=f"d-{n}") for n in range(24)]
    statuses: list[str] = []
    start = threading.Barrier(len(pushes))

    def deliver(push: CanonicalPush) -> None:
        start.wait()
        try:
            statuses.append(store_pushes(integration, [push]).status)
        finally:
            database.close()

    threads = [threading.Thread(target=deliver, args=(p,)) for p in pushes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == ["accepted"] * 12 + ["duplicate"] * 12
    assert SourceEvent.select().count() == 12 and EventJob.select().count() == 12
    assert {e.head_sha for e in SourceEvent.select()} == {sha(n) for n in range(1, 13)}
    assert (intake_sql._pushes.groups > before) == db_url.startswith("postgresql")
