"""Scheduled checks at scale: 10,000 git sources whose branches do not move.

Run by hand (prints figures; exit code 1 when a target is missed)::

    python bench/bench_checks.py [--store sqlite|postgres|both] [--sources 10000] [--sweeps 10]
                                 [--throughput | --throughput-only] [--rounds 3]

The GitHub branch API is answered in process by ``responses`` (documented shape, an ETag per branch, a 304
to ``If-None-Match`` with the current ETag). A first sweep learns every ETag; then ``--sweeps`` sweeps,
each one interval later, are measured:

- provider requests per sweep and how many were 304 (target: at most one per source, all 304);
- database statements per sweep, counted at ``Database.execute_sql`` (target: bounded by batches, not by
  sources: at most ``batches x (3 + integrations) + 40``; no statement per unchanged source);
- Python memory after each sweep (``tracemalloc``; target: flat, the last within 10% + 1 MiB of the second);
- the time from a check's answer to its event being stored and claimable, against a webhook's delivery of
  the same kind of push through the receiver's own ``accept`` (the same store path; target within 1.2x);
- with ``--throughput`` (``--throughput-only``: nothing else): a worker's time for ``--events`` events (1,000) alone, and
  while the sources are checked on their schedule (every source once a minute, spread evenly: 10,000
  sources are about 170 checks a second, each provider answer taking 20 ms) by the check process
  ``jolli worker`` starts (a spawned child at ``JOLLI_CHECK_PRIORITY=idle``; target within 1.1x), by one at
  ``low`` and at ``normal`` priority, and by a thread of the worker (before the check process); ``--rounds``
  rounds, the shapes alternating, after one sweep that learns every ETag (the steady state: the first check
  of a source is a 200, and its row is updated on its own). Beside each shape: the checks it made per second,
  counted in the database, from the moment it started (a spawned child's start and first sweep included,
  so below the schedule's 170 a second: it shows that the checks ran, not their steady pace).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import fresh_database, sha  # noqa: E402

INTEGRATIONS = 10
#: Due checks claimed per statement.
BATCH = 500


def _seed(sources: int) -> list[int]:
    """``sources`` github sources over :data:`INTEGRATIONS` integrations, each with a cursor; their ids."""
    from jolli.store import sql as raw
    from jolli.store.models import Integration, Org, utcnow

    org = Org.create(name="bench")
    integrations = [Integration.create(org=org, provider="github", host="github.com", owner=f"o{i}",
                                       name=f"gh{i}", webhook_secret="s", access_token="t").id
                    for i in range(INTEGRATIONS)]
    now = raw.naive(utcnow())
    rows = [(org.id, f"s{n}", "git", f"github.com/o{n % INTEGRATIONS}/r{n}", "main", integrations[n % INTEGRATIONS],
             True, sha(n + 1), 1, now, now) for n in range(sources)]
    raw.insert_many("source", ["org_id", "name", "type", "repo", "branch", "integration_id", "enabled",
                               "cursor_value", "cursor_version", "created_at", "updated_at"], rows)
    return [int(r[0]) for r in raw.rows("SELECT id FROM source ORDER BY id")]


def _mock_github(sources: int, latency: float = 0.0) -> Any:
    """GitHub's branch API for every repo: ``sha(n + 1)`` for ``o*/r<n>``, ``sha(2)`` for any other, an ETag
    per head and a 304 to ``If-None-Match`` with it; ``latency`` seconds per answer (a network round trip)."""
    import re

    import responses

    pattern = re.compile(r"https://api\.github\.com/repos/[^/]+/([^/]+)/branches/main")

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if latency:
            time.sleep(latency)
        name = pattern.match(request.url).group(1)  # type: ignore[union-attr]
        head = sha(int(name[1:]) + 1) if name[:1] == "r" and name[1:].isdigit() else sha(2)
        etag = f'"{head[-12:]}"'
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        return 200, {"ETag": etag, "Content-Type": "application/json"}, json.dumps({"commit": {"sha": head}})

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_callback(responses.GET, pattern, callback=answer)
    return mock


def _forget_calls(mock: Any) -> None:
    """Drop the mock's record of calls (kept globally and per registered answer), not the checker's memory."""
    mock.calls.reset()
    for registered in mock.registered():
        registered.calls.reset()


class StatementCounter:
    """Counts the statements sent to the database (every path goes through ``execute_sql``)."""

    def __init__(self) -> None:
        import peewee

        self.count = 0
        self._original = peewee.Database.execute_sql
        counter = self

        def counted(db: Any, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            counter.count += 1
            return counter._original(db, sql, params, *args, **kwargs)

        peewee.Database.execute_sql = counted  # type: ignore[method-assign,assignment]


def _sweeps(store: str, sources: int, sweeps: int) -> dict[str, Any]:
    from jolli.events.checker import Checker
    from jolli.events.config import EventSettings

    with fresh_database(store):
        _seed(sources)
        settings = EventSettings.from_env(check_batch=BATCH, check_concurrency=8)
        clock = [time.time()]
        checker = Checker(settings, "bench", clock=lambda: clock[0])
        counter = StatementCounter()
        with _mock_github(sources) as mock:
            first = checker.sweep()
            assert first.results == {"unchanged": sources}, first.results
            _forget_calls(mock)
            tracemalloc.start()
            figures = []
            for _ in range(sweeps):
                clock[0] += 3600
                before = counter.count
                started = time.perf_counter()
                stats = checker.sweep()
                seconds = time.perf_counter() - started
                statuses = [c.response.status_code for c in mock.calls]
                _forget_calls(mock)
                figures.append({"seconds": seconds, "requests": len(statuses), "notModified": statuses.count(304),
                                "statements": counter.count - before, "results": stats.results,
                                "memory": tracemalloc.get_traced_memory()[0]})
            tracemalloc.stop()
        latency = _latency(store)
    return {"store": store, "sweeps": figures, "latency": latency}


def _latency(store: str, pushes: int = 200) -> dict[str, float]:
    """Median seconds from an answer to its event being stored and claimable: a check's ``record`` vs the
    webhook receiver's ``accept`` (both the one store path)."""
    from jolli.events.checker import record
    from jolli.events.checks import claim_one, now_seconds
    from jolli.events.intake import accept, load_integration
    from jolli.events.status import Origin
    from jolli.provider import CanonicalPush
    from jolli.store.models import Integration, Org, Source

    with fresh_database(store):
        org = Org.create(name="latency")
        integration = Integration.create(org=org, provider="github", host="github.com", owner="acme",
                                         webhook_secret="s")
        hooked = [Source.create(org=org, name=f"w{n}", type="git", repo=f"github.com/acme/w{n}", branch="main",
                                integration=integration) for n in range(pushes)]
        checked = [Source.create(org=org, name=f"c{n}", type="git", repo=f"github.com/acme/c{n}", branch="main",
                                 integration=integration) for n in range(pushes)]
        loaded = load_integration(integration.id, cached=False)
        webhook, check = [], []
        for n in range(pushes):
            push = CanonicalPush(repo=str(hooked[n].repo), ref="refs/heads/main", before=sha(1), after=sha(n + 2),
                                 delivery_id=f"d{n}")
            started = time.perf_counter()
            accept(loaded, [push])
            webhook.append(time.perf_counter() - started)
            due = claim_one("bench", checked[n].id, now_seconds(), 30)
            assert due is not None
            started = time.perf_counter()
            record(due, sha(n + 2), Origin.POLL)
            check.append(time.perf_counter() - started)
    return {"webhook": statistics.median(webhook), "check": statistics.median(check)}


