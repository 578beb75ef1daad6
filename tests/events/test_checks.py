"""Every source is checked on a schedule: what a check finds goes through the one store path as a ``poll``
event; a webhook for the same push is a duplicate; an unchanged branch costs a 304; rate limits pause only
their integration; the schedule lives in the database (both stores)."""

from __future__ import annotations

import threading
from typing import Any

import responses
from checkhelp import BranchApi, Clock, PypiType, checker
from eventhelp import deliver, make_integration, make_source, make_spaces, sha

from jolli.events.status import Origin
from jolli.events.tables import SourceEvent
from jolli.provider import CanonicalPush


def _interval(settings: Any) -> float:
    """One interval plus the whole jitter, for a source whose integration has had no verified delivery."""
    return float(settings.check_quiet_interval_seconds * (1 + settings.check_jitter))


def _events(source_id: int) -> list[SourceEvent]:
    return list(SourceEvent.select().where(SourceEvent.source == source_id).order_by(SourceEvent.id))


def _push(repo: str, before: str, after: str, delivery: str) -> CanonicalPush:
    return CanonicalPush(repo=repo, ref="refs/heads/main", before=before, after=after, delivery_id=delivery)


@responses.activate
def test_a_new_head_becomes_one_poll_event_and_the_late_webhook_is_a_duplicate(org: Any, integration: Any,
                                                                               settings: Any) -> None:
    source = make_source(org, "app", "github.com/acme/app", integration=integration, cursor_value=sha(1))
    make_spaces(org, source, 2)
    api = BranchApi()
    url = api.add("github", "github.com/acme/app", sha(1))
    clock = Clock()
    first = checker(settings, clock).sweep()
    assert first.results == {"unchanged": 1} and _events(source.id) == []

    api.push(url, sha(2))
    clock.advance(_interval(settings))
    found = checker(settings, clock).sweep()
    assert found.results == {"changed": 1}
    [event] = _events(source.id)
    assert (event.origin, event.head_sha, event.before_sha) == (Origin.POLL, sha(2), sha(1))

    late = deliver(integration, [_push("github.com/acme/app", sha(1), sha(2), "late-1")])
    assert late.status == "duplicate" and late.duplicate_event_ids == [event.id]
    assert len(_events(source.id)) == 1


@responses.activate
def test_an_unchanged_branch_costs_one_304_and_advances_nothing(org: Any, integration: Any, settings: Any) -> None:
    from jolli.events.checks import source_check_row

    source = make_source(org, "app", "github.com/acme/app", integration=integration, cursor_value=sha(1))
    api = BranchApi()
    api.add("github", "github.com/acme/app", sha(1))
    clock = Clock()
    checker(settings, clock).sweep()
    due_before = source_check_row(source.id)["nextCheckAt"]
    clock.advance(_interval(settings))
    again = checker(settings, clock).sweep()
    assert again.results == {"unchanged": 1} and again.requests == 1
    assert api.statuses() == [200, 304]
    assert _events(source.id) == []
    row = source_check_row(source.id)
    assert row["result"] == "unchanged" and row["nextCheckAt"] > due_before


@responses.activate
def test_with_webhooks_off_every_push_to_50_sources_is_one_event_then_the_webhooks_are_duplicates(
        org: Any, settings: Any) -> None:
    integrations = {
        "github": make_integration(org, "github", "github.com", name="gh"),
        "gitlab": make_integration(org, "gitlab", "gitlab.example.com", name="gl"),
        "gitea": make_integration(org, "gitea", "gitea.example.com", name="gt"),
    }
    api = BranchApi()
    sources = []
    for n in range(50):
        provider = ("github", "gitlab", "gitea")[n % 3]
        host = integrations[provider].host
        repo = f"{host}/acme/repo{n}"
        source = make_source(org, f"s{n}", repo, integration=integrations[provider], cursor_value=sha(1000 + n))
        sources.append((source, provider, repo, api.add(provider, repo, sha(1000 + n))))
    clock = Clock()
    assert checker(settings, clock).sweep().results == {"unchanged": 50}

    for n, (_, _, _, url) in enumerate(sources):
        api.push(url, sha(2000 + n))
    clock.advance(_interval(settings))  # one interval plus jitter
    swept = checker(settings, clock).sweep()
    assert swept.results == {"changed": 50}
    for n, (source, _, _, _) in enumerate(sources):
        assert [(e.head_sha, e.origin) for e in _events(source.id)] == [(sha(2000 + n), Origin.POLL)]

    for n, (_source, provider, repo, _) in enumerate(sources):
        answer = deliver(integrations[provider], [_push(repo, sha(1000 + n), sha(2000 + n), f"d{n}")])
        assert answer.status == "duplicate", answer.reason
    assert SourceEvent.select().count() == 50


