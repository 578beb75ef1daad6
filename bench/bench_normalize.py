"""Coordinate normalization: jolli's ``normalize`` against the PyPI package ``giturlparse`` (run by hand).

    python bench/bench_normalize.py [--rounds 2000] [--repeats 5]

Both turn the same URLs into a ``host/owner/repo`` string (``None`` for a rejection); the script prints
normalizations per second for each (best of ``--repeats`` timed runs, after a warm-up), the ratio, and
how many URLs each got right against the expected coordinate. The goal (issue 2) is a ratio of at
least 3 with the same or better correctness. Needs the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

#: (input, expected canonical coordinate or None for "must be rejected")
CASES: list[tuple[str, str | None]] = [
    ("github.com/org/backend", "github.com/org/backend"),
    ("https://github.com/org/backend", "github.com/org/backend"),
    ("https://github.com/org/backend.git", "github.com/org/backend"),
    ("http://github.com/org/backend", "github.com/org/backend"),
    ("git://github.com/org/backend.git", "github.com/org/backend"),
    ("git+https://github.com/org/backend.git", "github.com/org/backend"),
    ("git+ssh://git@github.com/org/backend.git", "github.com/org/backend"),
    ("ssh://git@github.com/org/backend.git", "github.com/org/backend"),
    ("ssh://git@github.com:22/org/backend.git", "github.com/org/backend"),
    ("git@github.com:Org/Repo.git", "github.com/Org/Repo"),
    ("git@github.com:org/backend", "github.com/org/backend"),
    ("https://user:secret@github.com/org/backend.git", "github.com/org/backend"),
    ("https://x-access-token:ghs_abc123@github.com/org/backend.git", "github.com/org/backend"),
    ("https://github.com/org/backend/", "github.com/org/backend"),
    ("https://github.com/org/backend/tree/main", "github.com/org/backend"),
    ("https://github.com/org/backend/blob/main/README.md", "github.com/org/backend"),
    ("https://github.com/org/backend/commit/0123456789abcdef", "github.com/org/backend"),
    ("gitlab.com/team/frontend", "gitlab.com/team/frontend"),
    ("https://gitlab.com/team/frontend.git", "gitlab.com/team/frontend"),
    ("git@gitlab.com:team/frontend.git", "gitlab.com/team/frontend"),
    ("https://gitlab.com/group/sub/frontend.git", "gitlab.com/group/sub/frontend"),
    ("git@gitlab.com:group/sub/frontend.git", "gitlab.com/group/sub/frontend"),
    ("https://gitlab.com/group/sub/frontend/-/tree/main", "gitlab.com/group/sub/frontend"),
    ("https://gitlab.com/team/frontend/-/blob/main/src/app.ts", "gitlab.com/team/frontend"),
    ("bitbucket.org/company/infra", "bitbucket.org/company/infra"),
    ("https://bitbucket.org/company/infra.git", "bitbucket.org/company/infra"),
    ("https://jane@bitbucket.org/company/infra.git", "bitbucket.org/company/infra"),
    ("git@bitbucket.org:company/infra.git", "bitbucket.org/company/infra"),
    ("https://bitbucket.org/company/infra/src/main/README.md", "bitbucket.org/company/infra"),
    ("git.internal.co/team/service", "git.internal.co/team/service"),
    ("https://git.internal.co/team/service.git", "git.internal.co/team/service"),
    ("git@git.internal.co:team/service.git", "git.internal.co/team/service"),
    ("org/backend", None),
    ("ftp://github.com/org/backend", None),
    # issue 15: Azure DevOps, host aliases, unregistered self-hosted servers known by their URL's shape
    ("https://dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
    ("https://org@dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
    ("https://dev.azure.com/org/project/_git/repo?path=/README.md&version=GBmain", "dev.azure.com/org/project/repo"),
    ("git@ssh.dev.azure.com:v3/org/project/repo", "dev.azure.com/org/project/repo"),
    ("https://org.visualstudio.com/project/_git/repo", "dev.azure.com/org/project/repo"),
    ("https://org.visualstudio.com/DefaultCollection/project/_git/repo", "dev.azure.com/org/project/repo"),
    ("https://tfs.corp.example/DefaultCollection/project/_git/repo", "tfs.corp.example/DefaultCollection/project/repo"),
    ("ssh://git@ssh.github.com:443/org/backend.git", "github.com/org/backend"),
    ("ssh://git@altssh.bitbucket.org:443/company/infra.git", "bitbucket.org/company/infra"),
    ("git:github.com/org/backend.git", "github.com/org/backend"),
    ("@github.com:Org/Repo.git", None),
    ("https://git.example.org/group/sub/repo/-/tree/main", "git.example.org/group/sub/repo"),
    ("https://bitbucket.example.com/scm/proj/repo.git", "bitbucket.example.com/PROJ/repo"),
    ("https://git.example.com/bitbucket/scm/proj/repo.git", "git.example.com/PROJ/repo"),
    ("https://git.example.com/projects/PROJ/repos/repo/browse", "git.example.com/PROJ/repo"),
    ("ssh://git@git.example.com:7999/~jdoe/repo.git", "git.example.com/_jdoe/repo"),
]


def jolli_coordinate(explicit_plugins: bool = True) -> Callable[[str], str | None]:
    """``normalize`` as a hot loop calls it (the plugin manager passed in), or as ``normalize(url)``."""
    from jolli.coordinates import normalize
    from jolli.errors import InvalidCoordinate
    from jolli.registry import get_plugins

    plugins = get_plugins() if explicit_plugins else None

    def run(url: str) -> str | None:
        try:
            return str(normalize(url, plugins=plugins))
        except InvalidCoordinate:
            return None

    return run


def giturlparse_coordinate() -> Callable[[str], str | None]:
    import giturlparse

    def run(url: str) -> str | None:
        try:
            parsed = giturlparse.parse(url)
            if not parsed.valid:
                return None
            repo = parsed.repo[:-4] if parsed.repo.endswith(".git") else parsed.repo
            parts = [p for p in (parsed.owner, parsed.groups_path, repo) if p]
            return "/".join([parsed.host.lower(), *parts])
        except Exception:  # noqa: BLE001 - giturlparse raises AttributeError on some inputs
            return None

    return run


def throughput(fns: dict[str, Callable[[str], str | None]], urls: list[str], rounds: int, repeats: int
               ) -> dict[str, float]:
    """Normalizations per CPU second of each function: the best of ``repeats`` runs of ``rounds`` passes
    over ``urls``. The clock is this process's CPU time and the functions take turns run by run, so other
    work on the machine disturbs the figures (and above all their ratio) as little as possible."""
    for fn in fns.values():  # warm-up: plugin loading, regex caches
        for url in urls:
            fn(url)
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for label, fn in fns.items():
            start = time.process_time()
            for _ in range(rounds):
                for url in urls:
                    fn(url)
            best[label] = min(best[label], time.process_time() - start)
    return {label: rounds * len(urls) / seconds for label, seconds in best.items()}


def correctness(fn: Callable[[str], str | None]) -> tuple[int, list[str]]:
    wrong = [f"{url!r}: got {fn(url)!r}, expected {expected!r}" for url, expected in CASES if fn(url) != expected]
    return len(CASES) - len(wrong), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="passes over the URL list per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the best one counts")
    parser.add_argument("--show-wrong", action="store_true", help="list each URL a library got wrong")
    args = parser.parse_args()
    urls = [url for url, _ in CASES]
    fns = {
        "jolli": jolli_coordinate(),
        "jolli*": jolli_coordinate(explicit_plugins=False),
        "giturlparse": giturlparse_coordinate(),
    }
    results = throughput(fns, urls, args.rounds, args.repeats)
    for label, fn in fns.items():
        right, wrong = correctness(fn)
        print(f"{label:12} {results[label]:12,.0f} normalizations/s   correct {right}/{len(CASES)}")
        if args.show_wrong:
            for line in wrong:
                print(f"    wrong: {line}")
    print(f"ratio jolli/giturlparse: {results['jolli'] / results['giturlparse']:.1f}x "
          f"(jolli*: {results['jolli*'] / results['giturlparse']:.1f}x; "
          f"{len(urls)} URLs x {args.rounds} rounds, best of {args.repeats})")
    print("jolli: normalize(url, plugins=...); jolli*: normalize(url), finding the plugin manager itself")


if __name__ == "__main__":
    main()
