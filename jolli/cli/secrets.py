"""``jolli secrets rotate|new-key``: the keys that encrypt the stored webhook secrets and access tokens.

Rotating: generate a key (``jolli secrets new-key``), put it first in ``JOLLI_SECRET_KEY`` with the old
key after it (``NEW,OLD``), restart the servers and workers, run ``jolli secrets rotate``, then drop the old
key from ``JOLLI_SECRET_KEY``.
"""

from __future__ import annotations

import click

from jolli.cli.common import json_option
from jolli.cli.db import database_url_option, open_checked
from jolli.cli.output import EXIT_INPUT, emit_json, fail


@click.group()
def secrets() -> None:
    """Keys encrypting the stored secrets ($JOLLI_SECRET_KEY, else $JOLLI_HOME/secret.key)."""


@secrets.command("new-key")
def new_key_command() -> None:
    """Print a fresh key (to put first in JOLLI_SECRET_KEY)."""
    from jolli.secrets import new_key

    click.echo(new_key())


@secrets.command("rotate")
@database_url_option
@json_option(what="{rotated, keys} as JSON")
def rotate_command(database_url: str | None, as_json: bool) -> None:
    """Re-encrypt every stored secret with the newest key (all or nothing)."""
    from jolli.secrets import SecretKeyError
    from jolli.store.encryption import rotate_all, status

    database = open_checked(database_url)
    try:
        rotated = rotate_all(database)
        after = status(database)
    except SecretKeyError as exc:
        fail(f"{exc.message}; nothing was changed", EXIT_INPUT)
    finally:
        database.close()
    if as_json:
        emit_json({"rotated": rotated, "keys": after.keys, "keyOrigin": after.key_origin})
    else:
        click.echo(f"re-encrypted the secrets of {rotated} integration(s) with the newest of {after.keys} key(s) "
                   f"from {after.key_origin}")
