"""Real ``jolli worker`` processes for the multi-process tests, and a counting hook plugin installed the way a
third-party plugin is: a distribution on ``PYTHONPATH`` with a ``jolli`` entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

HOOK_MODULE = '''
"""Counts each jolli_process_space call in the database, inside the worker's transaction."""
import os
import time

from jolli import hookimpl


@hookimpl
def jolli_process_space(space_id, event, changes):
    from jolli.store.db import database

    delay = float(os.environ.get("JOLLI_TEST_HOOK_SLEEP", "0") or 0)
    if delay:
        time.sleep(delay)
    database.execute_sql(
        "INSERT INTO hook_call (event_id, space_id, head_sha, pid) VALUES (%s, %s, %s, %s)",
        (event.id, space_id, event.head_sha, os.getpid()),
    )
'''


def install_counting_hook(root: Path) -> Path:
    """Write the plugin and its dist-info under ``root``; return the folder to put on PYTHONPATH."""
    return install_plugin_dist(root, "jolli_counting_hook", HOOK_MODULE, "counting")


def install_plugin_dist(root: Path, module: str, code: str, entry_point: str) -> Path:
    """Install ``code`` as module ``module`` of a distribution with the ``jolli`` entry point ``entry_point``,
    the way a third-party plugin is installed, under ``root``; return ``root`` (to put on PYTHONPATH)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(code)
    dist = module.replace("_", "-")
    info = root / f"{module}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[jolli]\n{entry_point} = {module}\n")
    return root


def create_hook_table(database: object) -> None:
    database.execute_sql(  # type: ignore[attr-defined]
        "CREATE TABLE hook_call (id SERIAL PRIMARY KEY, event_id INTEGER NOT NULL, space_id INTEGER NOT NULL, "
        "head_sha VARCHAR(64) NOT NULL, pid INTEGER NOT NULL)"
    )


def start_worker(db_url: str, plugin_path: Path, log: Path, *, lease: float, mirrors: Path | None = None,
                 hook_sleep: float = 0.0, concurrency: int = 1, checks: bool = False,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``jolli worker`` in its own process, logging to ``log`` (scheduled checks only with ``checks``)."""
    env = {
        **os.environ,
        "JOLLI_DATABASE_URL": db_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin_path), os.environ.get("PYTHONPATH")])),
        "JOLLI_LEASE_SECONDS": str(lease),
        "JOLLI_POLL_SECONDS": "0.05",
        "JOLLI_RETRY_BACKOFF": "0.05",
        "JOLLI_TEST_HOOK_SLEEP": str(hook_sleep),
    }
    if mirrors is not None:
        env["JOLLI_GIT_MIRRORS"] = str(mirrors)
    env.update(extra_env or {})
    code = "import sys; from jolli.cli.main import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker", "--concurrency", str(concurrency), "--log-level", "warning",
         "--checks" if checks else "--no-checks"],
        env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"),
    )


def stop(processes: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM every live worker and wait for it to finish its job in hand."""
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