def _sweep_until(settings: Any, stop: Any, mock: Any) -> None:
    """What a worker's check thread does: sweep the due checks, look again shortly, until ``stop``."""
    from jolli.events.check_process import CHECK_PAUSE
    from jolli.events.checker import Checker
    from jolli.store.db import database

    checker = Checker(settings, "bench-checks")
    while not stop.is_set():
        checker.sweep(stop)
        _forget_calls(mock)
        stop.wait(CHECK_PAUSE)
    database.close()


def _spread(interval: float, checked: list[int]) -> None:
    """The ``checked`` sources due once within the next ``interval`` seconds, evenly (a schedule in its
    steady state); every other source (the ones the worker's events are for) not due within the run."""
    from jolli.events import checks
    from jolli.store import sql as raw

    now = checks.now_seconds()
    checks.schedule_new(now)
    raw.execute("UPDATE source_check SET due_at = CASE WHEN source_id BETWEEN ? AND ? "
                "THEN ? + (source_id - (source_id / 1000) * 1000) * ? ELSE ? END",
                (min(checked), max(checked), now, interval / 1000, now + 86_400))


def _settle() -> None:
    """Write the log back into the database now (SQLite: a WAL checkpoint; PostgreSQL: ``ANALYZE`` and
    ``CHECKPOINT``, which needs a superuser), so that no shape pays for the writes before it (the events just
    queued, the 10,000 rows of :func:`_spread`)."""
    from jolli.store import sql as raw
    from jolli.store.db import is_postgres

    if not is_postgres():
        raw.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    try:
        raw.execute("ANALYZE")  # planner statistics of the rows just written, as autovacuum would have them
        raw.execute("CHECKPOINT")
    except Exception as exc:  # noqa: BLE001 - not allowed: the figures are noisier, nothing else
        print(f"(no CHECKPOINT between shapes: {exc})", file=sys.stderr)


