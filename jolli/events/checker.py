"""Checking sources: ask each source type where a source stands, and store what is new as an event.

One check (:func:`check_source`) asks the source type's ``current_cursor`` (for ``git``: ``git ls-remote``
of a clone under ``JOLLI_GIT_MIRRORS``, else the provider's branch API, conditionally), and when the
answer is neither the cursor nor what the last check found, stores it through
:func:`jolli.events.store.store_changes` as an :class:`ObservedChange` with origin ``poll`` (``manual``
when a person asked), ``before`` = the cursor: the same idempotency key as the webhook for that push, so
whichever comes second is a duplicate, and the push chain orders it without the network.

A sweep (:class:`Checker`) claims due checks in batches (:mod:`jolli.events.checks`), runs them with at
most ``check_concurrency`` at once per integration, pauses an integration whose provider asks to slow
down (its other checks in the batch are not sent), and records the outcomes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from jolli.events import checks
from jolli.events.checks import CheckResult, DueCheck, Outcome
from jolli.events.config import EventSettings
from jolli.events.staleness import mirror_path, provider_client
from jolli.events.status import Origin
from jolli.events.store import ObservedChange, Producer, store_changes
from jolli.http import ProviderError
from jolli.registry import get_plugins
from jolli.source_type import CheckContext, CursorCheck
from jolli.store.db import database
from jolli.store.models import Source, utcnow

log = logging.getLogger(__name__)

#: Checks running at once in one worker process, whatever the number of integrations.
MAX_THREADS = 16
#: A new source gets its schedule at the first sweep at most this many seconds after it was created.
SCHEDULE_EVERY = 30.0


def source_jrn(org_name: str, source_type: str, source_id: int) -> str:
    """The event JRN of a source that follows no branch (``file``, ``archive``, third-party types)."""
    return f"jrn::path:/home/{org_name}/sources/{source_type}/{source_id}"


def source_row(due: DueCheck) -> Source:
    """The source as a source type receives it (``.fields`` as JSON text), without a query."""
    return Source(id=due.source_id, org=due.org_id, type=due.type, repo=due.repo, branch=due.branch,
                  integration=due.integration_id, fields=due.fields, cursor_value=due.cursor,
                  cursor_version=due.cursor_version)


def record(due: DueCheck, value: str, origin: Origin) -> Outcome:
    """Store ``value`` (a validated cursor the source is at now) as an observed change of ``due``'s source."""
    ref = f"refs/heads/{due.branch}" if due.branch else ""
    change = ObservedChange(ref=ref, head=value, origin=origin, repo=due.repo, before=due.cursor,
                            source_id=due.source_id,
                            event_jrn=None if due.branch else source_jrn(due.org_name, due.type, due.source_id))
    stored = store_changes(Producer(due.org_id, due.org_name, due.integration_id), [change])
    if stored.event_ids:
        return Outcome(due.source_id, due.integration_id, CheckResult.CHANGED, f"new head {value[:12]}", value,
                       stored.event_ids[0])
    if stored.duplicate_event_ids:
        return Outcome(due.source_id, due.integration_id, CheckResult.KNOWN,
                       f"head {value[:12]} was already stored (event {stored.duplicate_event_ids[0]})", value,
                       stored.duplicate_event_ids[0])
    return Outcome(due.source_id, due.integration_id, CheckResult.ERROR, stored.reason, value)


def check_source(due: DueCheck, client: Any, settings: EventSettings, origin: Origin = Origin.POLL) -> Outcome:
    """One check of one source; never raises (a failure is an ``error`` outcome with the reason)."""
    context = CheckContext(
        source_id=due.source_id, repo=due.repo, branch=due.branch, fields=_fields(due.fields), cursor=due.cursor,
        last_value=due.last_value, etag=due.etag, last_modified=due.last_modified,
        repo_path=mirror_path(settings.git_mirrors, due.repo), client=client,
    )
    try:
        source_type = get_plugins().source_type(due.type)
        found = source_type.current_cursor(source_row(due), context)
    except ProviderError as exc:
        if exc.retry_after is not None:
            return Outcome(due.source_id, due.integration_id, CheckResult.PAUSED, exc.message, wait=exc.retry_after,
                           etag=due.etag, last_modified=due.last_modified)
        return _failed(due, exc.message)
    except Exception as exc:  # noqa: BLE001 - a plugin failing is that source's failed check, not the sweep's
        return _failed(due, f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}")
    if found is None:
        return Outcome(due.source_id, due.integration_id, CheckResult.UNSUPPORTED,
                       f"the server cannot ask this {due.type} source where it stands"
                       + (" (it follows no branch, or has no integration or clone to ask)" if due.type == "git" else "")
                       + ": run 'jolli source sync' where it is mounted")
    return _judged(due, found, source_type, origin)


