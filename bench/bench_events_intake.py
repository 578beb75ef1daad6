"""Webhook intake under ``jolli serve`` vs a floor endpoint: bare Flask doing one durable insert.

Run by hand (prints figures; exit code 1 below the target of 75%)::

    python bench/bench_events_intake.py [--store sqlite|postgres|both] [--workers N] [--clients C] [--seconds S]
                                        [--rounds R] [--sources N]

Both servers run at once on loopback ports with the same gunicorn options
(:func:`jolli.cli.serve.gunicorn_options`): ``jolli serve`` answering ``POST /api/webhooks/:id`` with real,
signed GitHub push deliveries (every one a new push, so every one stores an event and its job), and the
*floor*: a bare Flask app answering ``POST /`` by one durable single-row ``INSERT`` and commit into the
same database (a table with an id, a unique text key, the delivery id, and a JSON text column, the body),
then a constant 202. A durable intake cannot beat one durable write, so the floor is what jolli is held to. ``C`` client processes
send to one server at a time for ``S`` seconds; ``R`` rounds alternate, each round gives the ratio of
jolli's rate to the bare one just measured, and the verdict is the median of those ratios (a shared 2-core
machine's speed drifts by 10-30% within a minute; pairing the rounds keeps the drift out of the ratio). The org holds ``N`` other
sources besides the one the pushes are for, as a real org would, so the receiver's lookup is measured too.

Each store is measured twice (``--threads``): under sync workers (1 thread), and under ``jolli serve``'s
default of threads per worker (gthread); the floor runs with the same threads, one connection per thread.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import signal
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _http_load import MakeRequest, free_port, load, wait_up  # noqa: E402

SECRET = "bench-secret"


FLOOR_TABLE = "bench_floor"


def floor_app(url: str) -> Any:
    """The floor: read the body, insert it under the delivery id, commit, answer 202 (one connection per
    worker thread, opened on its first request and kept, as jolli's pool does)."""
    import threading

    from flask import Flask, request

    app = Flask("floor")
    local = threading.local()

    def connection() -> Any:
        state: dict[str, Any] = local.__dict__
        if "conn" not in state:
            if url.startswith("sqlite:///"):
                import sqlite3

                conn: Any = sqlite3.connect(url[len("sqlite:///"):], timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # what jolli's SQLite database uses
                state["sql"] = f"INSERT INTO {FLOOR_TABLE} (key, body) VALUES (?, ?)"
                state["tx"] = True
            else:
                import psycopg

                conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
                state["sql"] = f"INSERT INTO {FLOOR_TABLE} (key, body) VALUES (%s, %s)"
                state["tx"] = False
            state["conn"] = conn
        return state["conn"]

    @app.post("/")
    def accept() -> tuple[dict[str, str], int]:
        body = request.get_data().decode()
        conn = connection()
        state = local.__dict__
        if state["tx"]:
            conn.execute("BEGIN IMMEDIATE")
        conn.execute(state["sql"], (request.headers["X-GitHub-Delivery"], body))
        conn.commit() if not state["tx"] else conn.execute("COMMIT")
        return {"status": "accepted"}, 202

    return app


def run_floor(port: int, workers: int, threads: int, url: str) -> None:
    from jolli.cli.serve import gunicorn_options, run_gunicorn

    run_gunicorn(lambda: floor_app(url), gunicorn_options("127.0.0.1", port, workers, threads, False))


def create_floor_table(url: str) -> None:
    from jolli.store.db import close_database, open_database

    database = open_database(url)
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
    database.execute_sql(f"CREATE TABLE {FLOOR_TABLE} (id {key}, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL)")
    close_database()


def push(path: str) -> MakeRequest:
    """Signed GitHub deliveries to ``path``, each a new push (its head from the sender's seed and number)."""
    def make(seed: int, n: int) -> tuple[str, str, bytes, dict[str, str]]:
        after = f"{seed:08x}{n:032x}"
        body = (f'{{"ref": "refs/heads/main", "before": "{"0" * 40}", "after": "{after}", '
                f'"repository": {{"full_name": "bench/app", "html_url": "https://github.com/bench/app"}}}}').encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
                   "X-GitHub-Delivery": str(uuid.uuid4()),
                   "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
        return "POST", path, body, headers

    return make


def seed(url: str, other_sources: int = 0, past_events: int = 10_000) -> int:
    """The org, its integration, ``other_sources`` other sources, and ``past_events`` finished events of one
    of them: a database in service. (On PostgreSQL a connection plans its foreign-key checks once, when
    it first makes them; against an empty event table that plan reads the whole table, and each delivery
    then costs more than the one before until the table is analysed. A database in service has events and
    statistics; an empty one measured from its first delivery would measure that instead.)"""
    from jolli.store import sql as raw
    from jolli.store.db import close_database, open_database
    from jolli.store.migrate import upgrade
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource, utcnow

    database = open_database(url)
    upgrade(database)
    org = Org.create(name="bench")
    integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret=SECRET)
    with database.atomic():
        for i in range(other_sources):
            Source.create(org=org, name=f"other-{i}", type="git", repo=f"github.com/bench/other-{i}", branch="main")
    source = Source.create(org=org, name="app", type="git", repo="github.com/bench/app", branch="main")
    for i in range(3):
        SpaceSource.create(space=Space.create(org=org, name=f"s{i}"), source=source)
    past = Source.create(org=org, name="past", type="git", repo="github.com/bench/past", branch="main")
    now = raw.naive(utcnow())
    names = ["org_id", "source_id", "integration_id", "event_jrn", "head_sha", "repo", "branch", "affected_space_ids",
             "version", "origin", "kind", "forced", "status", "received_at"]
    with raw.write_tx():
        raw.insert_many("source_event", names, [
            (org.id, past.id, integration.id, "jrn::path:/home/bench/past", f"{n:040x}", past.repo, "main", "[]", 2,
             "webhook", "push", False, "processed", now) for n in range(past_events)])
        raw.execute("INSERT INTO event_job (org_id, kind, event_id, dedupe_key, source_id, branch_key, status, "
                    "run_after, takeovers, failures, created_at, updated_at) SELECT org_id, 'event', id, "
                    "'event:' || id, source_id, 'main', 'done', received_at, 0, 0, received_at, received_at "
                    "FROM source_event")
    for table in ("source", "source_event", "event_job"):  # statistics, as a database in service has them
        database.execute_sql(f"ANALYZE {table}")
    close_database()
    return int(integration.id)


def one_store(store: str, args: argparse.Namespace) -> float:
    sys.path.insert(0, str(Path(__file__).parent))
    from _events_common import fresh_database

    with fresh_database(store) as url:
        integration_id = seed(url, args.sources)
        create_floor_table(url)
        jolli_port, bare_port = free_port(), free_port()
        jolli_bin = str(Path(sys.executable).with_name("jolli"))
        servers = [
            subprocess.Popen([jolli_bin, "serve", "--port", str(jolli_port), "--workers", str(args.workers),
                              "--threads", str(args.threads), "--database-url", url], stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, __file__, "--floor", str(bare_port), "--workers", str(args.workers),
                              "--threads", str(args.threads), "--floor-url", url], stderr=subprocess.DEVNULL),
        ]
        try:
            wait_up(jolli_port, "/api/health")
            wait_up(bare_port, "/api/health", status=None)  # the floor app has no health route: any answer
            print(f"{store}: gunicorn {args.workers} workers x {args.threads} threads; {args.clients} senders; "
                  f"{args.seconds:g}s per round; {args.sources + 1} sources; {os.cpu_count()} CPUs")
            bare, jolli = [], []
            for round_no in range(1, args.rounds + 1):
                rate, errors = load(bare_port, push("/"), 202, args.clients, args.seconds)
                bare.append(rate)
                print(f"  round {round_no}: floor (1 INSERT) POST /         {rate:8.0f} req/s ({errors} errors)")
                rate, errors = load(jolli_port, push(f"/api/webhooks/{integration_id}"), 202, args.clients,
                                      args.seconds)
                jolli.append(rate)
                print(f"  round {round_no}: jolli POST /api/webhooks/:id   {rate:8.0f} req/s ({errors} errors) "
                      f"-> {rate / bare[-1]:.0%}")
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
            for server in servers:
                server.wait(timeout=30)
        from jolli.events.tables import SourceEvent
        from jolli.store.db import close_database, open_database

        open_database(url)
        stored = SourceEvent.select().count()
        close_database()
    ratio = statistics.median(j / b for j, b in zip(jolli, bare, strict=True))
    print(f"  median: floor {statistics.median(bare):.0f} req/s, jolli {statistics.median(jolli):.0f} req/s; "
          f"median of the rounds' ratios {ratio:.0%} (target >= 75%); {stored} events stored")
    return ratio


def main() -> int:
    from jolli.settings import THREADS, default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", default=f"1,{THREADS}",
                        help="threads per gunicorn worker, one run per value (default: 1 (sync workers), and "
                             "jolli serve's default)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sources", type=int, default=1000, help="other sources in the org (default 1000)")
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)  # internal: serve the floor app on this port
    parser.add_argument("--floor-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        run_floor(args.floor, args.workers, int(args.threads), args.floor_url)
        return 0
    os.environ.setdefault("JOLLI_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "jolli-bench-home"))
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    results = []
    for threads in [int(t) for t in str(args.threads).split(",")]:
        for store in stores:
            results.append((store, threads, one_store(store, argparse.Namespace(**{**vars(args), "threads": threads}))))
    print("summary (jolli's rate / the floor's, median of paired rounds; target >= 75%):")
    for store, threads, ratio in results:
        shape = "sync workers" if threads == 1 else f"{threads} threads per worker"
        print(f"  {store:8} {shape:28} {ratio:5.0%}  {'met' if ratio >= 0.75 else 'NOT met'}")
    ok = all(r >= 0.75 for _, _, r in results)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
