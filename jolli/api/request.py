"""Request bodies held to their limit, chunked ones included.

werkzeug refuses a declared ``Content-Length`` over the limit with 413, but when the server terminates
the input itself (gunicorn does, and so chunked bodies are allowed) it stops reading at the limit
without a word: the application would see a truncated body (a JSON error, or a signature that does not
match) instead of 413. One byte more from the server tells a body of exactly the limit from a longer one.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream


def check_not_truncated(environ: dict[str, Any], data: bytes, limit: int | None) -> None:
    """Raise ``RequestEntityTooLarge`` when ``data`` stopped at ``limit`` and the body goes on."""
    if limit is not None and len(data) >= limit and "wsgi.input_terminated" in environ \
            and environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The whole request body, at most ``limit`` bytes; ``RequestEntityTooLarge`` (413) past it."""
    data = get_input_stream(environ, max_content_length=limit).read()
    check_not_truncated(environ, data, limit)
    return data


class JolliRequest(Request):
    """Flask's request, answering 413 for a chunked body over ``MAX_CONTENT_LENGTH`` as for a declared one."""

    def get_data(self, cache: bool = True, as_text: bool = False,  # type: ignore[override]
                 parse_form_data: bool = False) -> bytes | str:
        data = cast(bytes, super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data))
        check_not_truncated(self.environ, data, self.max_content_length)
        return data.decode(errors="replace") if as_text else data
