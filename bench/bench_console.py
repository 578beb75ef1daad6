"""The console's pages and live updates with 100,000 events and 10,000 sources, on SQLite and PostgreSQL.

Run by hand (prints figures; exit code 1 over a target)::

    python bench/bench_console.py [--store sqlite|postgres|both] [--events 100000] [--sources 10000] [--runs 15]

Seeds one org with 5 integrations, ``--sources`` sources (each with a cursor) and ``--events`` events spread
over the sources and the last 48 hours (processed, stale, failed, queued; a job per event, the queued ones
open), a failed event with its spaces, cursor history and recorded deliveries, analysed (and vacuumed on
PostgreSQL) as a database in service is; then signs in through the
console's own form and asks every page and live update ``--runs`` times through the real app (Flask's
test client, in process, so the time is the server's). Targets: every median under 100 ms, and a live
update of the events list one SQL statement (``jolli.store.db.statements_run``; the session's token is
re-checked at most every ``RECHECK_SECONDS``, so a steady poll costs only the list's query).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import fresh_database, sha  # noqa: E402

TARGET_MS = 100.0
INTEGRATIONS = 5


def seed(url: str, sources: int, events: int) -> dict[str, Any]:
    """The org's data; returns the org, a token and ids worth asking for."""
    from jolli.store import sql as raw
    from jolli.store.admin import create_org, create_token
    from jolli.store.db import is_postgres
    from jolli.store.models import Integration, utcnow

    org = create_org("bench")
    _row, token = create_token(org, "bench")
    now = utcnow()
    integrations = [Integration.create(org=org, provider="github", host="github.com", owner=f"team{n}",
                                       name=f"github-team{n}", webhook_secret="s").id for n in range(INTEGRATIONS)]
    stamp = raw.naive(now)
    names = ["org_id", "name", "type", "repo", "branch", "integration_id", "enabled", "cursor_value",
             "cursor_version", "created_at", "updated_at"]
    rows = [(org.id, f"source-{n:05d}", "git", f"github.com/team{n % INTEGRATIONS}/repo-{n:05d}", "main",
             integrations[n % INTEGRATIONS], True, sha(n), 1, stamp, stamp) for n in range(sources)]
    with raw.write_tx():
        raw.insert_many("source", names, rows)
    first_source = int(raw.rows("SELECT MIN(id) FROM source WHERE org_id = ?", (org.id,))[0][0])
    statuses = ["processed"] * 7 + ["stale", "failed", "queued"]
    names = ["org_id", "source_id", "integration_id", "event_jrn", "head_sha", "repo", "branch",
             "affected_space_ids", "version", "origin", "kind", "forced", "status", "received_at"]
    for start in range(0, events, 5000):
        batch = []
        for n in range(start, min(start + 5000, events)):
            s = n % sources
            when = raw.naive(now - timedelta(seconds=(events - n) * 48 * 3600 / events))
            batch.append((org.id, first_source + s, integrations[s % INTEGRATIONS],
                          f"jrn::path:/home/bench/sources/github.com/team{s % INTEGRATIONS}/repo-{s:05d}/main",
                          sha(10**6 + n), f"github.com/team{s % INTEGRATIONS}/repo-{s:05d}", "main", "[1, 2]", 2,
                          "webhook" if n % 4 else "poll", "push", False, statuses[n % 10], when))
        with raw.write_tx():
            raw.insert_many("source_event", names, batch)
    with raw.write_tx():
        raw.execute("INSERT INTO event_job (org_id, kind, event_id, dedupe_key, source_id, branch_key, status, "
                    "run_after, takeovers, failures, created_at, updated_at) SELECT org_id, 'event', id, "
                    "'event:' || id, source_id, 'main', 'done', received_at, 0, 0, received_at, received_at FROM source_event "
                    "WHERE org_id = ? AND status <> 'queued'", (org.id,))  # (a queued push event has its job)
        failed = int(raw.rows("SELECT MAX(id) FROM source_event WHERE status = 'failed'")[0][0])
        failed_source = int(raw.rows("SELECT source_id FROM source_event WHERE id = ?", (failed,))[0][0])
        for space in (1, 2):
            raw.execute("INSERT INTO event_space (event_id, space_id, status, attempts, reason, detail, updated_at) "
                        "VALUES (?, ?, 'dead', 5, 'RuntimeError: boom', ?, ?)",
                        (failed, space, '{"fileCount": 2, "files": ["a.md", "b.md"]}', stamp))
        raw.insert_many("cursor_history", ["source_id", "version", "old_value", "new_value", "created_at"],
                        [(failed_source, v, sha(v - 1), sha(v), stamp) for v in range(2, 52)])
        raw.insert_many("webhook_delivery", ["org_id", "integration_id", "provider", "delivery_id", "outcome",
                                             "reason", "received_at"],
                        [(org.id, integrations[n % INTEGRATIONS], "github", f"d{n}", "ignored", "a tag push", stamp)
                         for n in range(500)])
    tables = ("source", "source_event", "event_job", "event_space", "cursor_history", "webhook_delivery")
    if is_postgres():  # as autovacuum would have: statistics and the visibility map (index-only scans)
        from jolli.store.db import database

        database.close()
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for table in tables:
                conn.execute(f"VACUUM ANALYZE {table}")
    else:
        for table in tables:
            raw.execute(f"ANALYZE {table}")
    return {"token": token, "event": failed, "source": failed_source, "integration": integrations[0]}


