"""``jolli worker`` as a user runs it: a subprocess on the server's database."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from served import JOLLI, base_env, run_jolli

sys.path.insert(0, str(Path(__file__).parents[1] / "events"))

from eventhelp import deliver, make_integration, make_org, make_source, make_spaces, sha  # noqa: E402


def seeded_database(tmp_path: Path, pushes: int) -> str:
    """A migrated SQLite file with one source bound to two spaces and ``pushes`` queued events."""
    from jolli.provider import CanonicalPush
    from jolli.store.db import close_database, open_database
    from jolli.store.migrate import upgrade

    url = "sqlite:///" + str(tmp_path / "jolli.db")
    database = open_database(url)
    upgrade(database)
    org = make_org("acme")
    integration = make_integration(org)
    source = make_source(org, "app", "github.com/acme/app")
    make_spaces(org, source, 2)
    for n in range(pushes):
        deliver(integration, [CanonicalPush("github.com/acme/app", "refs/heads/main", sha(n), sha(n + 1))])
    close_database(database)
    return url


def reopen(url: str) -> None:
    from jolli.store.db import open_database

    open_database(url)


def test_worker_once_processes_what_is_due_and_exits(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=5)
    result = run_jolli(["worker", "--once", "--concurrency", "2", "--database-url", url], base_env(tmp_path))
    assert "processed 5 job(s)" in result.stderr
    assert "outcome=processed" in result.stderr and "eventJrn=jrn::path:/home/acme/sources/" in result.stderr

    reopen(url)
    from jolli.events.tables import EventJob, SpaceAudit
    from jolli.store.models import Source

    assert {j.status for j in EventJob.select()} == {"done"}
    assert SpaceAudit.select().where(SpaceAudit.outcome == "processed").count() == 2  # the newest push
    assert SpaceAudit.select().where(SpaceAudit.outcome == "skipped-stale").count() == 8  # coalesced into it
    assert Source.get().cursor_value == sha(5)


def test_worker_finishes_its_job_and_exits_on_sigterm(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=1)
    log = tmp_path / "worker.log"
    env = {**base_env(tmp_path), "JOLLI_DATABASE_URL": url, "JOLLI_POLL_SECONDS": "0.05"}
    with log.open("wb") as out:
        proc = subprocess.Popen(JOLLI + ["worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "processed" not in log.read_text() or "outcome=processed" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "SIGTERM: finishing the jobs in hand" in text and "processed 1 job(s)" in text


def test_worker_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "empty.db")
    result = run_jolli(["worker", "--once", "--database-url", url], base_env(tmp_path), check=False)
    assert result.returncode == 2 and "jolli db upgrade" in result.stderr


def test_worker_rejects_bad_settings(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=0)
    env = {**base_env(tmp_path), "JOLLI_LEASE_SECONDS": "soon"}
    result = run_jolli(["worker", "--once", "--database-url", url], env, check=False)
    assert result.returncode == 2 and "JOLLI_LEASE_SECONDS must be a number" in result.stderr


def _check_result(url: str) -> str | None:
    from jolli.store import sql as raw
    from jolli.store.db import close_database

    reopen(url)
    try:
        rows = raw.rows("SELECT result FROM source_check")
        return str(rows[0][0]) if rows and rows[0][0] else None
    finally:
        close_database()


def test_worker_once_with_checks_checks_every_source_first(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=0)
    run_jolli(["worker", "--once", "--checks", "--database-url", url], base_env(tmp_path))
    assert _check_result(url) == "unsupported"  # a git source with no integration and no mirror


def test_worker_checks_only_checks_and_exits_on_sigterm(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=1)
    log = tmp_path / "checks.log"
    env = {**base_env(tmp_path), "JOLLI_DATABASE_URL": url}
    with log.open("wb") as out:
        proc = subprocess.Popen(JOLLI + ["worker", "--checks-only"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while _check_result(url) is None:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "checks only" in log.read_text()
    from jolli.events.tables import EventJob

    reopen(url)
    assert EventJob.select().where(EventJob.status == "queued").count() == 1  # no job processed
