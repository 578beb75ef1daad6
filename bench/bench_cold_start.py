"""Cold start of the CLI (run by hand): median wall time of ``jolli --version`` and ``jolli plugins``.

    python bench/bench_cold_start.py [--runs 20]

Budget (issue 2): under 150 ms median each. Also checks with ``python -X importtime`` that loading every
plugin imports neither Flask, peewee nor requests, and prints the slowest imports to show where time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BUDGET_MS = 150.0
FORBIDDEN = ("flask", "peewee", "requests")
LOAD_ALL = "from jolli.registry import get_plugins; get_plugins().providers"


def jolli_command() -> list[str]:
    script = Path(sys.executable).with_name("jolli")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from jolli.cli.main import main; main()"]


def median_ms(argv: list[str], runs: int) -> tuple[float, float, int]:
    """Median wall and CPU (user + sys) time in ms over ``runs`` after a warm-up run, and the last exit code.

    CPU time is shown because wall time on a busy machine mostly measures the other processes.
    """
    env = {k: v for k, v in os.environ.items() if k != "JOLLI_LOAD_PLUGINS"}
    subprocess.run(argv, capture_output=True, env=env)
    walls, cpus = [], []
    code = 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        code = subprocess.run(argv, capture_output=True, env=env).returncode
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return statistics.median(walls), statistics.median(cpus), code


def import_times(code: str) -> list[tuple[int, str]]:
    """``(cumulative us, module)`` for every module ``code`` imports, from ``python -X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"import check failed:\n{done.stderr[-2000:]}")
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        rows.append((int(cumulative), name.strip()))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    ok = True

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; medians of {args.runs} runs")
    wall, cpu, _ = median_ms([sys.executable, "-c", "pass"], args.runs)
    print(f"  python -c pass (interpreter floor): wall {wall:6.1f} ms  cpu {cpu:6.1f} ms")
    for label, argv in (("jolli --version", ["--version"]), ("jolli plugins", ["plugins"])):
        wall, cpu, code = median_ms(jolli_command() + argv, args.runs)
        verdict = "PASS" if wall < BUDGET_MS else "FAIL"
        ok &= wall < BUDGET_MS
        note = f" (exit {code}: some plugin failed to load, see 'jolli plugins')" if code else ""
        print(f"  {label:<32}: wall {wall:6.1f} ms  cpu {cpu:6.1f} ms  (budget < {BUDGET_MS:.0f} ms wall) "
              f"{verdict}{note}")

    rows = import_times(LOAD_ALL)
    imported = {name.strip() for _, name in rows}
    # importtime logs ``import`` statements only (not importlib.import_module), so ask sys.modules too.
    check = f"{LOAD_ALL}; import sys; print(' '.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.split()
    bad = sorted({m for m in FORBIDDEN if m in imported} | set(loaded))
    print(f"\npython -X importtime -c {LOAD_ALL!r}: {len(rows)} modules logged")
    print("  forbidden imports:", ", ".join(bad) + " FAIL" if bad else "none (flask, peewee, requests) PASS")
    ok &= not bad
    print("  slowest top-level imports (cumulative):")
    top_level = [(us, name) for us, name in rows if not name.startswith(" ")]
    for us, name in sorted(top_level, reverse=True)[:10]:
        print(f"    {us / 1000:7.1f} ms  {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
