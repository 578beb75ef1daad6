"""GitHub App credentials: the JWT GitHub verifies, installation lookup, installation tokens minted once and
cached until shortly before they expire, a new one after a 401, and no token in any error."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
import responses
from github_app_fake import FakeApp, pem, rsa_key

from jolli.coordinates import RepoCoordinate
from jolli.errors import InvalidInput
from jolli.http import ProviderError
from jolli.provider import IntegrationRef
from jolli.registry import get_plugins
from jolli.token_cache import TOKENS

API = "https://api.github.com"
REPO = RepoCoordinate("github.com", "acme", "backend")
SHA = "a" * 40


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    TOKENS.clear()
    yield
    TOKENS.clear()


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def app(mock: responses.RequestsMock) -> FakeApp:
    return FakeApp(app_id=4242, slug="jolli-docs", installations={"acme": 77, "jdoe": 78},
                   organizations={"acme"}).register(mock)


def client(app: FakeApp, owner: str = "acme", installation_id: str | None = None, host: str = "github.com",
           api_base_url: str | None = None):
    ref = IntegrationRef(provider="github", host=host, api_base_url=api_base_url, owner=owner, credential_kind="app",
                         app_id=str(app.app_id), private_key=app.pem, installation_id=installation_id)
    return get_plugins().provider("github").client(ref)


def branch(mock: responses.RequestsMock, api: str = API, repo: str = "acme/backend") -> None:
    mock.get(f"{api}/repos/{repo}/branches/main", json={"name": "main", "commit": {"sha": SHA}})


def test_the_jwt_is_rs256_signed_by_the_apps_key_within_githubs_limits(mock, app: FakeApp) -> None:
    branch(mock)
    before = time.time()
    assert client(app).branch_head(REPO, "main") == SHA
    after = time.time()
    assert app.jwts, "GitHub received no JWT"
    for claims in app.jwts:  # verified by the fake with the public key: RS256, iss, iat, exp present
        assert claims["iss"] == str(app.app_id)
        assert before - 61 <= claims["iat"] <= after - 59  # backdated about a minute against clock drift
        assert claims["exp"] - claims["iat"] <= 600  # GitHub refuses more than ten minutes
        assert claims["exp"] <= after + 600
    token_calls = [c for c in mock.calls if "/branches/" in c.request.url]
    assert token_calls[0].request.headers["Authorization"] == f"Bearer {app.minted[0]}"


def test_the_installation_is_looked_up_from_the_owner_org_then_user(mock, app: FakeApp) -> None:
    branch(mock, repo="jdoe/notes")
    assert client(app, owner="jdoe").branch_head(RepoCoordinate("github.com", "jdoe", "notes"), "main") == SHA
    urls = [c.request.url for c in mock.calls]
    assert f"{API}/orgs/jdoe/installation" in urls and f"{API}/users/jdoe/installation" in urls
    assert f"{API}/app/installations/78/access_tokens" in urls


def test_a_given_installation_id_is_used_without_a_lookup(mock, app: FakeApp) -> None:
    branch(mock)
    client(app, installation_id="77").branch_head(REPO, "main")
    assert not any("/installation" in c.request.url and "access_tokens" not in c.request.url for c in mock.calls)


def test_one_token_request_for_a_thousand_calls_within_the_hour(mock, app: FakeApp) -> None:
    branch(mock)
    clients = [client(app, installation_id="77") for _ in range(4)]  # several clients share the process cache
    for number in range(1000):
        clients[number % 4].branch_head(REPO, "main")
    assert app.mint_calls(mock) == 1
    assert sum(1 for c in mock.calls if "/branches/" in c.request.url) == 1000


def test_threads_share_one_token_request(mock, app: FakeApp) -> None:
    branch(mock)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            one = client(app, installation_id="77")
            for _ in range(50):
                one.branch_head(REPO, "main")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and app.mint_calls(mock) == 1


def test_a_token_is_replaced_shortly_before_it_expires(mock, app: FakeApp, monkeypatch) -> None:
    branch(mock)
    now = [time.time()]
    monkeypatch.setattr(TOKENS, "clock", lambda: now[0])
    api = client(app, installation_id="77")
    api.branch_head(REPO, "main")
    now[0] += 3600 - TOKENS.margin - 1  # still fresh
    api.branch_head(REPO, "main")
    assert app.mint_calls(mock) == 1
    now[0] += 2  # within the margin before expiry: a new one
    api.branch_head(REPO, "main")
    assert app.mint_calls(mock) == 2
    used = [c.request.headers["Authorization"] for c in mock.calls if "/branches/" in c.request.url]
    assert used == [f"Bearer {app.minted[0]}"] * 2 + [f"Bearer {app.minted[1]}"]


def test_a_401_mints_a_new_token_once_and_retries(mock, app: FakeApp) -> None:
    answers = iter([(401, {}, json.dumps({"message": "Bad credentials"}))])

    def branch_answer(request):
        return next(answers, (200, {}, json.dumps({"name": "main", "commit": {"sha": SHA}})))

    mock.add_callback(responses.GET, f"{API}/repos/acme/backend/branches/main", callback=branch_answer)
    assert client(app, installation_id="77").branch_head(REPO, "main") == SHA
    assert app.mint_calls(mock) == 2
    used = [c.request.headers["Authorization"] for c in mock.calls if "/branches/" in c.request.url]
    assert used == [f"Bearer {app.minted[0]}", f"Bearer {app.minted[1]}"]


def test_a_second_401_is_an_error_naming_no_token(mock, app: FakeApp, caplog) -> None:
    mock.get(f"{API}/repos/acme/backend/branches/main", status=401, json={"message": "Bad credentials"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as excinfo:
        client(app, installation_id="77").branch_head(REPO, "main")
    assert excinfo.value.status_code == 401 and app.mint_calls(mock) == 2
    text = str(excinfo.value) + caplog.text
    for secret in [*app.minted, app.pem.splitlines()[1]]:
        assert secret not in text


def test_enterprise_server_through_api_base_url(mock) -> None:
    ghes = FakeApp(app_id=7, slug="docs", api="https://ghe.acme.io/api/v3", installations={"platform": 5},
                   organizations={"platform"}).register(mock)
    branch(mock, api="https://ghe.acme.io/api/v3", repo="platform/svc")
    found = client(ghes, owner="platform", host="ghe.acme.io", api_base_url="https://ghe.acme.io/api/v3")
    assert found.branch_head(RepoCoordinate("ghe.acme.io", "platform", "svc"), "main") == SHA
    assert ghes.mint_calls(mock) == 1


def test_the_credential_describes_itself_without_a_secret(mock, app: FakeApp) -> None:
    branch(mock)
    api = client(app, installation_id="77")
    api.branch_head(REPO, "main")
    described = api.credential.describe()
    assert described["kind"] == "app" and described["owner"] == "acme" and described["appId"] == "4242"
    assert described["installationId"] == "77" and described["expiresAt"] is not None
    assert app.minted[0] not in json.dumps(described) and app.minted[0] not in repr(api.credential)


def test_a_key_that_does_not_parse_is_refused_without_quoting_it() -> None:
    from jolli.providers.api.github_app import load_private_key

    broken = pem(rsa_key()).replace("A", "B", 40)[:-80]
    with pytest.raises(InvalidInput) as excinfo:
        load_private_key(broken)
    assert list(excinfo.value.fields) == ["privateKey"] and broken[40:80] not in excinfo.value.message
    with pytest.raises(InvalidInput):
        load_private_key("not a key")


def test_the_jwt_verifies_only_with_the_apps_own_public_key() -> None:
    from jolli.providers.api.github_app import app_jwt

    token = app_jwt("99", pem(rsa_key()))
    assert jwt.decode(token, rsa_key().public_key(), algorithms=["RS256"], issuer="99")["iss"] == "99"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, rsa_key(1).public_key(), algorithms=["RS256"])
