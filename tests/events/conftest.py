"""Fixtures of the event tests: a migrated database (both stores), real plugins, a recording hook."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from eventhelp import RecordingHook, make_integration, make_org  # noqa: E402


@pytest.fixture
def plugins() -> Iterator[Any]:
    """A fresh plugin manager with the installed plugins (providers, git, the built-in record_changes)."""
    from jolli.testing.helpers import isolated_plugins

    with isolated_plugins() as manager:
        yield manager


@pytest.fixture
def hook(plugins: Any) -> RecordingHook:
    """A recording ``jolli_process_space`` plugin, registered for this test."""
    recorder = RecordingHook()
    assert plugins.register(recorder, "recording-hook")
    return recorder


@pytest.fixture
def settings() -> Any:
    """Short leases, backoffs and order holds, no burst wait: retries and takeovers happen within a test."""
    from jolli.events.config import EventSettings

    return EventSettings(lease_seconds=2.0, backoff_seconds=0.05, backoff_max_seconds=0.2, poll_seconds=0.05,
                         max_attempts=3, coalesce_seconds=0.0, order_wait_seconds=0.5, order_retry_seconds=0.05)


@pytest.fixture
def org(db: object) -> Any:
    return make_org("acme")


@pytest.fixture
def integration(org: Any) -> Any:
    return make_integration(org)
