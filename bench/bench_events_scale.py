"""Reads and claims stay flat as events pile up, on SQLite and PostgreSQL, ratios side by side in one run.

Run by hand (prints figures; exit code 1 over a target)::

    python bench/bench_events_scale.py [--store sqlite|postgres|both] [--big-events 100000] [--big-jobs 30000]

- **A source's events, newest first**: ``GET /api/sources/:id/events?limit=100&order=desc`` through the real
  app (Flask test client, bearer token) for a source with 100 events and for one with ``--big-events``,
  median server time of 50 calls each. Target: the big one within 1.2x of the small one.
- **A claim**: one ``jobs.claim`` (claimed, then given back) with 100 jobs queued and with ``--big-jobs``
  more queued behind them, ``--big-jobs`` finished jobs ahead of both; median of 200 claims each.
  Target: within 1.2x. And the same claim with those ``--big-jobs`` not due yet (held for order evidence, or
  waiting out a retry's backoff): within 1.2x too.
Events and jobs are seeded with plain multi-row inserts, then the tables are analysed, as a database in
service would be.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import fresh_database  # noqa: E402


def seed_events(org: Any, source: Any, count: int, with_jobs: bool) -> None:
    """``count`` events of ``source``: processed, or queued (each then gets its queued job from the database's
    trigger, as a stored push does)."""
    from jolli.store import sql as raw
    from jolli.store.models import utcnow

    now = raw.naive(utcnow())
    names = ["org_id", "source_id", "event_jrn", "head_sha", "repo", "branch", "affected_space_ids", "version",
             "origin", "kind", "forced", "status", "received_at"]
    for start in range(0, count, 2000):
        rows = [(org.id, source.id, "jrn::path:/home/bench/x", f"{n:040x}", source.repo, "main", "[]", 2, "webhook",
                 "push", False, "queued" if with_jobs else "processed", now)
                for n in range(start, min(start + 2000, count))]
        with raw.write_tx():
            raw.insert_many("source_event", names, rows, chunk=500)
    for table in ("source_event", "event_job"):
        raw.execute(f"ANALYZE {table}")


def raw_analyse() -> int:
    """Analyse the job table as a database in service would be; the number of jobs not due yet."""
    from jolli.store import sql as raw
    from jolli.store.models import utcnow

    raw.execute("ANALYZE event_job")
    return int(raw.rows("SELECT COUNT(*) FROM event_job WHERE status = 'queued' AND run_after > ?",
                        (raw.naive(utcnow()),))[0][0])


def paired_ms(small: Any, big: Any, rounds: int) -> tuple[float, float]:
    """Median milliseconds of each call, measured alternately (the machine's drift hits both alike)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, into in ((small, times[0]), (big, times[1])):
            started = time.perf_counter()
            call()
            into.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def one_store(store: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    from jolli.api.app import create_app
    from jolli.events import jobs
    from jolli.store.admin import create_org, create_token
    from jolli.store.models import Source, utcnow

    results = []
    with fresh_database(store) as url:
        org = create_org("bench")
        _row, token = create_token(org, "bench")
        small = Source.create(org=org, name="small", type="git", repo="github.com/bench/small", branch="main")
        big = Source.create(org=org, name="big", type="git", repo="github.com/bench/big", branch="main")
        seed_events(org, small, 100, with_jobs=False)
        seed_events(org, big, args.big_events, with_jobs=False)
        client = create_app({"DATABASE_URL": url}).test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def page(source: Any) -> Any:
            def call() -> None:
                answer = client.get(f"/api/sources/{source.id}/events?limit=100&order=desc", headers=headers)
                assert answer.status_code == 200 and len(answer.get_json()["items"]) == 100
            return call

        page(small)()
        results.append(("events page, newest first", *paired_ms(page(small), page(big), 100)))

        # Claims: two databases' worth of queue would not pair; one queue of 100 jobs, then the same
        # measurement after adding the big backlog behind them (claims take the oldest: the same 100).
        from jolli.events.tables import EventJob, SourceEvent

        EventJob.delete().execute()
        SourceEvent.delete().execute()
        history = Source.create(org=org, name="history", type="git", repo="github.com/bench/history", branch="main")
        seed_events(org, history, args.big_jobs, with_jobs=True)  # finished jobs ahead of the queue, as in service
        EventJob.update(status="done").execute()
        queued = Source.create(org=org, name="queued", type="git", repo="github.com/bench/queued", branch="main")
        seed_events(org, queued, 100, with_jobs=True)

        def claim() -> None:
            job = jobs.claim("bench", 30)
            assert job is not None
            jobs.release(job.id, "bench", run_after=utcnow() - timedelta(seconds=1))

        few, _ = paired_ms(claim, claim, 100)
        backlog = Source.create(org=org, name="backlog", type="git", repo="github.com/bench/backlog", branch="main")
        seed_events(org, backlog, args.big_jobs, with_jobs=True)
        many, _ = paired_ms(claim, claim, 100)
        results.append((f"claim (100 vs {args.big_jobs} jobs queued)", few, many))
        # The backlog not due yet (held for order evidence, or in a retry's backoff), ahead of the due ones.
        EventJob.update(run_after=utcnow() + timedelta(hours=1)).where(
            EventJob.source_id == backlog.id).execute()
        jobs_ahead = raw_analyse()
        waiting, _ = paired_ms(claim, claim, 100)
        results.append((f"claim (100 due, vs {jobs_ahead} not due yet)", few, waiting))
    for what, small_ms, big_ms in results:
        print(f"{store}: {what}: {small_ms:.2f} ms small, {big_ms:.2f} ms big -> {big_ms / small_ms:.2f}x "
              "(target <= 1.2x)")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--big-events", type=int, default=100_000)
    parser.add_argument("--big-jobs", type=int, default=30_000)
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    ok = True
    for store in stores:
        ok &= all(big <= 1.2 * small for _, small, big in one_store(store, args))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
