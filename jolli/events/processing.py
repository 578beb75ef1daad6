"""Processing one claimed job: lease, stale check, spaces in ascending id, audit, cursor compare-and-swap.

For each space still to do, the ``jolli_process_space`` hook runs inside a savepoint of the transaction
that records the space's state and audit row, after a fence on the lease: a hook that writes to jolli's
database is therefore done exactly once, and a worker that lost its lease records nothing. A hook that
raises marks only its space as failed: it is retried with exponential backoff and dead-lettered after
the last attempt (``jolli events retry`` brings it back). After the first pass over the spaces, the
cursor moves to the head by compare-and-swap, never backwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from jolli.errors import JolliError
from jolli.events import audit, cursor, jobs, leases, legacy
from jolli.events.audit import SpaceOutcome
from jolli.events.config import EventSettings
from jolli.events.errors import LegacyJobError
from jolli.events.staleness import PushChain, Verdict, is_behind_or_equal, judge, superseded
from jolli.events.status import SPACE_DONE, EventStatus, JobKind, JobStatus, Origin, Outcome, SpaceStatus
from jolli.events.tables import EventJob, EventSpace, SourceEvent
from jolli.events.view import SourceEventView
from jolli.registry import get_plugins
from jolli.store import sql as raw
from jolli.store.db import database, statements_run
from jolli.store.models import Source, utcnow
from jolli.store.sql import write_tx

log = logging.getLogger(__name__)

SPACE_COLUMNS = ("event_id", "space_id", "job_id", "status", "attempts", "next_attempt_at", "reason", "detail",
                 "updated_at")
HookCaller = Callable[..., Any]


class _HookFailed(Exception):
    """A hook raised in an optimistic chunk: roll the chunk back and run it again with savepoints."""


class LeaseLost(Exception):
    """Another worker took over the lease: stop without recording anything more."""


@dataclass
class JobResult:
    """What became of a job (for the worker loop, the CLI and the tests)."""

    job_id: int
    state: str  # done | retry | busy | dead | lost
    event_id: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    detail: str | None = None


class Heartbeat:
    """Renews the job claim and the lease every third of the lease, in its own thread (own connection)."""

    def __init__(self, job_id: int, source_id: int, branch: str | None, holder: str, seconds: float) -> None:
        self.job_id, self.source_id, self.branch, self.holder, self.seconds = job_id, source_id, branch, holder, seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.seconds / 3):
                with write_tx():  # lock order everywhere: lease, then event, then job
                    ok = leases.fence(self.source_id, self.branch, self.holder, self.seconds) and jobs.renew(
                        self.job_id, self.holder, self.seconds
                    )
                if not ok:
                    if not self._stop.is_set():  # the job finished (and gave the lease back) meanwhile: no loss
                        log.warning("lease lost jobId=%s sourceId=%s branch=%s", self.job_id, self.source_id,
                                    self.branch)
                    self.lost.set()
                    return
        except Exception as exc:  # noqa: BLE001 - a failed renewal is a lost lease, not a crash
            if not self._stop.is_set():
                log.warning("lease renewal failed jobId=%s: %s", self.job_id, type(exc).__name__)
            self.lost.set()
        finally:
            if not database.is_closed():
                database.close()


def default_hook_caller() -> HookCaller:
    """Every registered ``jolli_process_space`` implementation (:meth:`jolli.registry.Plugins.process_space`)."""
    return get_plugins().process_space


class JobProcessor:
    """Processes claimed jobs for one worker identity (``holder``)."""

    def __init__(self, settings: EventSettings, holder: str, *, hook: HookCaller | None = None,
                 client_factory: Callable[[Source], Any] | None = None) -> None:
        self.settings = settings
        self.holder = holder
        self._hook = hook
        self.client_factory = client_factory

    @property
    def hook(self) -> HookCaller:
        if self._hook is None:
            self._hook = default_hook_caller()
        return self._hook

    # --- one job -----------------------------------------------------------------------------------
    def process(self, job: EventJob, leased: bool = False) -> JobResult:
        """Do one claimed job to the end (or give it back); never raises for a job-level failure.

        ``leased``: the claim already took the job's lease (:func:`jolli.events.jobs.claim_leased`).
        """
        try:
            return self._process(job, leased)
        except LeaseLost:
            log.warning("jobId=%s: lease lost mid-job; another worker will finish it", job.id)
            return JobResult(job.id, "lost")
        except JolliError as exc:  # e.g. the source type's plugin is not installed: said, retried, no trace
            log.warning("jobId=%s eventId=%s cannot be processed: %s", job.id, job.event_id, exc.message)
            return self._job_failed(job, exc.message)
        except Exception as exc:  # noqa: BLE001 - a job failure is recorded and retried, never fatal
            log.exception("jobId=%s failed: %s", job.id, type(exc).__name__)
            return self._job_failed(job, f"{type(exc).__name__}: {exc}")

    def _process(self, job: EventJob, leased: bool) -> JobResult:
        kill_sandbox = False
        if job.kind == JobKind.LEGACY:
            try:
                resolved = legacy.resolve(job, mirrors=self.settings.git_mirrors,
                                          lease=(self.holder, self.settings.lease_seconds))
            except LegacyJobError as exc:
                if leased and job.source_id is not None:
                    leases.release(job.source_id, job.branch_key, self.holder)
                jobs.finish(job.id, self.holder, status=JobStatus.DEAD, error=exc.message)
                log.warning("jobId=%s legacy job dead-lettered: %s", job.id, exc.message)
                return JobResult(job.id, "dead", detail=exc.message)
            loaded = _load(resolved.event_id, resolved.space_id)
            spaces, kill_sandbox, leased = [resolved.space_id], resolved.kill_sandbox, resolved.leased
            if loaded is None and leased:  # the event was deleted in between: its lease goes back too
                leases.release(resolved.source_id, resolved.branch, self.holder)
        else:
            loaded = _load(job.event_id) if job.event_id is not None else None
            spaces = list(loaded.event.affected_space_ids) if loaded is not None else []
        if loaded is None:
            jobs.finish(job.id, self.holder, status=JobStatus.DEAD, error="the event no longer exists")
            return JobResult(job.id, "dead", detail="event deleted")
        event = loaded.event
        seconds = self.settings.lease_seconds
        if not leased and not leases.acquire(event.source_id, event.branch, self.holder, seconds):
            until = leases.expires_at(event.source_id, event.branch) or utcnow()
            wait = min(max(until, utcnow() + timedelta(milliseconds=50)), utcnow() + timedelta(seconds=seconds))
            jobs.release(job.id, self.holder, run_after=wait)
            return JobResult(job.id, "busy", event.id)
        try:
            with Heartbeat(job.id, event.source_id, event.branch, self.holder, seconds) as beat:
                return self._run(job, loaded, sorted(set(spaces)), kill_sandbox, beat)
        except BaseException:
            leases.release(event.source_id, event.branch, self.holder)
            raise

    def _run(self, job: EventJob, loaded: _Loaded, spaces: list[int], kill_sandbox: bool,
             beat: Heartbeat) -> JobResult:
        """Work through the spaces in fenced transactions; the last one also moves the cursor, settles
        the job and gives the lease back, so a job costs as few commits as possible."""
        event, source = loaded.event, loaded.source
        if source is None:
            with write_tx():
                jobs.finish(job.id, self.holder, status=JobStatus.DEAD, error="the source no longer exists")
                leases.release(event.source_id, event.branch, self.holder)
            return JobResult(job.id, "dead", event.id, detail="source deleted")
        get_plugins().source_type(source.type)  # NotAvailable (plugin not installed): the job waits and retries
        states = {space: state for space, state in loaded.states.items() if space in set(spaces)}
        now = utcnow()
        chain = PushChain.load(event.source_id, event.branch)
        verdict = superseded(event, chain) if job.kind == JobKind.EVENT else None
        if verdict is None and not states:
            wait = self._burst_wait(event, chain, now)
            if wait is not None:  # a burst on this branch: its newest event will cover this one
                return self._hold(job, event, wait, f"waiting for the burst on branch {event.branch} to end")
        if verdict is None:
            verdict = judge(source, event, chain, mirrors=self.settings.git_mirrors,
                            client_factory=self.client_factory)
        if not verdict.decided:
            held_until = (event.received_at or now) + timedelta(seconds=self.settings.order_wait_seconds)
            if now < held_until:
                retry = min(held_until, now + timedelta(seconds=self.settings.order_retry_seconds))
                return self._hold(job, event, retry, "waiting for order evidence: " + verdict.reason)
            verdict = replace(verdict, reason=verdict.reason + f"; held {self.settings.order_wait_seconds:g}s for "
                              "evidence, applied in arrival order (orderAssumed)", method="order-assumed")
            raw.execute("UPDATE source_event SET order_assumed = ? WHERE id = ?", (True, event.id))
            event.order_assumed = True
            log.warning("order assumed sourceId=%s eventJrn=%s headSha=%s eventId=%s orderAssumed=true reason=%s",
                        event.source_id, event.event_jrn, event.head_sha, event.id, verdict.reason)
        work: list[SpaceOutcome] = []  # skips are outcomes already; spaces to process have outcome "" (to do)
        waiting: list[datetime] = []
        for space_id in spaces:
            state = states.get(space_id)
            if state is not None and state.status in SPACE_DONE:
                if state.job_id != job.id:
                    work.append(SpaceOutcome(space_id, Outcome.SKIPPED_DUPLICATE, "already processed for this event"))
            elif state is not None and state.status == SpaceStatus.DEAD:
                continue  # only ``jolli events retry`` brings a dead letter back
            elif verdict.stale:
                work.append(SpaceOutcome(space_id, Outcome.SKIPPED_STALE, verdict.reason,
                                    state.attempts if state is not None else 1))
            elif state is not None and state.next_attempt_at is not None and state.next_attempt_at > now:
                waiting.append(state.next_attempt_at)
            else:
                work.append(SpaceOutcome(space_id, ""))
        view = self._view(event, kill_sandbox, loaded.provider)
        counts: dict[str, int] = {}
        index, careful = 0, False
        while True:
            if beat.lost.is_set():
                raise LeaseLost()
            started, start = time.monotonic(), index
            try:
                with write_tx():
                    chunk: list[SpaceOutcome] = []
                    hooked = 0
                    while index < len(work) and hooked < self.settings.chunk_spaces:
                        item = work[index]
                        index += 1
                        if item.outcome:
                            chunk.append(item)
                            continue
                        hooked += 1
                        chunk.append(self._one_space(item.space_id, states.get(item.space_id), view, verdict,
                                                     careful))
                        if time.monotonic() - started >= self.settings.chunk_seconds:
                            break
                    writes = self._store(job, event, chunk, states, counts)
                    if index < len(work):  # more chunks follow: say so, and keep the lease (the fence)
                        writes.append(("UPDATE source_event SET status = ? WHERE id = ? AND status = ?",
                                       (str(EventStatus.PROCESSING), event.id, str(EventStatus.QUEUED))))
                        writes.append(leases.fencing(event.source_id, event.branch, self.holder,
                                                     self.settings.lease_seconds))
                        if not raw.batch(writes)[-1]:
                            raise LeaseLost()
                        audit.log_outcomes(event, chunk)
                        continue
                    # The last chunk: spaces, audit, cursor, event, job and lease in one round trip.
                    at_head = source.cursor_value == event.head_sha  # e.g. a retried space: moved already
                    swap = [] if verdict.stale or at_head else cursor.swapping(
                        source.id, source.cursor_version or 0, source.cursor_value, event.head_sha,
                        event_id=event.id, worker=self.holder)
                    settle, result = self._settle(job, event, states, counts, waiting,
                                                  full=job.kind == JobKind.EVENT)
                    rows = raw.batch(writes + swap + settle + [
                        leases.releasing(event.source_id, event.branch, self.holder, fenced=True)])
                    if not rows[-1]:
                        raise LeaseLost()  # the fence: a worker that lost its lease records nothing
                    audit.log_outcomes(event, chunk)
                    if swap:
                        self._advanced(source, event, swapped=bool(rows[len(writes)]))
                    return result
            except _HookFailed:  # nothing of the chunk was kept: do it again, each hook in a savepoint
                index, careful = start, True
                counts.clear()

    def _burst_wait(self, event: SourceEvent, chain: PushChain, now: datetime) -> datetime | None:
        """When another push of this branch arrived less than ``coalesce_seconds`` ago (a burst), the time
        to look again: a quiet moment after the burst, at most ``coalesce_max_seconds`` after this event."""
        pause = self.settings.coalesce_seconds
        latest = chain.latest_received(event)
        if pause <= 0 or latest is None or latest <= now - timedelta(seconds=pause):
            return None
        deadline = (event.received_at or now) + timedelta(seconds=self.settings.coalesce_max_seconds)
        if now >= deadline:
            return None
        return min(latest + timedelta(seconds=pause), deadline)

    def _hold(self, job: EventJob, event: SourceEvent, until: datetime, why: str) -> JobResult:
        """Give the job back, due at ``until``, without running any space; say why on the job."""
        with write_tx():
            jobs.release(job.id, self.holder, run_after=until, error=why)
            leases.release(event.source_id, event.branch, self.holder)
        log.info("held jobId=%s eventId=%s sourceId=%s headSha=%s until=%s reason=%s", job.id, event.id,
                 event.source_id, event.head_sha, until.isoformat(), why)
        return JobResult(job.id, "held", event.id, detail=why)

    # --- spaces ------------------------------------------------------------------------------------
    def _one_space(self, space_id: int, state: EventSpace | None, view: SourceEventView,
                   verdict: Verdict, careful: bool) -> SpaceOutcome:
        """Run the hooks for one space, optimistically without a savepoint (two round trips less per space).
        A hook that raises having written nothing through the database only fails its space; one that wrote
        undoes the whole chunk (:class:`_HookFailed`), which then runs again ``careful``, each space in a
        savepoint, so that a failing hook's own writes are rolled back alone."""
        attempt = (state.attempts if state is not None else 0) + 1
        before = statements_run()
        try:
            if careful:
                with database.atomic():
                    results = self.hook(space_id=space_id, event=view, changes=verdict.changes)
            else:
                results = self.hook(space_id=space_id, event=view, changes=verdict.changes)
        except Exception as exc:  # noqa: BLE001 - one space failing never hides the others
            if not careful and statements_run() != before:  # it wrote: only a rollback undoes that
                raise _HookFailed() from exc
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            return SpaceOutcome(space_id, Outcome.FAILED, reason, attempt)
        results = [r for r in (results or []) if r is not None] if isinstance(results, list) else [results]
        detail = results[0] if len(results) == 1 else (results or None)
        assumed = verdict.reason if verdict.method == "order-assumed" else None
        return SpaceOutcome(space_id, Outcome.PROCESSED, assumed, attempt, detail)

    def _store(self, job: EventJob, event: SourceEvent, outcomes: list[SpaceOutcome], states: dict[int, EventSpace],
               counts: dict[str, int]) -> list[raw.Statement]:
        """The writes of the spaces' states and audit rows (for the caller's fenced transaction)."""
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        writes: list[raw.Statement] = []
        for o in outcomes:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
            if o.outcome == Outcome.SKIPPED_DUPLICATE:
                continue
            status, next_at = o.outcome, None
            if o.outcome == Outcome.FAILED:
                if o.attempt >= self.settings.max_attempts:
                    status = SpaceStatus.DEAD
                    o.reason = f"{o.reason} (attempt {o.attempt} of {self.settings.max_attempts}: dead letter)"
                else:
                    status = SpaceStatus.RETRYING
                    next_at = now + timedelta(seconds=self.settings.backoff(o.attempt))
            values = {"status": status, "attempts": o.attempt, "next_attempt_at": next_at, "reason": o.reason,
                      "detail": o.detail, "job_id": job.id, "updated_at": now}
            state = states.get(o.space_id)
            if state is None:
                inserts.append({"event": event.id, "space_id": o.space_id, **values})
            else:
                writes.append((
                    "UPDATE event_space SET status = ?, attempts = ?, next_attempt_at = ?, reason = ?, detail = ?, "
                    "job_id = ?, updated_at = ? WHERE id = ?",
                    (str(status), o.attempt, raw.naive(next_at) if next_at else None, o.reason, audit.as_json(o.detail),
                     job.id, raw.naive(now), state.id)))
            states[o.space_id] = EventSpace(id=state.id if state else None, event=event.id, space_id=o.space_id,
                                            **values)
        if inserts:
            writes += raw.inserts("event_space", [*SPACE_COLUMNS], [
                (event.id, i["space_id"], job.id, str(i["status"]), i["attempts"],
                 raw.naive(i["next_attempt_at"]) if i["next_attempt_at"] else None, i["reason"],
                 audit.as_json(i["detail"]), raw.naive(now)) for i in inserts])
        if outcomes:
            writes += audit.statements(event, outcomes, job_id=job.id, worker=self.holder)
        return writes

    # --- cursor, settling ----------------------------------------------------------------------------
    def _advanced(self, source: Source, event: SourceEvent, *, swapped: bool) -> None:
        """Log the cursor's move; when the batched swap lost a race (the cursor moved meanwhile), decide
        again against the new cursor, in the same transaction (:func:`jolli.events.cursor.advance`)."""
        if swapped:
            result = cursor.Advance(True, source.cursor_value, event.head_sha, (source.cursor_version or 0) + 1,
                                    "advanced")
        else:
            result = self._advance(source, event)
        log.info("cursor sourceId=%s eventJrn=%s headSha=%s moved=%s reason=%s version=%s orderAssumed=%s",
                 source.id, event.event_jrn, event.head_sha, result.moved, result.reason, result.version,
                 str(bool(event.order_assumed)).lower())

    def _advance(self, source: Source, event: SourceEvent) -> cursor.Advance:
        return cursor.advance(
            source.id, event.head_sha, expected_value=source.cursor_value,
            expected_version=source.cursor_version or 0,
            is_behind=lambda current, version: is_behind_or_equal(
                source, event, current, version, self.settings.git_mirrors, self.client_factory),
            event_id=event.id, worker=self.holder,
        )

    def _settle(self, job: EventJob, event: SourceEvent, states: dict[int, EventSpace], counts: dict[str, int],
                waiting: list[datetime], *, full: bool) -> tuple[list[raw.Statement], JobResult]:
        """The writes that queue the job again for its due retries, or finish it, and set the event's status."""
        retry_at = [s.next_attempt_at for s in states.values() if s.status == SpaceStatus.RETRYING and s.next_attempt_at]
        retry_at += waiting
        if retry_at:
            return ([self._event_status(event, EventStatus.PROCESSING),
                     jobs.releasing(job.id, self.holder, run_after=min(retry_at))],
                    JobResult(job.id, "retry", event.id, counts))
        if full:  # this job covers every affected space: what it saw is the whole picture
            all_states = {s: st.status for s, st in states.items()}
            pending: list[int] = []
        else:
            # The other spaces' states and the event's spaces now (a legacy job may have merged one in since).
            found = raw.rows("SELECT e.affected_space_ids, es.space_id, es.status FROM source_event e "
                             "LEFT JOIN event_space es ON es.event_id = e.id WHERE e.id = ?", (event.id,))
            all_states = {space: status for _, space, status in found if space is not None}
            all_states.update({s: st.status for s, st in states.items()})  # this job's writes are not sent yet
            affected = _AFFECTED.python_value(found[0][0]) if found else None
            pending = [s for s in (affected or []) if s not in all_states]
        statuses = set(all_states.values())
        if pending or SpaceStatus.RETRYING in statuses:
            status = EventStatus.PROCESSING
        elif SpaceStatus.DEAD in statuses:
            status = EventStatus.FAILED
        elif statuses == {SpaceStatus.SKIPPED_STALE}:
            status = EventStatus.STALE
        else:
            status = EventStatus.PROCESSED
        return ([self._event_status(event, status), jobs.finishing(job.id, self.holder, status=JobStatus.DONE)],
                JobResult(job.id, "done", event.id, counts))

    def _event_status(self, event: SourceEvent, status: EventStatus) -> raw.Statement:
        done = status in (EventStatus.PROCESSED, EventStatus.FAILED, EventStatus.STALE)
        return ("UPDATE source_event SET status = ?, finished_at = ? WHERE id = ?",
                (str(status), raw.naive(utcnow()) if done else None, event.id))

    def _job_failed(self, job: EventJob, error: str) -> JobResult:
        failures = (job.failures or 0) + 1
        try:
            if failures >= self.settings.max_attempts:
                jobs.finish(job.id, self.holder, status=JobStatus.DEAD, error=error[:2000])
                return JobResult(job.id, "dead", job.event_id, detail=error)
            delay = self.settings.backoff(failures)
            jobs.release(job.id, self.holder, run_after=utcnow() + timedelta(seconds=delay), error=error[:2000],
                          failed=True)
        except Exception:  # noqa: BLE001 - the claim expires and the job is taken over later
            log.exception("jobId=%s: could not record the failure", job.id)
        return JobResult(job.id, "retry", job.event_id, detail=error)

    def _view(self, event: SourceEvent, kill_sandbox: bool, provider: str | None) -> SourceEventView:
        return SourceEventView(
            id=event.id, org_id=event.org_id, source_id=event.source_id, event_jrn=event.event_jrn,
            head_sha=event.head_sha, before_sha=event.before_sha, branch=event.branch, repo=event.repo,
            affected_space_ids=tuple(event.affected_space_ids), version=event.version,
            integration_id=event.integration_id, delivery_id=event.delivery_id, received_at=event.received_at,
            forced=event.forced, legacy=event.origin == Origin.LEGACY, kill_sandbox=kill_sandbox,
            origin=str(event.origin), provider=provider, order_assumed=bool(event.order_assumed),
        )


