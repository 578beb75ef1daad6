"""``jolli worker`` as a user runs it: a subprocess on the server's database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
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


@pytest.mark.parametrize(("name", "value", "said"), [
    ("JOLLI_LEASE_SECONDS", "soon", "JOLLI_LEASE_SECONDS must be a number"),
    ("JOLLI_CHECK_PRIORITY", "fast", "JOLLI_CHECK_PRIORITY must be one of idle, low, normal, got 'fast'"),
])
def test_worker_rejects_bad_settings(tmp_path: Path, name: str, value: str, said: str) -> None:
    url = seeded_database(tmp_path, pushes=0)
    env = {**base_env(tmp_path), name: value}
    result = run_jolli(["worker", "--once", "--database-url", url], env, check=False)
    assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr


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


def _children(pid: int) -> dict[int, tuple[int, int]]:
    """``{child pid: (niceness, scheduling policy)}`` of the live processes whose parent is ``pid`` (/proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found[int(stat.parent.name)] = (int(fields[16]), os.sched_getscheduler(int(stat.parent.name)))
        except OSError:
            continue
    return found


def _wait_for(what: Any, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + 60
    while not (found := what()):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc (Linux)")
def test_worker_checks_in_a_child_process_at_idle_priority_that_ends_with_it(tmp_path: Path) -> None:
    """The default ``JOLLI_CHECK_PRIORITY=idle``: the check process runs under ``SCHED_IDLE`` (and ``nice``
    19), so the jobs' threads and their database take a CPU from it the moment they wake."""
    from jolli.events.tables import EventJob

    url = seeded_database(tmp_path, pushes=1)
    env = {**base_env(tmp_path), "JOLLI_DATABASE_URL": url}
    log = tmp_path / "worker.log"
    own = os.nice(0)
    for ending in (signal.SIGTERM, signal.SIGKILL):
        with log.open("wb") as out:
            proc = subprocess.Popen(JOLLI + ["worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            # one check process, at idle priority (beside multiprocessing's resource tracker, at the worker's)
            idle = (min(19, own + 19), os.SCHED_IDLE)
            _wait_for(lambda: idle in _children(proc.pid).values(), proc, log)  # noqa: B023 - used at once
            assert sorted(_children(proc.pid).values())[0] == (own, os.SCHED_OTHER)
            _wait_for(lambda: _check_result(url), proc, log)
            children = _children(proc.pid)
            proc.send_signal(ending)
            assert proc.wait(timeout=30) == (0 if ending == signal.SIGTERM else -signal.SIGKILL)
            deadline = time.monotonic() + 10  # a worker killed outright: its check process ends by itself
            while any(_alive(pid) for pid in children):
                assert time.monotonic() < deadline, f"check process {children} outlived the worker"
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
    reopen(url)
    assert EventJob.select().where(EventJob.status == "done").count() == 1  # the jobs were processed meanwhile


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc (Linux)")
def test_check_priority_low_is_nice_10_and_normal_is_the_workers_own(tmp_path: Path) -> None:
    url = seeded_database(tmp_path, pushes=0)
    own = os.nice(0)
    for priority, expected in (("low", (min(19, own + 10), os.SCHED_OTHER)), ("normal", (own, os.SCHED_OTHER))):
        env = {**base_env(tmp_path), "JOLLI_DATABASE_URL": url, "JOLLI_CHECK_PRIORITY": priority}
        log = tmp_path / f"worker-{priority}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(JOLLI + ["worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(lambda: _check_result(url), proc, log)  # the check process is up and checking
            children = _children(proc.pid)
            # the check process at ``expected``, multiprocessing's resource tracker at the worker's own
            assert set(children.values()) == {expected, (own, os.SCHED_OTHER)}, (priority, children)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        reopen(url)
        from jolli.store import sql as raw

        raw.execute("DELETE FROM source_check")  # the next worker's check process checks again
        from jolli.store.db import close_database

        close_database()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
