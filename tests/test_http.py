"""The provider HTTP session: timeouts, retries, User-Agent and errors that never carry a token."""

from __future__ import annotations

import pytest
import requests
import responses

from jolli import __version__
from jolli.http import DEFAULT_TIMEOUT, ProviderError, default_retry, new_session

URL = "https://api.example.test/things"
TOKEN = "ghp_SuperSecretToken123"


def session() -> requests.Session:
    return new_session(label="Example", headers={"Authorization": f"Bearer {TOKEN}"})


@responses.activate
def test_default_timeout_and_user_agent() -> None:
    responses.get(URL, json={"ok": True})
    data, _ = session().get_json(URL)
    assert data == {"ok": True}
    request = responses.calls[0].request
    assert request.req_kwargs["timeout"] == DEFAULT_TIMEOUT
    assert request.headers["User-Agent"] == f"jolli/{__version__}"


@responses.activate
def test_explicit_timeout_wins() -> None:
    responses.get(URL, json={})
    session().get(URL, timeout=1.5)
    assert responses.calls[0].request.req_kwargs["timeout"] == 1.5


@responses.activate
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    responses.get(URL, status=status, headers={"Retry-After": "0"})
    responses.get(URL, json={"ok": 1})
    data, _ = session().get_json(URL)
    assert data == {"ok": 1}
    assert len(responses.calls) == 2


@responses.activate
def test_retries_give_up_with_the_last_status() -> None:
    responses.get(URL, status=502, body="<html>bad gateway</html>")
    with pytest.raises(ProviderError) as caught:
        session().get_json(URL)
    assert caught.value.status_code == 502
    assert len(responses.calls) == 4  # the first try and three retries
    assert "Example API GET https://api.example.test/things answered 502" in caught.value.message


@responses.activate
def test_non_idempotent_requests_are_not_retried() -> None:
    responses.post(URL, status=503)
    assert session().post(URL).status_code == 503
    assert len(responses.calls) == 1


@responses.activate
def test_client_errors_are_not_retried_and_carry_the_provider_message() -> None:
    responses.get(URL, status=404, json={"message": "Not Found", "documentation_url": "https://docs"})
    with pytest.raises(ProviderError) as caught:
        session().get_json(URL)
    assert len(responses.calls) == 1
    assert caught.value.not_found
    assert caught.value.message.endswith("answered 404 Not Found: Not Found")
    assert caught.value.status == 502  # what jolli's own API answers for a failed provider call


@responses.activate
def test_rate_limit_exhausted_reports_retry_after() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "120"}, json={"message": "rate limited"})
    with pytest.raises(ProviderError) as caught:
        session().get_json(URL)
    assert caught.value.status_code == 429 and caught.value.retry_after == 120.0


def test_retry_policy() -> None:
    retry = default_retry()
    assert {429, 500, 502, 503, 504} <= set(retry.status_forcelist)
    assert retry.respect_retry_after_header
    assert "GET" in retry.allowed_methods and "POST" not in retry.allowed_methods
    assert retry.parse_retry_after("5") == 5
    assert retry.parse_retry_after("3600") == 60  # a provider cannot park a worker for an hour


@responses.activate
@pytest.mark.parametrize(
    ("error", "words"),
    [(requests.ConnectTimeout(), "timed out (connect)"), (requests.ReadTimeout(), "timed out (read)"),
     (requests.ConnectionError(f"boom https://x:{TOKEN}@api.example.test"), "could not connect")],
)
def test_network_failures_become_provider_errors_without_the_token(error: Exception, words: str) -> None:
    responses.get(URL, body=error)
    with pytest.raises(ProviderError) as caught:
        session().get_json(URL)
    assert words in caught.value.message
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.__dict__)


@responses.activate
def test_token_echoed_by_the_provider_is_masked() -> None:
    responses.get(URL, status=401, json={"message": f"Bad credentials: Bearer {TOKEN}"})
    with pytest.raises(ProviderError) as caught:
        session().get_json(URL)
    assert TOKEN not in caught.value.message
    assert "***" in caught.value.message


@responses.activate
def test_url_credentials_and_token_parameters_are_masked() -> None:
    url = f"https://user:{TOKEN}@api.example.test/things?private_token={TOKEN}"
    responses.get("https://api.example.test/things", status=500)
    with pytest.raises(ProviderError) as caught:
        new_session().get_json(url)
    assert TOKEN not in caught.value.message and TOKEN not in (caught.value.url or "")


@responses.activate
def test_body_that_is_not_json() -> None:
    responses.get(URL, body="<html>login</html>", status=200)
    with pytest.raises(ProviderError, match="not JSON"):
        session().get_json(URL)
