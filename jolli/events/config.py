"""Settings of event processing and checks, from the environment (tests and ``jolli worker`` override them).

The variables, their defaults and meanings are in :data:`jolli.settings.VARIABLES` (docs/configuration.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from jolli.settings import choice, number, text

#: The CPU priorities of the check process (``JOLLI_CHECK_PRIORITY``), lowest first.
CHECK_PRIORITIES = ("idle", "low", "normal")


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
    #: A transaction that records space outcomes is committed after this many spaces or seconds.
    chunk_spaces: int = 100
    chunk_seconds: float = 0.25
    check_interval_seconds: float = 300.0
    check_quiet_interval_seconds: float = 60.0
    check_quiet_after_seconds: float = 3600.0
    check_jitter: float = 0.1
    check_concurrency: int = 4
    check_batch: int = 200
    #: The check process's CPU priority: one of :data:`CHECK_PRIORITIES`.
    check_priority: str = "idle"
    webhook_grace_seconds: float = 600.0

    @classmethod
    def from_env(cls, **overrides: Any) -> EventSettings:
        """Settings from ``JOLLI_*`` variables, then ``overrides`` (``None`` values are ignored)."""
        settings = cls(
            lease_seconds=number("JOLLI_LEASE_SECONDS", cls.lease_seconds),
            max_attempts=int(number("JOLLI_MAX_ATTEMPTS", cls.max_attempts, integer=True)),
            backoff_seconds=number("JOLLI_RETRY_BACKOFF", cls.backoff_seconds),
            backoff_max_seconds=number("JOLLI_RETRY_BACKOFF_MAX", cls.backoff_max_seconds),
            max_takeovers=int(number("JOLLI_MAX_TAKEOVERS", cls.max_takeovers, integer=True)),
            poll_seconds=number("JOLLI_POLL_SECONDS", cls.poll_seconds),
            git_mirrors=text("JOLLI_GIT_MIRRORS"),
            order_wait_seconds=number("JOLLI_ORDER_WAIT", cls.order_wait_seconds),
            order_retry_seconds=number("JOLLI_ORDER_RETRY", cls.order_retry_seconds),
            coalesce_seconds=number("JOLLI_COALESCE_SECONDS", cls.coalesce_seconds),
            coalesce_max_seconds=number("JOLLI_COALESCE_MAX", cls.coalesce_max_seconds),
            check_interval_seconds=number("JOLLI_CHECK_INTERVAL", cls.check_interval_seconds),
            check_quiet_interval_seconds=number("JOLLI_CHECK_INTERVAL_QUIET", cls.check_quiet_interval_seconds),
            check_quiet_after_seconds=number("JOLLI_CHECK_QUIET_AFTER", cls.check_quiet_after_seconds),
            check_jitter=number("JOLLI_CHECK_JITTER", cls.check_jitter),
            check_concurrency=int(number("JOLLI_CHECK_CONCURRENCY", cls.check_concurrency, integer=True)),
            check_batch=int(number("JOLLI_CHECK_BATCH", cls.check_batch, integer=True)),
            check_priority=choice("JOLLI_CHECK_PRIORITY", CHECK_PRIORITIES, cls.check_priority),
            webhook_grace_seconds=number("JOLLI_WEBHOOK_GRACE", cls.webhook_grace_seconds),
        )
        return settings.with_(**overrides)

    def with_(self, **overrides: Any) -> EventSettings:
        """A copy with the given non-``None`` values replaced."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (1-based ``attempt`` just failed)."""
        return min(self.backoff_max_seconds, self.backoff_seconds * (2 ** max(0, attempt - 1)))