def sign_in(client: Any, token: str) -> None:
    form = client.get("/console/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    answer = client.post("/console/sign-in", data={"token": token, "csrf_token": csrf.group(1)})
    assert answer.status_code == 303, answer.text


def median_ms(client: Any, url: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``runs`` GETs of ``url`` (after one warm-up), and the statements of the last."""
    from jolli.store.db import statements_run

    headers = {"HX-Request": "true"} if "/rows" in url or "/live" in url or url.endswith("/spaces") else {}
    client.get(url, headers=headers)
    times = []
    for _ in range(runs):
        before = statements_run()
        started = time.perf_counter()
        answer = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        statements = statements_run() - before
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return statistics.median(times), statements


def one_store(store: str, args: argparse.Namespace) -> bool:
    from jolli.api.app import create_app

    with fresh_database(store) as url:
        started = time.perf_counter()
        ids = seed(url, args.sources, args.events)
        print(f"{store}: seeded {args.events} events, {args.sources} sources in {time.perf_counter() - started:.0f} s")
        client = create_app({"DATABASE_URL": url}).test_client()
        sign_in(client, ids["token"])
        urls = ["/console/", "/console/overview/live", "/console/sources", "/console/sources/rows",
                "/console/sources?q=repo-0999", f"/console/sources?integrationId={ids['integration']}&enabled=yes",
                f"/console/sources/{ids['source']}", f"/console/sources/{ids['source']}/live",
                "/console/events", "/console/events/rows", "/console/events/rows?status=failed",
                f"/console/events/rows?sourceId={ids['source']}", "/console/events/rows?origin=poll",
                f"/console/events/{ids['event']}", f"/console/events/{ids['event']}/spaces",
                "/console/integrations", "/console/integrations/live"]
        ok = True
        for path in urls:
            ms, statements = median_ms(client, path, args.runs)
            verdict = "OK" if ms < TARGET_MS else "OVER TARGET"
            ok &= ms < TARGET_MS
            extra = ""
            if path.startswith("/console/events/rows"):
                extra = f", {statements} statement(s) (target 1)"
                ok &= statements == 1
            print(f"{store}: {path:<58} median {ms:7.2f} ms ({verdict}){extra}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    ok = True
    for store in ("sqlite", "postgres") if args.store == "both" else (args.store,):
        ok &= one_store(store, args)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
