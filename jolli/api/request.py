"""Request bodies held to their limit and read safely: chunked ones, broken ones, and JSON ones.

werkzeug refuses a declared ``Content-Length`` over the limit with 413, but when the server terminates
the input itself (gunicorn does, and so chunked bodies are allowed) it stops reading at the limit
without a word: the application would see a truncated body (a JSON error, or a signature that does not
match) instead of 413. One byte more from the server tells a body of exactly the limit from a longer one.
A body the server cannot read (malformed chunked encoding, a connection cut or stalled mid-body) is a 400
(408 when stalled), not an error of the application. JSON bodies must say so in their ``Content-Type``
(415 otherwise) and are parsed by :func:`jolli.json_input.loads_body` (no deep nesting, no duplicate keys).
"""

from __future__ import annotations

from typing import Any, cast

from flask import Request
from flask.json.provider import DefaultJSONProvider
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import (
    BadRequest,
    ClientDisconnected,
    RequestEntityTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from werkzeug.wsgi import get_input_stream

from jolli.json_input import loads_body


def check_not_truncated(environ: dict[str, Any], data: bytes, limit: int | None) -> None:
    """Raise ``RequestEntityTooLarge`` when ``data`` stopped at ``limit`` and the body goes on."""
    if limit is not None and len(data) >= limit and "wsgi.input_terminated" in environ \
            and environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


#: What reading a broken body raises: gunicorn's parse errors (a bad chunk size, a missing terminator),
#: ``OSError`` (the connection cut, or a read timing out) and werkzeug's ``ClientDisconnected`` (either of
#: those, met while reading a declared ``Content-Length``).
UNREADABLE = (OSError, ParseException, ClientDisconnected)


def unreadable(exc: Exception) -> BadRequest | RequestTimeout:
    """The answer to a body the server could not read."""
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return RequestTimeout("the request body did not arrive in time")
    return BadRequest(f"the request body cannot be read: malformed or cut off ({type(exc).__name__})")


def limit_reads(environ: dict[str, Any], seconds: float) -> None:
    """Make every read of this request's body (and write of its answer) give up after ``seconds`` of silence:
    a sender that stalls mid-request gets a 408 and frees its thread (gunicorn's socket, when served by it;
    it resets the timeout for the next request on the connection)."""
    sock = environ.get("gunicorn.socket")
    if sock is not None and seconds > 0:
        sock.settimeout(seconds)


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The whole request body, at most ``limit`` bytes; ``RequestEntityTooLarge`` (413) past it, 400 when it
    cannot be read."""
    try:
        data = get_input_stream(environ, max_content_length=limit).read()
        check_not_truncated(environ, data, limit)
    except UNREADABLE as exc:
        raise unreadable(exc) from None
    return data


class JolliRequest(Request):
    """Flask's request, answering 413 for a chunked body over ``MAX_CONTENT_LENGTH`` as for a declared one,
    400 for an unreadable body, and 415 for a body read as JSON that does not say it is JSON."""

    def get_data(self, cache: bool = True, as_text: bool = False,  # type: ignore[override]
                 parse_form_data: bool = False) -> bytes | str:
        try:
            data = cast(bytes, super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data))
            check_not_truncated(self.environ, data, self.max_content_length)
        except UNREADABLE as exc:
            raise unreadable(exc) from None
        return data.decode(errors="replace") if as_text else data

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json) and self.get_data(cache=True):
            raise UnsupportedMediaType("send the JSON body with Content-Type: application/json")
        return super().get_json(force=force, silent=silent, cache=cache)


class StrictJSONProvider(DefaultJSONProvider):
    """The app's JSON: bodies are parsed by :func:`jolli.json_input.loads_body` (Flask hands each request the
    app's provider); answers are written as Flask writes them."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_body(s)
