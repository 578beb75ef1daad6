"""Integration matching: time per match against 100 and against 100,000 integrations (run by hand).

    python bench/bench_matching.py

Both indexes hold the same 100 integrations the queries are about; the large one adds 99,900 others
(owners on the same hosts, other hosts, nested groups, selected-repo lists). The issue asks for the
large index to be no slower than 1.5x the small one. A linear scan is timed too, for comparison.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from jolli.errors import JolliError
from jolli.matching import IntegrationIndex, IntegrationScope

HOSTS = ["github.com", "gitlab.com", "bitbucket.org", "git.acme.internal", "gitea.example.org"]
QUERIES = 2_000
REPEATS = 9


def core_scopes() -> list[IntegrationScope]:
    """The 100 integrations every query is about (both indexes hold them)."""
    scopes = []
    for i in range(100):
        host = HOSTS[i % len(HOSTS)]
        if i % 10 == 0:
            scopes.append(IntegrationScope(i, "gitea", f"core{i}.example"))  # whole host
        elif i % 10 == 1:
            scopes.append(IntegrationScope(i, "gitlab", host, f"Group{i}"))  # covers subgroups
        elif i % 10 == 2:
            repos = frozenset(f"{host}/sel{i}/repo{k}" for k in range(20))
            scopes.append(IntegrationScope(i, "github", host, f"sel{i}", repos, name=f"selected-{i}"))
        else:
            scopes.append(IntegrationScope(i, "github", host, f"org{i}"))
    return scopes


def filler_scopes(count: int) -> list[IntegrationScope]:
    rng = random.Random(7)
    scopes = []
    for j in range(count):
        i = 1000 + j
        host = HOSTS[j % len(HOSTS)] if j % 4 else f"h{j}.example"
        owner: str | None = f"owner{i}" if j % 3 else f"group{i % 3000}/sub{i}"
        if host.startswith("h") and j % 8 == 0:
            owner = None  # a whole self-hosted host
        repos = frozenset({f"{host}/{owner}/r{rng.randrange(50)}"}) if owner and j % 7 == 0 else None
        scopes.append(IntegrationScope(i, "github", host, owner, repos))
    return scopes


def queries() -> list[str]:
    rng = random.Random(3)
    out = []
    for n in range(QUERIES):
        i = rng.randrange(100)
        host = HOSTS[i % len(HOSTS)]
        kind = i % 10
        if kind == 0:
            out.append(f"core{i}.example/team/service{n}")
        elif kind == 1:
            out.append(f"{host}/group{i}/sub/deeper/app{n}")  # case differs from the scope on purpose
        elif kind == 2:
            out.append(f"{host}/sel{i}/repo{n % 25}")  # 20 of 25 are selected: some misses
        else:
            out.append(f"{host}/ORG{i}/repo{n}")
    return out


def time_matches(index: IntegrationIndex, items: list[str]) -> tuple[float, int]:
    """Median seconds per match over REPEATS runs, and how many queries matched."""
    runs = []
    hits = 0
    for _ in range(REPEATS):
        hits = 0
        start = time.perf_counter()
        for repo in items:
            try:
                index.match(repo)
                hits += 1
            except JolliError:
                pass
        runs.append((time.perf_counter() - start) / len(items))
    return statistics.median(runs), hits


def time_scan(scopes: list[IntegrationScope], items: list[str]) -> float:
    """A linear scan over every scope (what the index avoids), seconds per match."""
    start = time.perf_counter()
    for repo in items:
        host, rest = repo.split("/", 1)
        owner = rest.rsplit("/", 1)[0].lower()
        [s for s in scopes if s.host == host and (s.owner is None or owner.startswith(s.owner.lower()))]
    return (time.perf_counter() - start) / len(items)


def main() -> int:
    core = core_scopes()
    items = queries()
    small_scopes = core
    large_scopes = core + filler_scopes(100_000 - len(core))
    start = time.perf_counter()
    small = IntegrationIndex(small_scopes)
    large = IntegrationIndex(large_scopes)
    built = time.perf_counter() - start
    small_t, small_hits = time_matches(small, items)
    large_t, large_hits = time_matches(large, items)
    assert small_hits == large_hits, "the filler integrations must not change any answer"
    ratio = large_t / small_t
    print(f"index build (100 + 100,000 integrations): {built * 1000:.0f} ms")
    print(f"{len(items)} queries x {REPEATS} runs, {small_hits} matched, the rest NoMatch")
    print(f"      100 integrations: {small_t * 1e6:6.2f} us/match")
    print(f"  100,000 integrations: {large_t * 1e6:6.2f} us/match")
    print(f"  ratio: {ratio:.2f}x (budget <= 1.5x) -> {'PASS' if ratio <= 1.5 else 'FAIL'}")
    few = items[:50]
    print(f"  for comparison, a linear scan: {time_scan(small_scopes, few) * 1e6:.1f} us/match at 100, "
          f"{time_scan(large_scopes, few) * 1e6:.0f} us/match at 100,000")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
