"""One way to make HTTP calls to provider APIs: a ``requests`` session with timeouts, retries and
errors that never carry a token.

- Every request gets a default ``(connect, read)`` timeout unless the caller passes one.
- urllib3 :class:`Retry` on 429 and 5xx and on connection errors, idempotent methods only, with
  exponential backoff and ``Retry-After`` respected (capped, so a provider cannot park a worker for an hour).
- ``User-Agent: jolli/<version>``.
- :meth:`ProviderSession.get_json` turns every failure (connection, timeout, HTTP status, bad JSON) into
  :class:`ProviderError`, whose message has ``Authorization``/``PRIVATE-TOKEN`` values, URL credentials,
  token query parameters and the session's own secrets replaced by ``***``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from jolli import __version__
from jolli.errors import JolliError
from jolli.redaction import redact

#: Seconds to wait for the connection, then for each read.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
#: Statuses retried (with ``Retry-After`` respected when the provider sends it).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"jolli/{__version__}"

_SECRET_HEADERS = ("authorization", "private-token", "proxy-authorization", "x-api-key", "cookie")


class ProviderError(JolliError):
    """A provider API call that failed; ``status_code`` is the provider's HTTP status, if any."""

    status = 502
    title = "Provider error"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url
        self.retry_after = retry_after

    @property
    def not_found(self) -> bool:
        """The provider answered 404 (unknown repository, branch or commit, or no access to it)."""
        return self.status_code == 404


class CappedRetry(Retry):
    """:class:`Retry` whose ``Retry-After`` wait is capped at :attr:`MAX_RETRY_AFTER` seconds."""

    MAX_RETRY_AFTER = 60.0

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.MAX_RETRY_AFTER)


def default_retry(total: int = 3, backoff_factor: float = 0.5) -> Retry:
    """Retries for idempotent requests: 429/5xx and connection errors, exponential backoff."""
    return CappedRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=30.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last response: it becomes a ProviderError with its status
    )


class ProviderSession(requests.Session):
    """A ``requests.Session`` with a default timeout, the jolli User-Agent and token-safe errors."""

    def __init__(
        self,
        *,
        label: str = "provider",
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        secrets: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.label = label
        self.timeout = timeout
        self.secrets = tuple(s for s in secrets if s)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def redact(self, text: str) -> str:
        """``text`` with this session's secrets and every credential shape masked."""
        return redact(text, self.secrets + tuple(self._header_secrets()))

    def _header_secrets(self) -> list[str]:
        values = [v for k, v in self.headers.items() if k.lower() in _SECRET_HEADERS and isinstance(v, str)]
        # also the bare token of "Bearer <token>" / "token <token>"
        return values + [v.split(None, 1)[1] for v in values if " " in v]

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> tuple[Any, requests.Response]:
        """GET ``url`` and decode its JSON body; every failure becomes :class:`ProviderError`.

        A ``304 Not Modified`` (to a conditional request: ``headers`` with ``If-None-Match`` or
        ``If-Modified-Since``) gives ``(None, response)``."""
        return self.send_json("GET", url, params=params, headers=headers)

    def send_json(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None, body: Any = None) -> tuple[Any, requests.Response]:
        """:meth:`get_json` for any method, with an optional JSON ``body`` (a POST is never retried)."""
        where = f"{self.label} API {method} {self.redact(_strip_query(url))}"
        try:
            response = self.request(method, url, params=params, headers=dict(headers) if headers else None,
                                    json=body)
        except requests.Timeout as exc:
            raise ProviderError(f"{where} timed out ({_kind(exc)})", url=self.redact(url)) from None
        except requests.RequestException as exc:
            raise ProviderError(f"{where} failed: {self.redact(failure_reason(exc))}", url=self.redact(url)) from None
        if response.status_code >= 400:
            raise ProviderError(
                f"{where} answered {response.status_code} {response.reason or ''}".rstrip()
                + _provider_message(response, self.redact),
                status_code=response.status_code,
                url=self.redact(url),
                retry_after=rate_limit_wait(response.headers, response.status_code, response.text),
            )
        if response.status_code == 304:
            return None, response
        try:
            return response.json(), response
        except ValueError:
            raise ProviderError(
                f"{where} answered {response.status_code} with a body that is not JSON",
                status_code=response.status_code,
                url=self.redact(url),
            ) from None


def new_session(
    *,
    label: str = "provider",
    headers: Mapping[str, str] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    retry: Retry | None = None,
) -> ProviderSession:
    """A :class:`ProviderSession` with retries mounted for http and https and ``headers`` set."""
    session = ProviderSession(label=label, timeout=timeout)
    adapter = HTTPAdapter(max_retries=retry if retry is not None else default_retry())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    session.headers.update(dict(headers or {}))
    return session


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _kind(exc: requests.Timeout) -> str:
    return "connect" if isinstance(exc, requests.ConnectTimeout) else "read"


def failure_reason(exc: Exception) -> str:
    """Why a ``requests`` call failed, in a few words and without its text (which may hold a URL with a
    token): the root cause when it is a common one (``connection refused``, ``certificate verify failed``
    ...), else ``too many retries`` / ``could not connect`` / the exception's type."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause)
    for marker in _ROOT_CAUSES:
        if marker in text:
            return marker.lower()
    if isinstance(exc, requests.exceptions.RetryError):
        return "too many retries"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return type(exc).__name__


_ROOT_CAUSES = ("Connection refused", "Name or service not known", "nodename nor servname",
                "Temporary failure in name resolution", "No route to host", "certificate verify failed")


#: Seconds to pause after a rate-limit answer that says neither ``Retry-After`` nor when the limit resets
#: (GitHub: "wait at least one minute" after a secondary limit).
DEFAULT_RATE_LIMIT_WAIT = 60.0


def rate_limit_wait(headers: Mapping[str, str], status: int, body: str = "", now: float | None = None
                    ) -> float | None:
    """Seconds the provider asks a client to wait before its next call, or ``None``.

    ``Retry-After`` (seconds or an HTTP date) first; then an exhausted quota, ``X-RateLimit-Remaining: 0``
    (GitHub, Gitea) or ``RateLimit-Remaining: 0`` (GitLab), until its ``-Reset`` (Unix time); then a 429,
    or a 403 whose body names a rate limit (GitHub's secondary limit), :data:`DEFAULT_RATE_LIMIT_WAIT`.
    """
    import email.utils
    import time

    now = time.time() if now is None else now
    retry = headers.get("Retry-After")
    if retry:
        try:
            return max(0.0, float(retry))
        except ValueError:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(retry).timestamp() - now)
            except (TypeError, ValueError):
                pass
    remaining = headers.get("X-RateLimit-Remaining") or headers.get("RateLimit-Remaining")
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
    if remaining is not None and remaining.strip() == "0" and reset:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            pass
    if status == 429 or (status == 403 and "rate limit" in body.lower()):
        return DEFAULT_RATE_LIMIT_WAIT
    return None


def _provider_message(response: requests.Response, clean: Any) -> str:
    """``": <message>"`` from a JSON error body (GitHub/GitLab/Gitea ``message``, Bitbucket ``error``)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message: Any = None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error")
        if isinstance(message, dict):
            message = message.get("message")
        errors = body.get("errors")
        if message is None and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("message")  # Bitbucket Data Center
    if not isinstance(message, str) or not message.strip():
        return ""
    message = " ".join(message.split())
    return f": {clean(message[:200])}"
