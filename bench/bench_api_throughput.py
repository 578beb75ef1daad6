"""API throughput under ``jolli serve`` vs a bare Flask endpoint under the same gunicorn settings.

Run by hand (prints figures; exit code 1 below the target of 40%):

    python bench/bench_api_throughput.py [--workers N] [--threads T] [--clients C] [--seconds S] [--database-url URL]

Both servers run at once on loopback ports with the same gunicorn options (:func:`jolli.cli.serve.gunicorn_options`):
``jolli serve`` answering ``GET /api/sources/:id`` (bearer token lookup, database read, marshmallow dump), and
a bare Flask app answering ``GET /`` with a constant. ``C`` client processes hammer one server at a time
for ``S`` seconds; the rounds alternate (bare, jolli, bare, jolli) and the medians are compared.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _http_load import MakeRequest, free_port, load, wait_up  # noqa: E402


def bare_app() -> Any:
    from flask import Flask

    app = Flask("bare")

    @app.get("/")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app


def run_bare(port: int, workers: int, threads: int) -> None:
    from jolli.cli.serve import gunicorn_options, run_gunicorn

    run_gunicorn(bare_app, gunicorn_options("127.0.0.1", port, workers, threads, False))


def get(path: str, token: str | None) -> MakeRequest:
    """The same ``GET path`` (with a bearer token when given) over and over."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return lambda _seed, _n: ("GET", path, None, headers)


def main() -> int:
    from jolli.settings import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)  # internal: serve the bare app on this port
    args = parser.parse_args()
    if args.bare:
        run_bare(args.bare, args.workers, args.threads)
        return 0

    home = tempfile.mkdtemp(prefix="jolli-bench-")
    os.environ["JOLLI_HOME"] = home
    url = args.database_url or "sqlite:///" + str(Path(home) / "jolli.db")
    from jolli.redaction import mask_credentials as display_url
    from jolli.store.admin import create_org, create_token
    from jolli.store.db import close_database, open_database
    from jolli.store.migrate import upgrade
    from jolli.store.models import Source

    upgrade(open_database(url))
    org = create_org(f"bench-{int(time.time())}")
    _, token = create_token(org, "bench")
    source = Source.create(org=org, name="backend", type="git", repo="github.com/acme/backend", branch="main")
    close_database()

    jolli_port, bare_port = free_port(), free_port()
    jolli_bin = str(Path(sys.executable).with_name("jolli"))
    servers = [
        subprocess.Popen([jolli_bin, "serve", "--port", str(jolli_port), "--workers", str(args.workers),
                          "--threads", str(args.threads), "--database-url", url], stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, __file__, "--bare", str(bare_port), "--workers", str(args.workers),
                          "--threads", str(args.threads)], stderr=subprocess.DEVNULL),
    ]
    path = f"/api/sources/{source.id}"
    try:
        wait_up(jolli_port, path, {"Authorization": f"Bearer {token}"})
        wait_up(bare_port, "/")
        print(f"gunicorn: {args.workers} workers x {args.threads} threads; {args.clients} client processes; "
              f"{args.seconds:g}s per round; database {display_url(url)}; {os.cpu_count()} CPUs")
        bare, jolli = [], []
        for round_no in range(1, args.rounds + 1):
            rate, errors = load(bare_port, get("/", None), 200, args.clients, args.seconds)
            bare.append(rate)
            print(f"  round {round_no}: bare Flask GET /            {rate:8.0f} req/s ({errors} errors)")
            rate, errors = load(jolli_port, get(path, token), 200, args.clients, args.seconds)
            jolli.append(rate)
            print(f"  round {round_no}: jolli GET /api/sources/:id  {rate:8.0f} req/s ({errors} errors)")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
    ratio = statistics.median(jolli) / statistics.median(bare)
    print(f"median: bare {statistics.median(bare):.0f} req/s, jolli {statistics.median(jolli):.0f} req/s -> "
          f"{ratio:.0%} (target >= 40%)")
    print("PASS" if ratio >= 0.4 else "FAIL")
    return 0 if ratio >= 0.4 else 1


if __name__ == "__main__":
    sys.exit(main())
