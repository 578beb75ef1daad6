"""Keyset pagination stays flat: ``GET /api/sources?limit=100`` with 100,000 sources vs 100.

Run by hand (prints figures; exit code 1 if the 100,000-source median is over 2x the 100-source one):

    python bench/bench_api_pagination.py [--database-url URL] [--big 100000] [--rounds 200]

Without ``--database-url`` it uses a fresh SQLite file in a temp folder. Both orgs live in one database;
the calls go through the real app (Flask test client, bearer token, marshmallow dump). The deep page
(``after`` = an id near the end) is measured too: keyset pagination costs the same there.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def seed(org: Any, count: int) -> None:
    from jolli.store.db import database
    from jolli.store.models import Source, utcnow

    now = utcnow()
    batch = 1000
    for start in range(0, count, batch):
        rows = [
            {"org": org.id, "name": f"src-{i:06d}", "type": "git", "repo": f"github.com/{org.name}/repo-{i}",
             "branch": "main", "enabled": True, "cursor_version": 0, "created_at": now, "updated_at": now}
            for i in range(start, min(start + batch, count))
        ]
        with database.atomic():
            Source.insert_many(rows).execute()


def median_ms(client: Any, path: str, token: str, rounds: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(10):  # warm up
        assert client.get(path, headers=headers).status_code == 200
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.get_json()["items"]) == 100
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db")

    from jolli.api.app import create_app
    from jolli.redaction import mask_credentials as display_url
    from jolli.store.admin import create_org, create_token
    from jolli.store.db import is_postgres, open_database
    from jolli.store.migrate import upgrade
    from jolli.store.models import Source

    upgrade(open_database(url))
    app = create_app({"DATABASE_URL": url})
    suffix = str(int(time.time()))
    big, small = create_org(f"big-{suffix}"), create_org(f"small-{suffix}")
    started = time.perf_counter()
    seed(big, args.big)
    seed(small, args.small)
    if is_postgres():
        from jolli.store.db import database

        database.execute_sql("ANALYZE")
    print(f"database {display_url(url)}; seeded {args.big:,} + {args.small:,} sources in "
          f"{time.perf_counter() - started:.1f}s")
    _, big_token = create_token(big)
    _, small_token = create_token(small)
    client = app.test_client()
    deep_after = Source.select(Source.id).where(Source.org == big).order_by(Source.id.desc()).offset(150).first().id

    small_ms = median_ms(client, "/api/sources?limit=100", small_token, args.rounds)
    big_ms = median_ms(client, "/api/sources?limit=100", big_token, args.rounds)
    deep_after -= 100
    deep_ms = median_ms(client, f"/api/sources?limit=100&after={deep_after}", big_token, args.rounds)
    ratio = big_ms / small_ms
    print(f"GET /api/sources?limit=100, median of {args.rounds}:")
    print(f"  {args.small:>7,} sources: {small_ms:7.2f} ms")
    print(f"  {args.big:>7,} sources: {big_ms:7.2f} ms  (ratio {ratio:.2f}x, target <= 2x)")
    print(f"  {args.big:>7,} sources, deep page (after={deep_after}): {deep_ms:7.2f} ms "
          f"(ratio {deep_ms / small_ms:.2f}x)")
    ok = ratio <= 2 and deep_ms / small_ms <= 2
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
