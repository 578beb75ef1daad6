"""Settings of event intake and processing, from the environment (tests and ``jolli worker`` override them).

| variable | default | meaning |
| --- | --- | --- |
| ``JOLLI_LEASE_SECONDS`` | 30 | lease on ``(source, branch)`` and job claim; renewed every third of it |
| ``JOLLI_MAX_ATTEMPTS`` | 5 | attempts per space before it is dead-lettered |
| ``JOLLI_RETRY_BACKOFF`` | 2 | first retry delay in seconds; doubles per attempt |
| ``JOLLI_RETRY_BACKOFF_MAX`` | 300 | longest retry delay |
| ``JOLLI_MAX_TAKEOVERS`` | 20 | times a job may be taken over from a dead worker before it is dead-lettered |
| ``JOLLI_POLL_SECONDS`` | 1 | how long an idle worker sleeps between looks at the queue |
| ``JOLLI_ORDER_WAIT`` | 120 | seconds an event no evidence orders is held for evidence before it is applied ``orderAssumed`` |
| ``JOLLI_ORDER_RETRY`` | 5 | seconds between looks for order evidence while an event is held |
| ``JOLLI_COALESCE_SECONDS`` | 1 | a branch with pushes this close together waits this long for the burst to end |
| ``JOLLI_COALESCE_MAX`` | 10 | the longest an event waits for its branch's burst to end |
| ``JOLLI_GIT_MIRRORS`` | unset | folder of local git clones ``<host>/<owner>/<repo>[.git]`` used to tell ancestry |
| ``JOLLI_WEBHOOK_MAX_BYTES`` | 26214400 | largest webhook body accepted (25 MiB, GitHub's own cap) |
| ``JOLLI_CHECK_INTERVAL`` | 300 | seconds between checks of a source (overridable per source and per integration) |
| ``JOLLI_CHECK_INTERVAL_QUIET`` | 60 | the interval when the source's integration had no verified delivery lately |
| ``JOLLI_CHECK_QUIET_AFTER`` | 3600 | "lately": seconds since the integration's last verified delivery |
| ``JOLLI_CHECK_JITTER`` | 0.1 | each next check is up to this fraction of the interval later (spreads the load) |
| ``JOLLI_CHECK_CONCURRENCY`` | 4 | checks at once per integration (and per worker process) |
| ``JOLLI_CHECK_BATCH`` | 200 | due checks claimed per statement |
| ``JOLLI_WEBHOOK_GRACE`` | 600 | seconds a webhook may lag a check before the push counts as a webhook gap |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class EventSettings:
    """Everything the worker and the receiver need to know."""

    lease_seconds: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 300.0
    max_takeovers: int = 20
    poll_seconds: float = 1.0
    git_mirrors: str | None = None
    order_wait_seconds: float = 120.0
    order_retry_seconds: float = 5.0
    coalesce_seconds: float = 1.0
    coalesce_max_seconds: float = 10.0
    webhook_max_bytes: int = 25 * 1024 * 1024
    #: A transaction that records space outcomes is committed after this many spaces or seconds.
    chunk_spaces: int = 100
    chunk_seconds: float = 0.25
    check_interval_seconds: float = 300.0
    check_quiet_interval_seconds: float = 60.0
    check_quiet_after_seconds: float = 3600.0
    check_jitter: float = 0.1
    check_concurrency: int = 4
    check_batch: int = 200
    webhook_grace_seconds: float = 600.0

    @classmethod
    def from_env(cls, **overrides: Any) -> EventSettings:
        """Settings from ``JOLLI_*`` variables, then ``overrides`` (``None`` values are ignored)."""
        settings = cls(
            lease_seconds=_env_float("JOLLI_LEASE_SECONDS", cls.lease_seconds),
            max_attempts=int(_env_float("JOLLI_MAX_ATTEMPTS", cls.max_attempts)),
            backoff_seconds=_env_float("JOLLI_RETRY_BACKOFF", cls.backoff_seconds),
            backoff_max_seconds=_env_float("JOLLI_RETRY_BACKOFF_MAX", cls.backoff_max_seconds),
            max_takeovers=int(_env_float("JOLLI_MAX_TAKEOVERS", cls.max_takeovers)),
            poll_seconds=_env_float("JOLLI_POLL_SECONDS", cls.poll_seconds),
            git_mirrors=os.environ.get("JOLLI_GIT_MIRRORS") or None,
            order_wait_seconds=_env_float("JOLLI_ORDER_WAIT", cls.order_wait_seconds),
            order_retry_seconds=_env_float("JOLLI_ORDER_RETRY", cls.order_retry_seconds),
            coalesce_seconds=_env_float("JOLLI_COALESCE_SECONDS", cls.coalesce_seconds),
            coalesce_max_seconds=_env_float("JOLLI_COALESCE_MAX", cls.coalesce_max_seconds),
            webhook_max_bytes=int(_env_float("JOLLI_WEBHOOK_MAX_BYTES", cls.webhook_max_bytes)),
            check_interval_seconds=_env_float("JOLLI_CHECK_INTERVAL", cls.check_interval_seconds),
            check_quiet_interval_seconds=_env_float("JOLLI_CHECK_INTERVAL_QUIET", cls.check_quiet_interval_seconds),
            check_quiet_after_seconds=_env_float("JOLLI_CHECK_QUIET_AFTER", cls.check_quiet_after_seconds),
            check_jitter=_env_float("JOLLI_CHECK_JITTER", cls.check_jitter),
            check_concurrency=int(_env_float("JOLLI_CHECK_CONCURRENCY", cls.check_concurrency)),
            check_batch=int(_env_float("JOLLI_CHECK_BATCH", cls.check_batch)),
            webhook_grace_seconds=_env_float("JOLLI_WEBHOOK_GRACE", cls.webhook_grace_seconds),
        )
        return settings.with_(**overrides)

    def with_(self, **overrides: Any) -> EventSettings:
        """A copy with the given non-``None`` values replaced."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (1-based ``attempt`` just failed)."""
        return min(self.backoff_max_seconds, self.backoff_seconds * (2 ** max(0, attempt - 1)))
