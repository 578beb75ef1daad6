"""Refused deliveries counted per integration, reason and hour: bounded whatever a sender does, written at
most once a second under a flood, and the last 24 hours summed by reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eventhelp import make_integration, make_org

from jolli.events import refusals
from jolli.events.status import RefusalReason
from jolli.store import sql as raw


@pytest.fixture
def fresh(db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has written no refusal yet."""
    refusals.flush()
    monkeypatch.setitem(refusals._state, "flushed", float("-inf"))


def _rows() -> list[tuple[Any, ...]]:
    return raw.rows("SELECT integration_id, reason, hour, refusals FROM webhook_refusal ORDER BY reason, hour")


def test_a_flood_of_refusals_is_one_row_per_reason_and_hour_written_at_most_once_a_second(fresh: None) -> None:
    integration = make_integration(make_org())
    now = time.time()
    writes = []
    original = refusals.flush

    def counted() -> None:
        writes.append(time.monotonic())
        original()

    refusals.flush = counted  # type: ignore[assignment]
    try:
        for _ in range(1000):
            refusals.count(integration.id, RefusalReason.BAD_SIGNATURE, now)
        refusals.count(integration.id, RefusalReason.TOO_LARGE, now)
        assert _rows() == [(integration.id, "bad-signature", refusals.hour_of(now), 1)]  # the first, at once
        deadline = time.monotonic() + 5
        while len(_rows()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        refusals.flush = original  # type: ignore[assignment]
    assert _rows() == [(integration.id, "bad-signature", refusals.hour_of(now), 1000),
                       (integration.id, "too-large", refusals.hour_of(now), 1)]
    assert len(writes) == 2 and writes[1] - writes[0] >= refusals.FLUSH_SECONDS * 0.9  # the rest by the timer
    assert refusals.last_24h([integration.id, integration.id + 1], now) == {
        integration.id: {"bad-signature": 1000, "too-large": 1}}


def test_the_last_24_hours_are_summed_and_older_hours_are_deleted(fresh: None) -> None:
    integration = make_integration(make_org())
    now = time.time()
    for hours_ago in (0, 1, 23, 24, 49):
        refusals.count(integration.id, RefusalReason.BAD_BODY, now - hours_ago * 3600)
        refusals.flush()
    assert refusals.last_24h([integration.id], now) == {integration.id: {"bad-body": 3}}
    assert len(_rows()) == 5
    refusals._state["pruned_hour"] = -1  # a new hour begins
    refusals.count(integration.id, RefusalReason.BAD_BODY, now)
    refusals.flush()
    assert [r[2] for r in _rows()] == [refusals.hour_of(now - h * 3600) for h in (24, 23, 1, 0)]


def test_the_rows_go_with_their_integration(fresh: None) -> None:
    integration = make_integration(make_org())
    refusals.count(integration.id, RefusalReason.NO_SECRET)
    integration.delete_instance()
    assert _rows() == []


def test_counts_of_an_integration_deleted_before_they_are_written_are_dropped_not_the_others(fresh: None) -> None:
    org = make_org()
    gone, kept = make_integration(org, name="gone"), make_integration(org, name="kept")
    refusals.count(kept.id, RefusalReason.BAD_SIGNATURE)  # written at once
    refusals.count(gone.id, RefusalReason.BAD_SIGNATURE)  # within the second: pending
    refusals.count(kept.id, RefusalReason.BAD_SIGNATURE)
    gone.delete_instance()
    refusals.flush()
    assert refusals.last_24h([gone.id, kept.id]) == {kept.id: {"bad-signature": 2}}