def test_a_webhook_and_a_check_racing_for_one_push_make_one_event(org: Any, integration: Any, settings: Any) -> None:
    from jolli.events.checker import record
    from jolli.events.checks import claim_one
    from jolli.store.db import database

    source = make_source(org, "app", "github.com/acme/app", integration=integration, cursor_value=sha(1))
    due = claim_one("racer", source.id, 0.0 + __import__("time").time(), 30)
    assert due is not None
    start = threading.Barrier(2)
    answers: list[Any] = []

    def webhook() -> None:
        start.wait()
        answers.append(deliver(integration, [_push("github.com/acme/app", sha(1), sha(2), "race")]).status)
        database.close()

    def check() -> None:
        start.wait()
        answers.append(record(due, sha(2), Origin.POLL).result)
        database.close()

    threads = [threading.Thread(target=webhook), threading.Thread(target=check)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(str, answers)) in (["accepted", "known"], ["changed", "duplicate"])
    assert len(_events(source.id)) == 1


@responses.activate
def test_a_429_pauses_only_its_integration_until_retry_after(org: Any, settings: Any) -> None:
    _rate_limited(org, settings, 429, {"Retry-After": "1000"}, "")


@responses.activate
def test_a_secondary_limit_403_pauses_only_its_integration(org: Any, settings: Any) -> None:
    body = '{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}'
    _rate_limited(org, settings, 403, {"Retry-After": "1000", "Content-Type": "application/json"}, body)


def _rate_limited(org: Any, settings: Any, status: int, headers: dict[str, str], body: str) -> None:
    from jolli.events.health import webhook_health

    limited = make_integration(org, "github", "github.com", name="limited", owner="busy")
    other = make_integration(org, "gitlab", "gitlab.example.com", name="other")
    api = BranchApi()
    for n in range(3):
        make_source(org, f"busy{n}", f"github.com/busy/r{n}", integration=limited, cursor_value=sha(n))
        api.add("github", f"github.com/busy/r{n}", sha(n))
    calm = make_source(org, "calm", "gitlab.example.com/acme/calm", integration=other, cursor_value=sha(9))
    calm_url = api.add("gitlab", "gitlab.example.com/acme/calm", sha(9))
    api.limited["https://api.github.com/"] = (status, headers, body)
    clock = Clock()
    first = checker(settings.with_(check_concurrency=1), clock).sweep()
    assert first.results.get("paused") == 3 and first.results.get("unchanged") == 1
    assert len([c for c in api.calls if c[0].startswith("https://api.github.com/")]) == 1  # the rest not sent
    health = webhook_health(limited.id, settings.webhook_grace_seconds)
    assert health["checksPausedUntil"] and "rate limited" in health["checksPauseReason"]

    api.push(calm_url, sha(10))
    clock.advance(_interval(settings))
    during = checker(settings, clock).sweep()
    assert during.results == {"changed": 1}  # only the other integration's source
    assert [e.head_sha for e in _events(calm.id)] == [sha(10)]
    assert len([c for c in api.calls if c[0].startswith("https://api.github.com/")]) == 1

    del api.limited["https://api.github.com/"]
    clock.advance(1001 - _interval(settings))  # the pause is over
    after = checker(settings, clock).sweep()
    assert after.results == {"unchanged": 4}


def test_a_check_held_by_a_killed_worker_is_taken_over_when_its_claim_expires(org: Any, settings: Any) -> None:
    from jolli.events import checks

    source = make_source(org, "app", "github.com/acme/app", cursor_value=sha(1))
    clock = Clock()
    checks.schedule_new(clock())
    [held] = checks.claim_due("killed-worker", 10, clock(), settings.lease_seconds)
    assert held.source_id == source.id
    assert checks.claim_due("other", 10, clock(), settings.lease_seconds) == []  # never twice at once
    clock.advance(settings.lease_seconds + 0.1)
    [taken] = checks.claim_due("other", 10, clock(), settings.lease_seconds)
    assert taken.source_id == source.id


