"""Scope: a delivery to an integration creates events only for the sources that integration covers."""

from __future__ import annotations

import json
from typing import Any

from eventhelp import deliver, make_integration, make_source, sha

from jolli.events.tables import EventJob, SourceEvent, WebhookDelivery
from jolli.provider import CanonicalPush


def push(repo: str, head: str = sha(1)) -> CanonicalPush:
    return CanonicalPush(repo, "refs/heads/main", sha(0), head, delivery_id="d-1")


def nothing_stored() -> bool:
    return not SourceEvent.select().exists() and not EventJob.select().exists()


def test_a_delivery_naming_another_hosts_repo_is_ignored(org: Any) -> None:
    github = make_integration(org)
    gitlab = make_integration(org, provider="gitlab", host="gitlab.com", name="lab")
    make_source(org, "backend", "github.com/acme/backend", integration=github)
    result = deliver(gitlab, [push("github.com/acme/backend")])
    assert result.status == "ignored" and f"integration {gitlab.id} does not cover github.com/acme/backend" in (
        result.reason or "")
    assert nothing_stored()
    assert WebhookDelivery.get().reason == result.reason


def test_selected_repos_and_owner_limit_what_an_integration_delivers(org: Any) -> None:
    narrow = make_integration(org, repos=json.dumps(["github.com/acme/one"]), name="narrow")
    make_source(org, "backend", "github.com/acme/backend")
    assert deliver(narrow, [push("github.com/acme/backend")]).status == "ignored"
    owned = make_integration(org, owner="other", name="other-owner")
    assert deliver(owned, [push("github.com/acme/backend")]).status == "ignored"
    assert nothing_stored()
    one = make_source(org, "one", "github.com/acme/one")
    result = deliver(narrow, [push("github.com/acme/one")])
    assert result.status == "accepted" and SourceEvent.get().source_id == one.id


def test_a_source_linked_to_another_integration_gets_nothing_from_this_one(org: Any) -> None:
    mine = make_integration(org, name="mine")
    theirs = make_integration(org, name="theirs")
    linked = make_source(org, "linked", "github.com/acme/app", integration=theirs)
    result = deliver(mine, [push("github.com/acme/app")])
    assert result.status == "ignored" and "linked to another integration" in (result.reason or "")
    assert nothing_stored()
    unlinked = make_source(org, "unlinked", "github.com/acme/app", branch=None)
    result = deliver(mine, [push("github.com/acme/app")])
    assert result.status == "accepted"
    assert [e.source_id for e in SourceEvent.select()] == [unlinked.id]
    assert deliver(theirs, [push("github.com/acme/app")]).status == "accepted"
    assert sorted(e.source_id for e in SourceEvent.select()) == sorted([unlinked.id, linked.id])
