"""Round trips per job: statements a worker sends for one 3-space event, and events per second, in one run.

Run by hand (prints figures)::

    python bench/bench_events_statements.py [--store sqlite|postgres|both] [--events 200] [--spaces 3]

Each event is the only one of its source (no coalescing), bound to ``--spaces`` spaces, with a no-op
``jolli_process_space`` handler. One in-process worker claims and processes every job; every statement it
sends is counted (peewee's query log, plus ``BEGIN``, ``COMMIT`` and ``ROLLBACK``, which peewee sends
without logging), per job: claim, reads, the spaces' transaction, the cursor, settling. The heartbeat
thread sends nothing for jobs shorter than a third of the lease. On PostgreSQL each is a round trip (a batch
of statements sent as one query counts once); SQLite runs in-process, where its count is for information.
Target: at most 10 round trips for a 3-space event on PostgreSQL.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import NoOp, fresh_database, sha  # noqa: E402


class Counting(logging.Handler):
    """Counts peewee's logged statements by their first word."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        sql = record.msg[0] if isinstance(record.msg, tuple) else record.getMessage()
        words = str(sql).lstrip("('\"").split(None, 1)
        self.kinds[words[0].upper() if words else "?"] += 1


def seed(events: int, spaces: int) -> None:
    from jolli.events.intake import accept, load_integration
    from jolli.provider import CanonicalPush
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource

    org = Org.create(name="bench")
    integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret="x")
    info = load_integration(integration.id)
    for n in range(events):
        source = Source.create(org=org, name=f"src{n}", type="git", repo=f"github.com/bench/r{n}", branch="main")
        for i in range(spaces):
            SpaceSource.create(space=Space.create(org=org, name=f"s{n}-{i}"), source=source)
        accept(info, [CanonicalPush(str(source.repo), "refs/heads/main", sha(0), sha(n + 1))])


def one_store(store: str, args: argparse.Namespace) -> tuple[float, float]:
    from jolli.events.config import EventSettings
    from jolli.events.tables import EventJob
    from jolli.events.worker import Worker
    from jolli.store.db import database
    from jolli.testing.helpers import isolated_plugins

    with fresh_database(store) as _url, isolated_plugins() as plugins:
        plugins.register(NoOp(), "noop")
        seed(args.events, args.spaces)
        counter = Counting()
        peewee_log = logging.getLogger("peewee")
        peewee_log.addHandler(counter)
        peewee_log.setLevel(logging.DEBUG)
        real = database.obj
        wrapped: dict[str, Any] = {}
        for name in ("begin", "commit", "rollback"):
            original = getattr(real, name)

            def counted(*a: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
                counter.kinds[_name.upper()] += 1
                return _original(*a, **kw)

            wrapped[name] = original
            setattr(real, name, counted)
        worker = Worker(EventSettings(lease_seconds=30, coalesce_seconds=0.0))
        per_job: list[int] = []
        run_once = worker.run_once

        def counted_run() -> Any:
            before = sum(counter.kinds.values())
            result = run_once()
            if result is not None:
                per_job.append(sum(counter.kinds.values()) - before)
            return result

        worker.run_once = counted_run  # type: ignore[method-assign]
        started = time.perf_counter()
        done = len(worker.drain())
        seconds = time.perf_counter() - started
        peewee_log.removeHandler(counter)
        for name, original in wrapped.items():
            setattr(real, name, original)
        assert done == args.events and not EventJob.select().where(EventJob.status != "done").exists()
    median = statistics.median(per_job)
    detail = ", ".join(f"{kind} {count / done:.2f}" for kind, count in counter.kinds.most_common())
    print(f"{store}: {median:g} statements per {args.spaces}-space job (median; max {max(per_job)}, mean "
          f"{sum(per_job) / done:.2f}: {detail}); {done / seconds:.0f} events/s with one worker")
    return median, done / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--spaces", type=int, default=3)
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    results = [one_store(store, args) for store in stores]
    ok = all(per_job <= 10 for (per_job, _), store in zip(results, stores, strict=True) if store == "postgres")
    print("PASS" if ok else "FAIL (target: at most 10 round trips per 3-space job on PostgreSQL)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