def test_the_schedule_survives_a_restart(org: Any, settings: Any) -> None:
    """A source checked once is due again after its interval, whichever checker (process) looks."""
    from jolli.events import checks

    make_source(org, "notes", None, branch=None, type="file")
    clock = Clock()
    assert checker(settings, clock, "before-restart").sweep().results == {"unsupported": 1}
    assert checker(settings, clock, "after-restart").sweep().results == {}
    clock.advance(settings.check_interval_seconds * (1 + settings.check_jitter))
    assert checker(settings, clock, "after-restart").sweep().results == {"unsupported": 1}
    assert checks.next_due() is not None


def test_interval_of_its_own_per_source_and_per_integration(org: Any, integration: Any, settings: Any) -> None:
    from jolli.events import checks

    own = make_source(org, "own", None, branch=None, type="file")
    by_integration = make_source(org, "app", "github.com/acme/app", branch=None, integration=integration)
    checks.set_interval(source_id=own.id, seconds=10)
    checks.set_interval(integration_id=integration.id, seconds=20)
    clock = Clock()
    checker(settings.with_(check_jitter=0.0), clock).sweep()
    assert checks.source_check_row(own.id)["nextCheckAt"] == checks._iso(clock.now + 10)
    assert checks.source_check_row(by_integration.id)["nextCheckAt"] == checks._iso(clock.now + 20)


@responses.activate
def test_a_third_party_type_gets_events_from_checks_and_its_detect_changes_runs(org: Any, plugins: Any,
                                                                                 hook: Any, settings: Any) -> None:
    import json

    from jolli.events.worker import Worker

    pypi = PypiType()
    plugins.register(pypi, "pypi-type")
    source = make_source(org, "requests", None, branch=None, type="pypi", fields=json.dumps({"package": "requests"}))
    spaces = make_spaces(org, source, 1)
    responses.get("https://pypi.org/pypi/requests/json", json={"info": {"version": "2.32.0"}})
    clock = Clock()
    assert checker(settings, clock).sweep().results == {"changed": 1}
    [event] = _events(source.id)
    assert (event.origin, event.head_sha, event.branch) == (Origin.POLL, "2.32.0", None)
    assert [r.state for r in Worker(settings).drain()] == ["done"]
    assert pypi.seen == [(None, "2.32.0")]
    assert [(space, head) for _, space, head in hook.calls] == [(spaces[0], "2.32.0")]

    responses.upsert(responses.GET, "https://pypi.org/pypi/requests/json", json={"info": {"version": "2.33.0"}})
    clock.advance(settings.check_interval_seconds * (1 + settings.check_jitter))
    assert checker(settings, clock).sweep().results == {"changed": 1}
    Worker(settings).drain()
    assert pypi.seen[-1] == ("2.32.0", "2.33.0")


def test_an_integration_without_a_recent_verified_delivery_is_checked_more_often(org: Any, settings: Any) -> None:
    from jolli.events import checks

    quiet = make_integration(org, "github", "github.com", owner="quiet", name="quiet")
    lively = make_integration(org, "github", "github.com", owner="lively", name="lively")
    on_quiet = make_source(org, "q", "github.com/quiet/app", branch=None, integration=quiet)
    on_lively = make_source(org, "l", "github.com/lively/app", branch=None, integration=lively)
    deliver(lively, [_push("github.com/lively/app", sha(1), sha(2), "recent")])
    clock = Clock()
    checker(settings.with_(check_jitter=0.0), clock).sweep()
    assert checks.source_check_row(on_quiet.id)["nextCheckAt"] == checks._iso(
        clock.now + settings.check_quiet_interval_seconds)
    assert checks.source_check_row(on_lively.id)["nextCheckAt"] == checks._iso(clock.now + settings.check_interval_seconds)


@responses.activate
def test_a_spent_quota_pauses_the_integration_until_its_reset(org: Any, integration: Any, settings: Any) -> None:
    import time

    from jolli.events.health import webhook_health

    make_source(org, "app", "github.com/acme/app", integration=integration, cursor_value=sha(1))
    reset = int(time.time()) + 900
    responses.get("https://api.github.com/repos/acme/app/branches/main", json={"commit": {"sha": sha(1)}},
                  headers={"ETag": '"x"', "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    clock = Clock()
    assert checker(settings, clock).sweep().results == {"unchanged": 1}
    health = webhook_health(integration.id, settings.webhook_grace_seconds)
    assert "rate limit is spent" in health["checksPauseReason"]
    clock.advance(_interval(settings))
    assert checker(settings, clock).sweep().results == {}  # paused: not asked
    assert len(responses.calls) == 1
