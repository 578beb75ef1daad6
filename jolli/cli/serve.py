"""``jolli serve``: the API under gunicorn (never Flask's development server).

The database is migrated first (``upgrade``, in the master, before any worker starts); each worker then
builds its own app with :func:`jolli.api.app.create_app`, so no database connection crosses a fork.
Workers are gunicorn's threaded ones: a sender that stalls mid-request holds one thread (never a database
connection) until the app's body timeout answers it 408, so a few dozen of them leave every other request
answered. Behind a buffering proxy (docs/security.md) no slow sender reaches the workers at all.
With nothing configured it serves the embedded SQLite file under ``$JOLLI_HOME``.
"""

from __future__ import annotations

import os
from typing import Any

import click

from jolli.cli.common import cli_errors
from jolli.cli.db import database_url_option, open_checked
from jolli.redaction import mask_credentials
from jolli.settings import THREADS


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def gunicorn_options(host: str, port: int, workers: int, threads: int, access_log: bool) -> dict[str, Any]:
    """The gunicorn settings ``jolli serve`` uses (the throughput benchmark reuses them)."""
    return {
        "bind": bind_address(host, port),
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "timeout": 60,
        "graceful_timeout": 10,
        "proc_name": "jolli",
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        # gunicorn >= 25.1 opens a control socket at ~/.gunicorn/gunicorn.ctl, one path shared by every
        # server of the user; jolli serve needs none (older gunicorn has no such setting: skipped)
        "control_socket_disable": True,
    }


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it cannot parse (too long, malformed), as problem+json, not HTML."""
    import json

    from gunicorn import util

    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": mesg or reason, "errors": {}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


def run_gunicorn(app_factory: Any, options: dict[str, Any]) -> None:
    """Run ``app_factory()`` (called in each worker) under gunicorn with ``options``."""
    from gunicorn import util
    from gunicorn.app.base import BaseApplication

    # gunicorn has no setting or hook for the pages it answers itself (bad request line, headers too large ...);
    # `util.write_error` is the one function that writes them (Worker.handle_error calls it), so it is replaced
    # here, before the workers fork, rather than copying handle_error's status mapping into worker classes.
    util.write_error = write_problem

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if value is not None and key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return app_factory()

    Server().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="JOLLI_HOST", help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), envvar="JOLLI_PORT")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: $JOLLI_WORKERS, else 2 x CPUs + 1, at most 8).")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help=f"Threads per worker (default: $JOLLI_THREADS, else {THREADS}; gunicorn's gthread "
                   "workers; 1 means sync workers, which one slow sender per worker can stall).")
@click.option("--access-log/--no-access-log", default=False, help="Log each request to stderr.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True, envvar="JOLLI_LOG_LEVEL",
              help="jolli's log level (debug adds a line per accepted webhook delivery).")
@database_url_option
def serve(host: str, port: int, workers: int | None, threads: int | None, access_log: bool, log_level: str,
          database_url: str | None) -> None:
    """Serve the API under gunicorn, migrating the database first."""
    import logging

    from jolli.cli.db import upgrade_checked
    from jolli.settings import AppSettings
    from jolli.store import db as store_db

    logging.basicConfig(level=getattr(logging, log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from jolli.events.config import EventSettings

    with cli_errors():
        settings = AppSettings.from_env()  # read once; the workers' apps are built from them
        events = EventSettings.from_env()
    url = database_url or settings.database_url
    database = open_checked(url, require_current=False, pool_size=settings.db_pool_size)
    applied = upgrade_checked(database)
    store_db.close_database(database)  # no connection may cross the fork into the workers
    workers = workers or settings.workers
    threads = threads or settings.threads
    if applied:
        click.echo(f"applied migrations: {', '.join(applied)}", err=True)
    click.echo(
        f"jolli serving http://{bind_address(host, port)}/api (console: /console/) with {workers} worker(s) x "
        f"{threads} thread(s); database {mask_credentials(url)}",
        err=True,
    )

    def app_factory() -> Any:
        from jolli.api.app import create_app

        return create_app({"DATABASE_URL": url}, settings, events)

    run_gunicorn(app_factory, gunicorn_options(host, port, workers, threads, access_log))
