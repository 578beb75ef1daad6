"""Options and error handling shared by the commands that talk to a jolli server (source, integration,
login, events)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jolli.cli.output import EXIT_INPUT, EXIT_SERVER, fail, warn

if TYPE_CHECKING:  # pragma: no cover
    from jolli.client import Client
    from jolli.local.user_config import ServerSettings

F = TypeVar("F", bound=Callable[..., Any])


def server_option(func: F) -> F:
    return click.option(
        "--server", metavar="URL", default=None,
        help="jolli server URL (default: JOLLI_URL, else the one saved by 'jolli login').",
    )(func)


def json_option(func: F | None = None, *, what: str = "JSON for scripts instead of a table") -> Any:
    """The one ``--json`` flag (``as_json``): ``@json_option``, or ``@json_option(what="the org as JSON")`` to
    say what is printed."""
    def decorate(target: F) -> F:
        return click.option("--json", "as_json", is_flag=True, help=f"Print {what}.")(target)

    return decorate(func) if func is not None else decorate


def note(message: str) -> None:
    """Something the user should know that is not the command's result (stderr, so --json stays clean)."""
    click.echo(message, err=True)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn jolli's exceptions into ``error: ...`` on stderr with exit code 2 (input) or 1 (server)."""
    from jolli.errors import JolliError

    try:
        yield
    except JolliError as exc:
        from jolli.client import ApiError

        if isinstance(exc, ApiError):
            fail(api_message(exc), EXIT_INPUT if exc.is_input_error else EXIT_SERVER)
        fail(exc.message, EXIT_INPUT)


def api_message(exc: Any) -> str:
    if exc.status == 401:
        return f"the server refused the token ({exc.detail or 'unauthorized'}); run 'jolli login' or set JOLLI_TOKEN"
    text = exc.message
    for name, messages in sorted(exc.fields.items()):
        line = f"{name}: {'; '.join(messages)}"
        if line not in text:
            text += f"\n  {line}"
    return text


def server_settings(flag: str | None) -> ServerSettings | None:
    from jolli.local.user_config import loose_permissions, resolve_server

    settings = resolve_server(flag)
    if settings is not None and settings.origin.endswith("config.json") and loose_permissions():
        warn(f"{settings.origin} can be read by other users; run 'chmod 600 {settings.origin}'")
    return settings


def make_client(settings: ServerSettings) -> Client:
    from jolli.client import Client

    return Client(settings.url, settings.token)


def require_client(flag: str | None, what: str) -> Client:
    settings = server_settings(flag)
    if settings is None:
        fail(f"{what} needs a jolli server: pass --server URL, set JOLLI_URL, or run 'jolli login'", EXIT_INPUT)
    return make_client(settings)