_EVENT_COLUMNS = raw.columns(SourceEvent)
_SOURCE_COLUMNS = raw.columns(Source)
_STATE_COLUMNS = raw.columns(EventSpace)
#: How ``source_event.affected_space_ids`` reads (a JSON list) when selected by plain SQL.
_AFFECTED = SourceEvent.affected_space_ids
#: A job's event, its source, its integration's provider and its spaces' states: one statement.
_LOAD = (
    "SELECT " + ", ".join([f"e.{c}" for c in _EVENT_COLUMNS] + [f"s.{c}" for c in _SOURCE_COLUMNS]
                          + ["i.provider"] + [f"es.{c}" for c in _STATE_COLUMNS])
    + " FROM source_event e LEFT JOIN source s ON s.id = e.source_id "
    "LEFT JOIN integration i ON i.id = e.integration_id LEFT JOIN event_space es ON es.event_id = e.id "
)


@dataclass
class _Loaded:
    event: SourceEvent
    source: Source | None
    provider: str | None
    states: dict[int, EventSpace]


def _load(event_id: int, space_id: int | None = None) -> _Loaded | None:
    """What processing an event reads before it starts, in one round trip (with ``space_id``, a legacy job's
    one space: only that space's state)."""
    if space_id is None:
        rows = raw.rows(_LOAD + "WHERE e.id = ?", (event_id,))
    else:
        rows = raw.rows(_LOAD + "AND es.space_id = ? WHERE e.id = ?", (space_id, event_id))
    if not rows:
        return None
    ne, ns = len(_EVENT_COLUMNS), len(_SOURCE_COLUMNS)
    first = rows[0]
    event = raw.instance(SourceEvent, _EVENT_COLUMNS, first[:ne])
    source = raw.instance(Source, _SOURCE_COLUMNS, first[ne:ne + ns]) if first[ne] is not None else None
    states = {}
    for row in rows:
        if row[ne + ns + 1] is not None:
            state = raw.instance(EventSpace, _STATE_COLUMNS, row[ne + ns + 1:])
            states[state.space_id] = state
    return _Loaded(event, source, first[ne + ns], states)
