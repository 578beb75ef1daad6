"""How long ``jolli source list`` takes with 200 local sources and no server (target: < 200 ms median).

Makes 200 real git work trees in a temp folder (100 mounted server sources, 100 virtual sources, as a
version 1 ``.jolli/sources.json``), then runs the real ``jolli source list`` (and ``--json``) in a fresh
process each time, with no server configured, and prints the median, min and max wall time.

    python bench/bench_source_list.py [--runs 21] [--sources 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

JOLLI = os.path.join(os.path.dirname(sys.executable), "jolli")
TARGET_MS = 200.0


def make_project(root: Path, count: int) -> Path:
    """A project folder whose sources file lists ``count`` git work trees."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    mounts, virtual = {}, {}
    for i in range(count):
        repo = root / f"repo{i:03d}"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", f"git@github.com:acme/repo{i:03d}.git"],
                       check=True, env=env)
        entry = {"mountPath": str(repo), "type": "git", "repo": f"github.com/acme/repo{i:03d}", "branch": "main"}
        if i % 2:
            virtual[f"virtual-{i:03d}"] = entry
        else:
            mounts[str(i + 1)] = {**entry, "name": f"mounted-{i:03d}"}
    project = root / "project"
    (project / ".jolli").mkdir(parents=True)
    (project / ".jolli" / "sources.json").write_text(
        json.dumps({"version": 1, "mounts": mounts, "virtualSources": virtual}, indent=2)
    )
    return project


def time_runs(args: list[str], project: Path, env: dict[str, str], runs: int) -> list[float]:
    times = []
    for i in range(runs + 2):
        start = time.perf_counter()
        result = subprocess.run([JOLLI, *args], cwd=project, env=env, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1000
        if result.returncode != 0:
            raise SystemExit(f"jolli {' '.join(args)} failed:\n{result.stderr}")
        if i >= 2:  # two warm-up runs (page cache, .pyc files)
            times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--sources", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jolli-bench-") as tmp:
        root = Path(tmp)
        project = make_project(root, args.sources)
        env = {k: v for k, v in os.environ.items() if k not in ("JOLLI_URL", "JOLLI_TOKEN")}
        env["JOLLI_CONFIG_DIR"] = str(root / "config")  # no saved login: no server
        rows = subprocess.run([JOLLI, "source", "list", "--json"], cwd=project, env=env, capture_output=True,
                              text=True, check=True)
        assert len(json.loads(rows.stdout)) == args.sources
        print(f"jolli source list, {args.sources} local sources, no server, {args.runs} runs (fresh process each)")
        for label, cmd in (("table", ["source", "list"]), ("--json", ["source", "list", "--json"])):
            times = time_runs(cmd, project, env, args.runs)
            median = statistics.median(times)
            verdict = "OK" if median < TARGET_MS else "OVER TARGET"
            print(f"  {label:<7} median {median:6.1f} ms  min {min(times):6.1f}  max {max(times):6.1f}  "
                  f"(target < {TARGET_MS:.0f} ms: {verdict})")
        base = time_runs(["--version"], project, env, args.runs)
        print(f"  for scale: jolli --version median {statistics.median(base):.1f} ms")


if __name__ == "__main__":
    main()
