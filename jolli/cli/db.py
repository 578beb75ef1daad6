"""``jolli db upgrade|status``: bring the database to the current schema, or show where it stands."""

from __future__ import annotations

from typing import Any

import click

from jolli import settings
from jolli.cli.common import cli_errors, json_option
from jolli.cli.output import EXIT_SERVER, emit_json, fail, table
from jolli.redaction import mask_credentials

database_url_option = click.option(
    "--database-url",
    envvar="JOLLI_DATABASE_URL",
    metavar="URL",
    help="sqlite:////abs/path.db or postgresql://user@host:5432/name "
    "(default: $JOLLI_DATABASE_URL, $DATABASE_URL, else the embedded SQLite file under $JOLLI_HOME).",
)


def open_checked(url: str | None, *, require_current: bool = True, pool_size: int | None = None) -> Any:
    """Open and connect the database (pooling up to ``pool_size`` connections, default
    ``$JOLLI_DB_POOL_SIZE``), or exit 1 saying why (credentials masked). With ``require_current``, exit 2
    when migrations are pending."""
    import peewee

    from jolli.store import db as store_db
    from jolli.store.migrate import pending

    target = url or settings.database_url()
    try:
        database = store_db.open_database(target, pool_size)
        database.connect(reuse_if_open=True)
    except (ValueError, peewee.DatabaseError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fail(f"cannot open database {mask_credentials(target)}: {message}{_create_hint(target, message)}",
             EXIT_SERVER)
    if require_current:
        missing = pending(database)
        if missing:
            fail(
                f"database {mask_credentials(target)} is not at the current schema (pending: "
                f"{', '.join(missing)}); run `jolli db upgrade` first"
            )
    return database


def _create_hint(url: str, message: str) -> str:
    """How to create a PostgreSQL database that does not exist yet (jolli creates tables, not databases)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.scheme.startswith("postg") or "does not exist" not in message or not parts.path.strip("/"):
        return ""
    name = parts.path.strip("/")
    options = "".join(f" {flag} {value}" for flag, value in
                      (("-h", parts.hostname), ("-p", parts.port), ("-U", parts.username)) if value)
    return (f"; create it first (jolli creates the tables, not the database): createdb{options} {name}, "
            "then run the command again")


def upgrade_checked(database: Any) -> list[str]:
    """Apply pending migrations, then check the keys decrypt every stored secret (creating the key file when
    none exists and nothing is encrypted yet); exit 2 naming the fix otherwise, with nothing changed."""
    from jolli.secrets import SecretKeyError
    from jolli.store.encryption import check_keys
    from jolli.store.migrate import upgrade

    with cli_errors():
        try:
            applied: list[str] = upgrade(database)
            check_keys(database)
        except SecretKeyError:
            database.close()
            raise
    return applied


@click.group()
def db() -> None:
    """The database schema (SQLite by default; PostgreSQL via JOLLI_DATABASE_URL)."""


@db.command("upgrade")
@database_url_option
@json_option(what="{applied: [...]} as JSON")
def upgrade_command(database_url: str | None, as_json: bool) -> None:
    """Apply every pending migration (safe to run again: it then does nothing)."""

    database = open_checked(database_url, require_current=False)
    applied = upgrade_checked(database)
    database.close()
    target = mask_credentials(database_url or settings.database_url())
    if as_json:
        emit_json({"database": target, "applied": applied})
    elif applied:
        for name in applied:
            click.echo(f"applied {name}")
        click.echo(f"database {target} is at the current schema")
    else:
        click.echo(f"database {target} is already at the current schema; nothing to do")


@db.command("status")
@database_url_option
@json_option(what="the migrations as JSON")
def status_command(database_url: str | None, as_json: bool) -> None:
    """List the migrations and whether each is applied, and whether the stored secrets are encrypted."""
    from jolli.store import encryption
    from jolli.store.migrate import status

    database = open_checked(database_url, require_current=False)
    with cli_errors():
        try:
            rows = status(database)
            secrets = encryption.status(database) if database.table_exists("integration") else None
        finally:
            database.close()
    if as_json:
        emit_json({"migrations": [{"name": name, "applied": applied} for name, applied in rows],
                   "secrets": secrets.to_dict() if secrets else None})
        return
    table(["migration", "applied"], [(name, "yes" if applied else "pending") for name, applied in rows])
    if secrets is not None:
        click.echo(describe_secrets(secrets))


def describe_secrets(secrets: Any) -> str:
    """One line on the stored secrets: how many are encrypted, with how many keys from where."""
    keys = f"{secrets.keys} key(s) from {secrets.key_origin}" if secrets.keys else "no key configured"
    if secrets.encrypted and not secrets.keys:
        from jolli.secrets import missing_key_error

        keys += f" ({missing_key_error().message})"
    line = f"secrets: {secrets.encrypted} encrypted, {secrets.plain} plain; {keys}"
    if secrets.plain:
        line += " (run `jolli db upgrade` to encrypt the plain ones)"
    if secrets.older_key and secrets.keys:
        line += f"; {secrets.older_key} under an older key (run `jolli secrets rotate`)"
    return line
