"""The console's own figures on both stores: changes per hour by status, the org's queue, each source's
newest event; and the chart drawn from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jolli.console import figures
from jolli.console.chart import hourly_chart
from jolli.events.tables import EventJob, SourceEvent
from jolli.store.models import Org, Source

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


def event(org: Org, source: Source, n: int, status: str, received_at: datetime) -> SourceEvent:
    return SourceEvent.create(org=org, source=source, event_jrn=f"jrn::{source.name}", head_sha=f"{n:040x}",
                              status=status, received_at=received_at)


def two_orgs() -> tuple[Org, Source, Org, Source]:
    mine, theirs = Org.create(name="mine"), Org.create(name="theirs")
    return (mine, Source.create(org=mine, name="a", type="git"), theirs,
            Source.create(org=theirs, name="b", type="git"))


def test_changes_are_counted_per_hour_and_status_for_one_org(db: Any) -> None:
    mine, source, theirs, other = two_orgs()
    event(mine, source, 1, "processed", NOW - timedelta(minutes=5))  # this hour
    event(mine, source, 2, "processed", NOW - timedelta(minutes=20))
    event(mine, source, 3, "failed", NOW - timedelta(hours=1))
    event(mine, source, 4, "stale", NOW - timedelta(hours=23, minutes=10))  # the first hour of the window
    event(mine, source, 5, "processed", NOW - timedelta(hours=25))  # before the window
    event(theirs, other, 6, "failed", NOW - timedelta(minutes=1))  # another org
    data = figures.hourly_changes(mine.id, NOW)
    assert data.hours[0] == datetime(2026, 3, 3, 16, tzinfo=UTC) and data.hours[-1] == datetime(2026, 3, 4, 15,
                                                                                                    tzinfo=UTC)
    assert data.counts["processed"][-1] == 2 and data.counts["failed"][-2] == 1
    assert data.counts["stale"][0] == 1  # 16:20 yesterday: the window's first hour
    assert (data.total("processed"), data.total("stale"), data.total("failed")) == (2, 1, 1)  # not 25 h ago
    chart = hourly_chart(data)
    assert [bar.outcome for bar in chart.bars] == ["stale", "failed", "processed"]
    assert chart.summary == "Changes per hour, last 24 hours: 2 processed, 1 stale, 1 failed"
    assert "15:00 UTC: 2 processed" in [bar.title for bar in chart.bars]


def test_the_queue_counts_the_orgs_open_jobs_and_the_oldest_wait(db: Any) -> None:
    mine, source, theirs, other = two_orgs()
    for n, (org, src, status, age) in enumerate([(mine, source, "queued", 30), (mine, source, "queued", 90),
                                                 (mine, source, "running", 500), (mine, source, "done", 900),
                                                 (theirs, other, "queued", 5000)]):
        ev = event(org, src, n, "processed", NOW)  # (a queued push event would get its own job)
        EventJob.create(org=org, event=ev, status=status, created_at=NOW - timedelta(seconds=age))
    found = figures.queue(mine.id, NOW)
    assert (found.depth, found.running, found.oldest_age) == (2, 1, timedelta(seconds=90))
    empty = figures.queue(Org.create(name="idle").id, NOW)
    assert (empty.depth, empty.oldest_age) == (0, None)


def test_each_sources_newest_event(db: Any) -> None:
    mine, source, _theirs, other = two_orgs()
    quiet = Source.create(org=mine, name="quiet", type="git")
    event(mine, source, 1, "processed", NOW)
    newest = event(mine, source, 2, "failed", NOW)
    found = figures.newest_events([source.id, quiet.id])
    assert set(found) == {source.id}
    assert (found[source.id]["id"], found[source.id]["status"]) == (newest.id, "failed")
    assert figures.newest_events([]) == {}