def _mocked_child(latency: float, *args: Any) -> None:
    """The check process of ``jolli worker`` (:func:`jolli.events.check_process.run_child`), with the provider's
    branch API answered in it (a spawned child, as ``jolli worker`` starts it: a forked one would make the
    worker pay for copying the pages it shares with the child)."""
    from jolli.events.check_process import run_child

    with _mock_github(0, latency):
        run_child(*args)


#: The shapes of ``--throughput``: the worker alone, then with checks as ``jolli worker`` runs them (a child
#: process at ``JOLLI_CHECK_PRIORITY=idle``), a child at ``low`` and at ``normal`` priority, and as a thread
#: of the worker (before the check process).
SHAPES = {"alone": None, "check process (default: idle)": "idle", "check process, low (nice 10)": "low",
          "check process, normal": "normal", "check thread": None}
DEFAULT_SHAPE = "check process (default: idle)"


def _throughput(store: str, sources: int, rounds: int, events: int = 300,
                latency: float = 0.02) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds a worker takes for ``events`` queued events (one space each), alone and while ``sources``
    unchanged sources are checked on their schedule in each of :data:`SHAPES`; ``rounds`` rounds, the
    shapes alternating within each (a shared machine's speed drifts)."""
    import threading

    from _events_common import NoOp, only_plugins

    import jolli.providers.github
    from jolli.events.check_process import CheckProcess
    from jolli.events.config import EventSettings
    from jolli.events.intake import accept, load_integration
    from jolli.events.worker import Worker
    from jolli.provider import CanonicalPush
    from jolli.store import sql as raw
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource

    only_plugins((NoOp(), "noop"), (jolli.providers.github, "github"))
    settings = EventSettings.from_env(check_batch=BATCH, check_concurrency=8, coalesce_seconds=0.0,
                                      check_interval_seconds=60.0, check_quiet_interval_seconds=60.0,
                                      poll_seconds=0.05)
    timings: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    rates: dict[str, list[float]] = {shape: [] for shape in SHAPES}
    with fresh_database(store) as url, _mock_github(sources, latency) as mock:
        checked = _seed(sources)
        from jolli.events.checker import Checker

        Checker(settings, "warm-up").sweep()  # every ETag learned: the steady state, as after a first minute
        _forget_calls(mock)
        org = Org.create(name="work")
        integration = Integration.create(org=org, provider="github", host="github.com", owner="work",
                                         webhook_secret="s")
        loaded = load_integration(integration.id, cached=False)
        for round_ in range(rounds):
            for shape in SHAPES:
                for n in range(events):
                    name = f"{round_}-{shape}-{n}"
                    source = Source.create(org=org, name=name, type="git", integration=integration,
                                           repo=f"github.com/work/x{round_}-{list(SHAPES).index(shape)}-{n}", branch="main")
                    SpaceSource.create(space=Space.create(org=org, name=name), source=source)
                    accept(loaded, [CanonicalPush(str(source.repo), "refs/heads/main", sha(1), sha(2), delivery_id=name)])
                stop = threading.Event()
                checker: Any = None
                if shape != "alone":
                    _spread(settings.check_interval_seconds, checked)
                _settle()
                wall = time.time()
                if shape == "check thread":
                    checker = threading.Thread(target=_sweep_until, args=(settings, stop, mock))
                    checker.start()
                elif shape != "alone":
                    checker = CheckProcess(url, settings.with_(check_priority=SHAPES[shape]),
                                           target=functools.partial(_mocked_child, latency)).start()
                if checker is not None:
                    time.sleep(2.0)  # let the sweeps get going (a spawned child imports jolli first)
                started = time.perf_counter()
                done = Worker(settings).drain()
                timings[shape].append(time.perf_counter() - started)
                made = raw.rows("SELECT COUNT(*) FROM source_check WHERE checked_at >= ?", (wall,))[0][0]
                rates[shape].append(made / (time.time() - wall))
                stop.set()
                if isinstance(checker, CheckProcess):
                    checker.stop()
                elif checker is not None:
                    checker.join(120)
                assert len(done) == events, len(done)
                assert shape == "alone" or made, f"{shape}: no source was checked while the worker ran"
    return timings, rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--sweeps", type=int, default=10)
    parser.add_argument("--throughput", action="store_true",
                        help="also: worker throughput while the sources are checked, vs without")
    parser.add_argument("--throughput-only", action="store_true",
                        help="only the throughput figures (no sweeps, no latency)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds, the shapes alternating in each")
    parser.add_argument("--events", type=int, default=1000, help="events the worker processes in each shape")
    args = parser.parse_args()
    ok = True
    for store in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        if not args.throughput_only:
            result = _sweeps(store, args.sources, args.sweeps)
            print(f"== {store}: {args.sources} unchanged sources, {args.sweeps} sweeps")
            for n, f in enumerate(result["sweeps"], 1):
                print(f"sweep {n:2}: {f['seconds']:6.2f} s  requests {f['requests']} ({f['notModified']} x 304)  "
                      f"statements {f['statements']}  python memory {f['memory'] / 2**20:.1f} MiB  {f['results']}")
            sweeps = result["sweeps"]
            ok &= all(f["requests"] <= args.sources and f["notModified"] == f["requests"] for f in sweeps)
            batches = -(-args.sources // BATCH)
            ok &= all(f["statements"] <= batches * (3 + INTEGRATIONS) + 40 for f in sweeps)
            if len(sweeps) > 1:
                ok &= sweeps[-1]["memory"] <= sweeps[1]["memory"] * 1.1 + 2**20
            latency = result["latency"]
            ratio = latency["check"] / latency["webhook"]
            print(f"answer -> claimable event: check {latency['check'] * 1000:.2f} ms, webhook "
                  f"{latency['webhook'] * 1000:.2f} ms (median), ratio {ratio:.2f} (target <= 1.2)")
            ok &= ratio <= 1.2
        if args.throughput or args.throughput_only:
            timings, rates = _throughput(store, args.sources, args.rounds, args.events)
            alone = timings["alone"]
            print(f"worker: {args.events} events, {args.rounds} round(s), while {args.sources} sources are checked once a "
                  "minute (seconds per round; ratio to alone, median of the rounds)")
            for shape in SHAPES:
                ratios = [t / a for t, a in zip(timings[shape], alone, strict=True)]
                print(f"  {shape:<30} " + " ".join(f"{t:5.2f}" for t in timings[shape])
                      + ("" if shape == "alone" else f"   {statistics.median(ratios):.2f}x"
                         + ("  (target <= 1.10)" if shape == DEFAULT_SHAPE else "")
                         + f"   {statistics.median(rates[shape]):.0f} checks/s from its start"))
            default = statistics.median(t / a for t, a in zip(timings[DEFAULT_SHAPE], alone, strict=True))
            ok &= default <= 1.1
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
