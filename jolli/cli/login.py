"""``jolli login``: check a server URL and token, then save them in the user config (mode 0600)."""

from __future__ import annotations

import sys

import click

from jolli.cli.common import cli_errors, note
from jolli.cli.output import EXIT_INPUT, fail


@click.command()
@click.option("--server", metavar="URL", envvar="JOLLI_URL", help="jolli server URL (or JOLLI_URL).")
@click.option(
    "--token", envvar="JOLLI_TOKEN", default=None,
    help="API token from 'jolli token create' (or JOLLI_TOKEN; when left out: asked for, hidden, on a "
         "terminal, else read from stdin).",
)
@click.option("--no-verify", is_flag=True, help="Save without checking the token against the server.")
def login(server: str | None, token: str | None, no_verify: bool) -> None:
    """Save a server and its token so later commands can use them."""
    from jolli.client import Client
    from jolli.local.user_config import normalize_server_url, save_login

    with cli_errors():
        if not server:
            fail("pass --server URL (or set JOLLI_URL)", EXIT_INPUT)
        url = normalize_server_url(server)
        if not token and not sys.stdin.isatty():  # no terminal to ask on: one line from stdin, if any
            token = sys.stdin.readline().strip()
            if not token:
                fail("no token: pass --token TOKEN, set JOLLI_TOKEN, or pipe it in "
                     "(echo \"$TOKEN\" | jolli login --server URL)", EXIT_INPUT)
        if not token:
            token = click.prompt("API token", hide_input=True, err=True).strip()
        if not token:
            fail("the token is empty", EXIT_INPUT)
        if not no_verify:
            with Client(url, token) as client:
                client.get("/api/sources", limit=1)  # 401 if the token is wrong, unreachable if the URL is
        path = save_login(url, token)
        verified = "" if no_verify else " (token checked)"
        note(f"saved {url} and its token in {path}, readable only by you")
        click.echo(f"logged in to {url}{verified}")
