"""Orgs and tokens in the store: hashed, shown once, revocable; on both stores."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from jolli.errors import InvalidInput
from jolli.store.admin import create_org, create_token, find_token, get_org, revoke_token
from jolli.store.models import ApiToken, utcnow


def test_org_names_are_checked_and_unique(db: object) -> None:
    org = create_org("acme")
    assert get_org("acme").id == org.id
    with pytest.raises(InvalidInput, match="already exists"):
        create_org("acme")
    for bad in ("", "has space", "-x"):
        with pytest.raises(InvalidInput):
            create_org(bad)
    with pytest.raises(InvalidInput, match="known: acme"):
        get_org("nope")


def test_token_is_random_and_only_its_hash_is_stored(db: object) -> None:
    org = create_org("acme")
    row, token = create_token(org, "ci")
    _, other = create_token(org)
    assert token != other and token.startswith("jolli_") and len(token) > 40
    stored = ApiToken.get_by_id(row.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.prefix, stored.name)
    assert stored.name == "ci" and token.startswith(stored.prefix)


def test_find_token_resolves_the_org(db: object) -> None:
    org = create_org("acme")
    _, token = create_token(org)
    assert find_token(token).org.name == "acme"
    assert find_token(token + "x") is None
    assert find_token("not-a-jolli-token") is None
    assert find_token("") is None


def test_last_use_is_recorded_at_most_once_a_minute(db: object) -> None:
    org = create_org("acme")
    row, token = create_token(org)
    first = find_token(token).last_used_at
    assert first is not None
    assert find_token(token).last_used_at == first
    ApiToken.update(last_used_at=utcnow() - timedelta(minutes=5)).where(ApiToken.id == row.id).execute()
    assert find_token(token).last_used_at > first - timedelta(seconds=1)


def test_revoked_tokens_are_not_found(db: object) -> None:
    org = create_org("acme")
    row, token = create_token(org)
    revoked = revoke_token(row.id)
    assert revoked.revoked_at is not None
    assert find_token(token) is None
    assert revoke_token(row.id).revoked_at == revoked.revoked_at  # idempotent
    with pytest.raises(InvalidInput):
        revoke_token(424242)


def test_token_label_length(db: object) -> None:
    org = create_org("acme")
    with pytest.raises(InvalidInput):
        create_token(org, "x" * 129)
