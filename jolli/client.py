"""A small HTTP client for jolli's own API (used by the CLI, reusable by other commands).

JSON in and out, a bearer token, timeouts, keyset pagination (``{"items": [...], "next": id}``), and one
exception for every failure: :class:`ApiError`, carrying the HTTP status, the problem's title and detail,
its per-field errors and any ``candidates``. :class:`ServerUnreachable` (a subclass) means no answer at
all. The token is only ever put in the ``Authorization`` header: never in a message, a repr or a log.
``requests`` is imported on first use, so commands that never call the server do not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jolli.errors import JolliError

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
PAGE_LIMIT = 500


class ApiError(JolliError):
    """A call to the jolli API failed; ``status`` is the HTTP status (0 when the server never answered)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        title: str = "",
        detail: str = "",
        fields: dict[str, list[str]] | None = None,
        candidates: list[dict[str, Any]] | None = None,
        problem_type: str | None = None,
        url: str = "",
    ) -> None:
        super().__init__(message, fields=fields)
        self.status = status
        self.title = title
        self.detail = detail
        self.candidates = candidates or []
        self.problem_type = problem_type
        self.url = url

    @property
    def is_input_error(self) -> bool:
        """Whether the server refused what was asked (400, 404, 409, 422), not failed to do it."""
        return self.status in (400, 404, 409, 422)


class ServerUnreachable(ApiError):
    """No HTTP answer: connection refused, DNS failure, timeout, TLS error."""


class Client:
    """Calls ``{base_url}/api/...`` with ``Authorization: Bearer <token>``."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: Any = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._session: Any = None

    def __repr__(self) -> str:
        return f"Client({self.base_url!r}, token={'***' if self._token else None})"

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def _http(self) -> Any:
        if self._session is None:
            from jolli.http import default_retry, new_session

            headers = {"Accept": "application/json, application/problem+json"}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            # the retries (idempotent methods only), timeouts and User-Agent of every jolli HTTP call; but a
            # server that does not answer in time is said at once, not waited for again
            self._session = new_session(label="jolli server", headers=headers, timeout=self.timeout,
                                        retry=default_retry().new(read=False))
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        """Send one request; return the decoded JSON body (``None`` for an empty one) or raise :class:`ApiError`."""
        import requests

        from jolli.http import failure_reason

        url = self.base_url + path
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http().request(method, url, params=params or None, json=json, timeout=self.timeout)
        except requests.exceptions.Timeout:
            raise ServerUnreachable(
                f"{method} {url}: the server did not answer in time", status=0, url=url
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ServerUnreachable(
                f"cannot reach the jolli server at {self.base_url}: {failure_reason(exc)}", status=0, url=url
            ) from None
        if response.status_code >= 400:
            raise _problem(method, url, response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                f"{method} {url}: the server answered {response.status_code} with a body that is not JSON "
                f"(is {self.base_url} a jolli server?)",
                status=response.status_code, url=url,
            ) from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def paginate(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a keyset-paginated list, page after page."""
        params.setdefault("limit", PAGE_LIMIT)
        after = params.pop("after", None)
        while True:
            page = self.get(path, after=after, **params)
            if isinstance(page, list):  # a plain list: nothing more to fetch
                yield from page
                return
            yield from page.get("items", [])
            after = page.get("next")
            if after is None:
                return


def path_param(value: Any) -> str:
    """One URL path segment, escaped."""
    return quote(str(value), safe="")


def _problem(method: str, url: str, response: Any) -> ApiError:
    """An :class:`ApiError` from an error response (RFC 9457 problem details when the server sent them)."""
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if isinstance(body, dict) and ("detail" in body or "title" in body):
        title = str(body.get("title") or response.reason or "")
        detail = str(body.get("detail") or title)
        raw_errors = body.get("errors")
        errors: dict[str, Any] = raw_errors if isinstance(raw_errors, dict) else {}
        fields = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}
        candidates = body.get("candidates") if isinstance(body.get("candidates"), list) else []
        return ApiError(
            detail, status=status, title=title, detail=detail, fields=fields, candidates=candidates,
            problem_type=body.get("type"), url=url,
        )
    reason = response.reason or "error"
    return ApiError(f"{method} {url}: the server answered {status} {reason}", status=status, title=reason, url=url)
