"""Worker scaling on PostgreSQL: events per second with 1 and with 2 ``jolli worker`` processes.

Run by hand (prints figures; exit code 1 below the target of 1.6x)::

    python bench/bench_events_workers.py [--sources 40] [--events 25] [--spaces 3] [--hook-ms 0]

Each run starts from a fresh database holding ``sources x events`` queued source events (each source bound
to ``spaces`` spaces) and real ``jolli worker`` processes with the installed plugins (the built-in
``record_changes`` handler; ``--hook-ms`` adds a handler that sleeps that long per space, like one that
calls another service). Throughput is events / (last job finished - first space processed), read from
the database, so process start-up is not counted. The workers run with ``--no-checks``: this measures
event processing (the checks' cost to it is ``bench/bench_checks.py --throughput``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _events_common import fresh_database, sha  # noqa: E402

HOOK = '''
import time
from jolli import hookimpl

@hookimpl
def jolli_process_space(space_id, event, changes):
    time.sleep({seconds})
'''


def seed(sources: int, events: int, spaces: int) -> None:
    from jolli.events.intake import accept, load_integration
    from jolli.provider import CanonicalPush
    from jolli.store.models import Integration, Org, Source, Space, SpaceSource

    org = Org.create(name="bench")
    integration = Integration.create(org=org, provider="github", host="github.com", webhook_secret="x")
    for s in range(sources):
        source = Source.create(org=org, name=f"src{s}", type="git", repo=f"github.com/bench/r{s}", branch="main")
        for i in range(spaces):
            SpaceSource.create(space=Space.create(org=org, name=f"s{s}-{i}"), source=source)
    for n in range(events):  # push order interleaved across sources, as deliveries arrive
        for s in range(sources):
            accept(load_integration(integration.id), [CanonicalPush(f"github.com/bench/r{s}", "refs/heads/main", sha(n), sha(n + 1))])


def plugin_dir(hook_ms: float) -> Path | None:
    if not hook_ms:
        return None
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="jolli-bench-hook-"))
    (root / "jolli_bench_hook.py").write_text(HOOK.format(seconds=hook_ms / 1000))
    info = root / "jolli_bench_hook-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: jolli-bench-hook\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jolli]\nbench_hook = jolli_bench_hook\n")
    return root


def run(workers: int, args: argparse.Namespace) -> float:
    from jolli.events.tables import EventJob, SpaceAudit
    from jolli.store.db import close_database

    with fresh_database("postgres") as url:
        seed(args.sources, args.events, args.spaces)
        total = EventJob.select().count()
        close_database()
        env = {**os.environ, "JOLLI_DATABASE_URL": url, "JOLLI_POLL_SECONDS": "0.05"}
        plugins = plugin_dir(args.hook_ms)
        if plugins is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugins), env.get("PYTHONPATH")]))
        jolli = str(Path(sys.executable).with_name("jolli"))
        # --no-checks: event processing alone (its check process, a child at lower priority, sweeping these
        # sources against an unreachable provider, has its own benchmark: bench_checks.py --throughput)
        procs = [subprocess.Popen([jolli, "worker", "--no-checks", "--log-level", "warning"], env=env,
                                  stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        try:
            while EventJob.select().where(EventJob.status != "done").exists():
                time.sleep(0.2)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)
        first = SpaceAudit.select(SpaceAudit.created_at).order_by(SpaceAudit.created_at).first().created_at
        last = EventJob.select(EventJob.finished_at).order_by(EventJob.finished_at.desc()).first().finished_at
        elapsed = (last - first).total_seconds()
        rate = total / elapsed
        print(f"  {workers} worker(s): {total} events x {args.spaces} spaces in {elapsed:6.2f} s -> {rate:7.1f} events/s")
        close_database()
        return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--events", type=int, default=25)
    parser.add_argument("--spaces", type=int, default=3)
    parser.add_argument("--hook-ms", type=float, default=0.0)
    args = parser.parse_args()
    os.environ.setdefault("JOLLI_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "jolli-bench-home"))
    handler = f"a {args.hook_ms:g} ms handler per space" if args.hook_ms else "the built-in handler only"
    print(f"PostgreSQL, {args.sources} sources x {args.events} events, {handler}, {os.cpu_count()} CPUs")
    one = run(1, args)
    two = run(2, args)
    ratio = two / one
    print(f"  2 workers / 1 worker = {ratio:.2f}x (target >= 1.6x): {'PASS' if ratio >= 1.6 else 'FAIL'}")
    return 0 if ratio >= 1.6 else 1


if __name__ == "__main__":
    sys.exit(main())