def _judged(due: DueCheck, found: CursorCheck, source_type: Any, origin: Origin) -> Outcome:
    validators = found.etag != due.etag or found.last_modified != due.last_modified
    unchanged = Outcome(due.source_id, due.integration_id, CheckResult.UNCHANGED, etag=found.etag,
                        last_modified=found.last_modified, validators_changed=validators, wait=found.wait)
    if found.unchanged or found.value is None:
        return unchanged
    try:
        value = source_type.validate_cursor(found.value)
    except Exception as exc:  # noqa: BLE001 - a type answering an invalid cursor fails its check
        return _failed(due, f"the {due.type} source type answered an invalid cursor: {exc}")
    if value in (due.cursor, due.last_value):
        return replace(unchanged, value=value, validators_changed=validators or value != due.last_value)
    stored = record(due, value, origin)
    return replace(stored, etag=found.etag, last_modified=found.last_modified, validators_changed=True,
                   wait=found.wait)


def _failed(due: DueCheck, message: str | None) -> Outcome:
    log.warning("sourceId=%s check failed: %s", due.source_id, message)
    return Outcome(due.source_id, due.integration_id, CheckResult.ERROR, (message or "failed")[:500],
                   etag=due.etag, last_modified=due.last_modified)


def _fields(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class SweepStats:
    """What one sweep did: checks by result, provider requests, database statements."""

    results: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    statements: int = 0
    event_ids: list[int] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return sum(self.results.values())


class Checker:
    """Sweeps of due checks for one worker process (any number of them may run against one database)."""

    def __init__(self, settings: EventSettings, name: str, *,
                 client_factory: Callable[[Source], Any] | None = None,
                 clock: Callable[[], float] = checks.now_seconds) -> None:
        self.settings = settings
        self.name = name
        self.client_factory = client_factory or provider_client
        self.clock = clock
        self._salt = 0
        self._scheduled_at: float | None = None

    def sweep(self, stop: threading.Event | None = None) -> SweepStats:
        """Claim and run every check due now, batch by batch; see the module's docstring."""
        stats = SweepStats()
        now = self.clock()
        if self._scheduled_at is None or now - self._scheduled_at >= SCHEDULE_EVERY:
            checks.schedule_new(now)  # one statement over every source: not on every sweep
            self._scheduled_at = now
            stats.statements += 1
        self._salt += 1
        intervals: dict[int | None, float] = {None: self.settings.check_interval_seconds}
        clients: dict[int, Any] = {}
        while stop is None or not stop.is_set():
            batch = checks.claim_due(self.name, self.settings.check_batch, now, self.settings.lease_seconds)
            stats.statements += 2 if batch else 1
            if not batch:
                break
            fresh = {d.integration_id for d in batch if d.integration_id is not None and d.integration_id not in intervals}
            if fresh:
                intervals.update(self._intervals(fresh))
                stats.statements += 2 + 2 * len(fresh)
            outcomes = self._run(batch, clients, stats)
            stats.statements += checks.finish(self.name, outcomes, intervals, self.settings.check_jitter, self.clock(),
                                              self._salt)
            self._pause(outcomes)
            for o in outcomes:
                stats.results[str(o.result)] = stats.results.get(str(o.result), 0) + 1
                if o.result == CheckResult.CHANGED and o.event_id is not None:
                    stats.event_ids.append(o.event_id)
        return stats

    def _run(self, batch: list[DueCheck], clients: dict[int, Any], stats: SweepStats) -> list[Outcome]:
        limit = max(1, self.settings.check_concurrency)
        groups: dict[int | None, list[DueCheck]] = {}
        for due in batch:
            groups.setdefault(due.integration_id, []).append(due)
        gates = {key: threading.BoundedSemaphore(limit) for key in groups}
        paused: dict[int, Outcome] = {}
        lock = threading.Lock()

        def one(due: DueCheck) -> Outcome:
            with gates[due.integration_id]:
                if due.integration_id in paused:
                    return Outcome(due.source_id, due.integration_id, CheckResult.PAUSED, "integration paused")
                try:
                    client = self._client(due, clients, lock)
                    with lock:
                        stats.requests += 1
                    outcome = check_source(due, client, self.settings)
                finally:
                    if not database.is_closed():
                        database.close()
                if due.integration_id is not None and (outcome.result == CheckResult.PAUSED or outcome.wait):
                    paused[due.integration_id] = outcome
                return outcome

        threads = min(len(batch), limit * len(groups), MAX_THREADS)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="jolli-check") as pool:
            return list(pool.map(one, batch))

    def _client(self, due: DueCheck, clients: dict[int, Any], lock: threading.Lock) -> Any:
        """The provider client of the source's integration (one per integration per sweep) and its repo."""
        with lock:
            return client_for(due, self.settings, self.client_factory, clients)

    def _intervals(self, integration_ids: set[int]) -> dict[int | None, float]:
        """Each integration's interval: its own, else the default, shorter when it had no verified
        delivery within ``check_quiet_after_seconds``."""
        from jolli.events.health import last_deliveries

        own = checks.integration_settings(integration_ids)
        last = last_deliveries(integration_ids)
        quiet_since = utcnow() - timedelta(seconds=self.settings.check_quiet_after_seconds)
        result: dict[int | None, float] = {}
        for integration_id in integration_ids:
            interval = own.get(integration_id, (None, None, None))[0]
            if interval is None:
                delivered = last.get(integration_id)
                quiet = delivered is None or delivered < quiet_since
                interval = (self.settings.check_quiet_interval_seconds if quiet
                            else self.settings.check_interval_seconds)
            result[integration_id] = float(interval)
        return result

    def _pause(self, outcomes: list[Outcome]) -> None:
        """Pause each integration whose provider asked to slow down, for the longest wait it asked."""
        waits: dict[int, Outcome] = {}
        for o in outcomes:
            if o.integration_id is not None and o.wait and o.wait > (waits.get(o.integration_id, o).wait or 0) - 1e-9:
                waits[o.integration_id] = o
        for integration_id, o in waits.items():
            reason = o.detail if o.result == CheckResult.PAUSED else "the provider's rate limit is spent"
            checks.pause_integration(integration_id, self.clock() + float(o.wait or 0), f"rate limited: {reason}")
            log.warning("integrationId=%s checks paused for %.0fs: %s", integration_id, o.wait, reason)


def client_for(due: DueCheck, settings: EventSettings, factory: Callable[[Source], Any] = provider_client,
               clients: dict[int, Any] | None = None) -> tuple[Any, Any] | None:
    """``(ProviderClient, RepoCoordinate)`` for a check of ``due``'s source through its integration's API;
    ``None`` without an integration or repo, or when a local clone answers instead (``JOLLI_GIT_MIRRORS``).
    ``clients`` caches one client per integration."""
    if due.integration_id is None or not due.repo or mirror_path(settings.git_mirrors, due.repo):
        return None
    from jolli.repo_coordinate import RepoCoordinate

    cache = {} if clients is None else clients
    if due.integration_id not in cache:
        found = factory(source_row(due))
        cache[due.integration_id] = found[0] if found else None
        if found:
            _no_rate_limit_retries(found[0])
    client = cache[due.integration_id]
    if client is None:
        return None
    return client, RepoCoordinate.of(due.repo)


def _no_rate_limit_retries(client: Any) -> None:
    """A check never sleeps on a 429 inside the HTTP client: it pauses the integration instead."""
    session = getattr(client, "session", None)
    if session is None:
        return
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(total=2, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504), raise_on_status=False,
                  respect_retry_after_header=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)

