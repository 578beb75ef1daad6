"""One push to a source bound to 1,000 spaces, with a no-op handler: fanout vs 1,000 legacy per-space jobs.

Run by hand (not by the tests)::

    python bench/bench_events_fanout.py [--spaces 1000] [--store sqlite|postgres|both] [--rounds 5]

Prints, per store: the seconds the worker needs for the one fanout event (target: under 2 s) and for the
same push queued as 1,000 legacy per-space jobs, and the ratio (target: at least 10x); then the cost of one
legacy job against one fanout event with one space (200 sources bound to one space each, one push each;
target: within 2x; the legacy jobs are for the same 200 pushes, one each; the median of ``--rounds``
rounds, each timing both, so the machine's drift hits both alike).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import NoOp, fresh_database, only_plugins, sha  # noqa: E402


def seed(spaces: int) -> tuple[Any, Any, Any]:
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource

    org = Org.create(name="bench")
    integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret="x")
    source = Source.create(org=org, name="app", type="git", repo="github.com/bench/app", branch="main")
    Space.insert_many([{"org": org.id, "name": f"s{i}"} for i in range(spaces)]).execute()
    ids = [s.id for s in Space.select(Space.id).order_by(Space.id)]
    SpaceSource.insert_many([{"space": i, "source": source.id} for i in ids]).execute()
    return org, integration, source


def run(store: str, spaces: int) -> tuple[float, float]:
    from jolli.events import legacy
    from jolli.events.config import EventSettings
    from jolli.events.intake import accept, load_integration
    from jolli.events.tables import EventJob
    from jolli.events.worker import Worker
    from jolli.provider import CanonicalPush
    from jolli.store.sql import write_tx

    settings = EventSettings(lease_seconds=30)
    results = []
    for shape in ("fanout", "legacy"):
        with fresh_database(store):
            handler = NoOp()
            only_plugins((handler, "noop"))
            org, integration, source = seed(spaces)
            if shape == "fanout":
                accept(load_integration(integration.id), [CanonicalPush("github.com/bench/app", "refs/heads/main", sha(0), sha(1))])
            else:
                from jolli.store.models import SpaceSource

                jrn = "jrn::path:/home/bench/sources/github.com/bench/app/main"
                with write_tx():
                    for binding in SpaceSource.select(SpaceSource.space):
                        legacy.enqueue({"spaceId": binding.space_id, "integrationId": integration.id,
                                        "eventJrn": jrn, "killSandbox": False, "sourceId": source.id,
                                        "afterSha": sha(1)}, org_id=org.id)
            jobs = EventJob.select().count()
            started = time.perf_counter()
            Worker(settings).drain()
            elapsed = time.perf_counter() - started
            assert handler.calls == spaces, (shape, handler.calls)
            assert not EventJob.select().where(EventJob.status != "done").exists()
            print(f"  {store:8} {shape:6}: {jobs:5} job(s), {spaces} spaces in {elapsed:6.2f} s "
                  f"({spaces / elapsed:7.0f} spaces/s)")
            results.append(elapsed)
    return results[0], results[1]


def one_space_events(store: str, legacy_jobs: bool, count: int = 200) -> float:
    """Seconds per fanout event with one space (``count`` sources, one space and one push each), or per
    legacy job for the same pushes (``legacy_jobs``)."""
    from jolli.events import legacy
    from jolli.events.config import EventSettings
    from jolli.events.intake import accept, load_integration
    from jolli.events.worker import Worker
    from jolli.provider import CanonicalPush
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource

    with fresh_database(store):
        handler = NoOp()
        only_plugins((handler, "noop"))
        org = Org.create(name="bench")
        integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret="x")
        info = load_integration(integration.id)
        for n in range(count):
            source = Source.create(org=org, name=f"s{n}", type="git", repo=f"github.com/bench/r{n}", branch="main")
            space = Space.create(org=org, name=f"sp{n}")
            SpaceSource.create(space=space, source=source)
            if legacy_jobs:
                legacy.enqueue({"spaceId": space.id, "integrationId": integration.id, "sourceId": source.id,
                                "eventJrn": f"jrn::path:/home/bench/sources/{source.repo}/main", "afterSha": sha(1)},
                               org_id=org.id)
            else:
                accept(info, [CanonicalPush(str(source.repo), "refs/heads/main", sha(0), sha(1))])
        started = time.perf_counter()
        Worker(EventSettings(lease_seconds=30)).drain()
        elapsed = time.perf_counter() - started
        assert handler.calls == count
    return elapsed / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=1000)
    parser.add_argument("--store", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds of legacy jobs vs one-space events")
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    print(f"one push, {args.spaces} spaces, no-op handler")
    for store in stores:
        fanout, legacy_time = run(store, args.spaces)
        verdict = "OK" if fanout < 2.0 and legacy_time / fanout >= 10 else "MISSED"
        print(f"  {store:8} fanout {fanout:.2f} s (target < 2 s); legacy/fanout = {legacy_time / fanout:.1f}x "
              f"(target >= 10x): {verdict}")
        pairs = [(one_space_events(store, True), one_space_events(store, False)) for _ in range(args.rounds)]
        ratio = statistics.median(legacy_job / event for legacy_job, event in pairs)
        verdict = "OK" if ratio <= 2 else "MISSED"
        print(f"  {store:8} one legacy job {statistics.median(p[0] for p in pairs) * 1000:.2f} ms, one one-space "
              f"event {statistics.median(p[1] for p in pairs) * 1000:.2f} ms: median of {args.rounds} paired rounds "
              f"{ratio:.2f}x (target <= 2x): {verdict}")


if __name__ == "__main__":
    main()
