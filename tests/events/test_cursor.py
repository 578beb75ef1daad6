"""The cursor compare-and-swap: racing writers, forward only, one history row per version."""

from __future__ import annotations

import threading
from typing import Any

from eventhelp import history, make_source, sha

from jolli.events.cursor import advance
from jolli.store.db import database
from jolli.store.models import Source


def test_racing_advances_move_the_cursor_once_per_version_and_never_backwards(org: Any) -> None:
    source = make_source(org, "app", "github.com/acme/app")
    order = {sha(n): n for n in range(1, 41)}  # sha(n) is newer than sha(m) when n > m
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(heads: list[str]) -> None:
        try:
            barrier.wait()
            for head in heads:
                current = Source.get_by_id(source.id).cursor_value
                if current is not None and order[current] >= order[head]:
                    continue  # the stale check a worker does first
                advance(source.id, head, expected_value=current,
                        is_behind=lambda now, _v, head=head: order[now] >= order[head])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            database.close()

    heads = list(order)
    threads = [threading.Thread(target=writer, args=(heads[i::8][::-1] + heads[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    final = Source.get_by_id(source.id)
    assert final.cursor_value == sha(40)
    rows = history(source.id)
    assert [r.version for r in rows] == list(range(1, len(rows) + 1)) == list(range(1, final.cursor_version + 1))
    for previous, row in zip([None, *rows], rows, strict=False):
        assert row.old_value == (previous.new_value if previous else None)  # one unbroken line
        assert row.old_value is None or order[row.new_value] > order[row.old_value]  # only forward


def test_advancing_to_the_value_it_holds_changes_nothing(org: Any) -> None:
    source = make_source(org, "app", "github.com/acme/app", cursor_value=sha(3), cursor_version=7)
    result = advance(source.id, sha(3), expected_value=sha(3), is_behind=lambda *_: True)
    assert not result.moved and Source.get_by_id(source.id).cursor_version == 7 and history(source.id) == []


def test_a_cursor_moved_to_a_newer_value_meanwhile_is_left_alone(org: Any) -> None:
    source = make_source(org, "app", "github.com/acme/app", cursor_value=sha(1), cursor_version=1)
    Source.update(cursor_value=sha(9), cursor_version=2).where(Source.id == source.id).execute()
    result = advance(source.id, sha(5), expected_value=sha(1), is_behind=lambda now, _v: now == sha(9))
    assert not result.moved and "newer" in result.reason
    assert Source.get_by_id(source.id).cursor_value == sha(9)
