"""``jolli worker``: process queued source events (and legacy per-space jobs) from the database.

Run as many as you like, on as many machines as share the database (PostgreSQL for more than one
machine): jobs are claimed without overlap, one worker at a time holds a ``(source, branch)``, and a
worker that dies mid-job is taken over when its lease expires. SIGTERM or Ctrl-C finishes the jobs in
hand, then exits. Log lines go to stderr and carry spaceId, sourceId, eventJrn and headSha.
"""

from __future__ import annotations

import click

from jolli.cli.db import database_url_option, open_checked


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs processed at once by this process (one thread and database connection each).")
@click.option("--once", is_flag=True, help="Process every job that is due now, then exit (for cron and tests).")
@click.option("--lease-seconds", type=click.FloatRange(0.5, 3600), default=None,
              help="Lease on a (source, branch), renewed while working [default: $JOLLI_LEASE_SECONDS or 30].")
@click.option("--poll-seconds", type=click.FloatRange(0.01, 60), default=None,
              help="Idle wait between looks at the queue [default: $JOLLI_POLL_SECONDS or 1].")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=None,
              help="Attempts per space before it is dead-lettered [default: $JOLLI_MAX_ATTEMPTS or 5].")
@click.option("--git-mirrors", type=click.Path(file_okay=False), default=None,
              help="Folder of local clones <host>/<owner>/<repo>[.git] used to tell commit ancestry "
              "[default: $JOLLI_GIT_MIRRORS].")
@click.option("--checks/--no-checks", default=None,
              help="Also check every source on its schedule (a webhook is a hint; a check finds what it missed), "
              "in a child process at a lower CPU priority ($JOLLI_CHECK_PRIORITY [idle]: idle, low or normal), "
              "so checks never slow event processing [default: on; off with --once]. "
              "Intervals: $JOLLI_CHECK_INTERVAL [300], $JOLLI_CHECK_INTERVAL_QUIET [60] for an integration "
              "without a recent delivery, $JOLLI_CHECK_JITTER [0.1].")
@click.option("--checks-only", is_flag=True,
              help="Only check sources, process no jobs: the checks on a machine of their own, beside workers "
              "started with --no-checks (at this process's own priority).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
@database_url_option
def worker(concurrency: int, once: bool, lease_seconds: float | None, poll_seconds: float | None,
           max_attempts: int | None, git_mirrors: str | None, checks: bool | None, checks_only: bool, log_level: str,
           database_url: str | None) -> None:
    """Process queued source events, each affected space once, cursors only forward."""
    import logging
    import signal
    import threading

    from jolli.cli.common import cli_errors
    from jolli.events.config import EventSettings
    from jolli.events.worker import run_workers
    from jolli.settings import db_pool_size

    logging.basicConfig(level=getattr(logging, log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s")
    with cli_errors():  # a variable that does not parse: exit 2 naming it
        settings = EventSettings.from_env(lease_seconds=lease_seconds, poll_seconds=poll_seconds,
                                          max_attempts=max_attempts, git_mirrors=git_mirrors)
        # Each thread holds a connection, and so does its lease heartbeat: size the pool for them.
        pool = max(db_pool_size(), 2 * concurrency + 2)
    database = open_checked(database_url, pool_size=pool)
    database.close()  # each worker thread opens its own connection
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise SystemExit(130)
        click.echo(f"jolli worker: {signal.Signals(signum).name}: finishing the jobs in hand", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if checks_only:
        from jolli.events.check_process import run_checks

        click.echo("jolli worker: checks only", err=True)
        run_checks(settings, stop)
        return
    if not once:
        click.echo(f"jolli worker: {concurrency} thread(s), lease {settings.lease_seconds:g}s", err=True)
    done = run_workers(settings, concurrency, stop, once=once, checks=not once if checks is None else checks,
                       database_url=database_url)
    click.echo(f"jolli worker: processed {done} job(s)", err=True)
