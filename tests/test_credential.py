"""The one credential abstraction: each shape's headers, what it masks, how it describes itself, and what
each kind asks of an integration."""

from __future__ import annotations

import base64

import pytest

from jolli.credential import BasicCredential, CredentialKind, NoCredential, TokenCredential
from jolli.errors import InvalidInput


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_goes_in_the_providers_header_and_is_masked() -> None:
    credential = TokenCredential("glpat-secret", "group-token", "platform")
    assert credential.headers(bearer) == {"Authorization": "Bearer glpat-secret"}
    assert credential.headers(lambda t: {"Authorization": f"token {t}"}) == {"Authorization": "token glpat-secret"}
    assert credential.secrets() == ("glpat-secret",) and not credential.renew()
    assert credential.describe() == {"kind": "group-token", "owner": "platform", "expiresAt": None, "configured": True}
    assert "glpat-secret" not in repr(credential)


def test_an_app_password_is_basic_whatever_the_providers_token_header() -> None:
    credential = BasicCredential("jdoe", "pw-secret", owner="ws")
    encoded = base64.b64encode(b"jdoe:pw-secret").decode()
    assert credential.headers(bearer) == {"Authorization": f"Basic {encoded}"}
    assert set(credential.secrets()) == {"pw-secret", encoded}
    assert credential.describe()["username"] == "jdoe" and "pw-secret" not in str(credential.describe())
    assert "pw-secret" not in repr(credential)


def test_no_credential_sends_nothing_and_says_so() -> None:
    assert NoCredential("token").headers(bearer) == {}
    assert NoCredential("token").describe()["configured"] is False


@pytest.mark.parametrize(("values", "field"), [
    ({"access_token": "t"}, "owner"),
    ({"access_token": "t", "owner": "ws", "repos": ["a", "b"]}, "repos"),
    ({"owner": "ws", "repos": ["a"]}, "accessToken"),
])
def test_a_kind_names_what_an_integration_lacks(values: dict, field: str) -> None:
    kind = CredentialKind("repository-token", "repository access token", needs_owner=True, single_repo=True)
    with pytest.raises(InvalidInput) as excinfo:
        kind.check(values)
    assert list(excinfo.value.fields) == [field]
    kind.check({"access_token": "t", "owner": "ws", "repos": ["ws/a"]})
