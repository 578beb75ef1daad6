"""The checks of ``jolli worker`` in a child process of their own, at a lower CPU priority.

Event processing and checks share nothing but the database: a check thread in the worker's own process
would share its interpreter lock, and a sweep of thousands of sources (HTTP, JSON, TLS) would slow the
jobs by a third. So ``jolli worker`` starts one child process for its checks (:class:`CheckProcess`),
at a lower CPU priority (``JOLLI_CHECK_PRIORITY``, :func:`lower_priority`), restarts it if it dies, and stops
it with itself; the child stops by itself too when its parent is gone.

The default priority, ``idle``, is Linux's ``SCHED_IDLE``: the checks run on CPU time the jobs leave, and a
job's thread (or its database server) that wakes up takes a CPU from them at once. ``nice`` alone is not
enough: on a 2-core machine a worker on PostgreSQL waits on round trips, CPUs half idle, and a niced
child's bursts still delay those wake-ups (1.12-1.18x the time for the same jobs, against 1.05x). The schedule is in
the database (:mod:`jolli.events.checks`), so nothing is lost when a child stops mid-sweep.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from jolli.events.config import EventSettings

log = logging.getLogger(__name__)

#: How much each priority of :data:`jolli.events.config.CHECK_PRIORITIES` adds to the process's ``nice``.
NICENESS = {"idle": 19, "low": 10, "normal": 0}
#: Seconds between restarts of a check process that died.
RESTART_SECONDS = 5.0
#: The shortest rest of the check thread between sweeps (checks due meanwhile wait for the next sweep).
CHECK_PAUSE = 1.0


def run_checks(settings: EventSettings, stop: threading.Event) -> None:
    """The checking loop of a worker process: sweep the due source checks, sleep until the next is due
    (at least ``poll_seconds``, at most 30 s), until ``stop``."""
    from jolli.events import checks
    from jolli.events.checker import Checker
    from jolli.events.leases import worker_name
    from jolli.store.db import database

    checker = Checker(settings, worker_name(99))
    try:
        while not stop.is_set():
            try:
                checker.sweep(stop)
                due = checks.next_due()
            except Exception as exc:  # noqa: BLE001 - a lost database must not end the checks
                log.warning("checks %s: %s: %s; retrying", checker.name, type(exc).__name__, exc)
                due = None
            finally:
                if not database.is_closed():
                    database.close()
            wait = 30.0 if due is None else due - checks.now_seconds()
            stop.wait(min(30.0, max(CHECK_PAUSE, settings.poll_seconds, wait)))
    finally:
        if not database.is_closed():
            database.close()


def lower_priority(priority: str) -> None:
    """Give the calling thread, and the threads it starts afterwards, the CPU ``priority`` (``idle``: the
    ``SCHED_IDLE`` policy where the OS has it, and ``nice`` 19; ``low``: ``nice`` 10; ``normal``: unchanged).
    A refusal is logged: the checks still run, at the priority they have."""
    if priority == "idle" and hasattr(os, "SCHED_IDLE"):
        _attempt("SCHED_IDLE", os.sched_setscheduler, 0, os.SCHED_IDLE, os.sched_param(0))
    if NICENESS[priority]:  # on its own: a refused policy still leaves the nice value
        _attempt(f"nice {NICENESS[priority]}", os.nice, NICENESS[priority])


def _attempt(name: str, call: Callable[..., object], *args: Any) -> None:
    try:
        call(*args)
    except OSError as exc:
        log.warning("checks: cannot give the check process %s (%s); it runs without", name, exc)


def run_child(database_url: str, settings: EventSettings, parent: int, log_level: int = logging.INFO) -> None:
    """The check process: lower its priority, open the database, sweep until SIGTERM/SIGINT or the parent ends."""
    from jolli.store.db import open_database

    lower_priority(settings.check_priority)  # before any thread starts: they inherit it
    if not logging.getLogger().handlers:  # spawned: log as the worker does, to stderr
        logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s %(processName)s: %(message)s")

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=_orphaned, args=(parent, stop), name="jolli-checks-parent", daemon=True).start()
    open_database(database_url)
    run_checks(settings, stop)


def _orphaned(parent: int, stop: threading.Event) -> None:
    """Set ``stop`` once the worker that started this process is gone (killed outright, say)."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


class CheckProcess:
    """The check process of one ``jolli worker``: started, kept alive, stopped."""

    def __init__(self, database_url: str, settings: EventSettings, *, context: str = "spawn",
                 target: Callable[..., None] = run_child) -> None:
        """``target``: what the child runs, called as :func:`run_child` is (a benchmark wraps it)."""
        self.database_url = database_url
        self.settings = settings
        self.context: Any = multiprocessing.get_context(context)
        self.target = target
        self.process: Any = None
        self._started_at = 0.0

    def start(self) -> CheckProcess:
        self.process = self.context.Process(target=self.target, name="jolli-checks", daemon=True,
                                            args=(self.database_url, self.settings, os.getpid(),
                                                  logging.getLogger().getEffectiveLevel()))
        self.process.start()
        self._started_at = time.monotonic()
        return self

    def keep_alive(self) -> None:
        """Start the process again if it died (at most every :data:`RESTART_SECONDS`)."""
        if self.process is None or self.process.is_alive():
            return
        if time.monotonic() - self._started_at < RESTART_SECONDS:
            return
        log.warning("checks: the check process exited (%s); starting it again", self.process.exitcode)
        self.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the process to finish the checks in hand and wait for it (then end it)."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: the sweep stops after its current batch
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
