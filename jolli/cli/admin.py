"""Server-side administration: ``jolli org create|list`` and ``jolli token create|list|revoke``.

These act on the database directly (run them where the server's database is reachable). A token is
printed exactly once, by ``token create``; only its SHA-256 is stored.
"""

from __future__ import annotations

from typing import Any

import click

from jolli.cli.common import cli_errors, json_option
from jolli.cli.db import database_url_option, open_checked
from jolli.cli.output import emit_json, table


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@click.group()
def org() -> None:
    """Orgs: each API token acts for one org."""


@org.command("create")
@click.argument("name")
@database_url_option
@json_option(what="the org as JSON")
def org_create(name: str, database_url: str | None, as_json: bool) -> None:
    """Create the org NAME."""
    from jolli.store.admin import create_org

    database = open_checked(database_url)
    with database.atomic(), cli_errors():
        row = create_org(name)
    if as_json:
        emit_json({"id": row.id, "name": row.name, "createdAt": _iso(row.created_at)})
    else:
        click.echo(f"created org {row.name} (id {row.id}); next: jolli token create --org {row.name}")


@org.command("list")
@database_url_option
@json_option(what="the orgs as JSON")
def org_list(database_url: str | None, as_json: bool) -> None:
    """List the orgs."""
    from jolli.store.models import Org

    open_checked(database_url)
    rows = list(Org.select().order_by(Org.name))
    if as_json:
        emit_json([{"id": r.id, "name": r.name, "createdAt": _iso(r.created_at)} for r in rows])
    else:
        table(["id", "name", "created"], [(r.id, r.name, _iso(r.created_at)) for r in rows])


@click.group()
def token() -> None:
    """API tokens: shown once at creation, stored hashed."""


@token.command("create")
@click.option("--org", "org_name", required=True, help="The org the token acts for.")
@click.option("--name", "label", default=None, help="A label to tell tokens apart (e.g. ci, alice-laptop).")
@database_url_option
@json_option(what="{id, org, name, prefix, token} as JSON")
def token_create(org_name: str, label: str | None, database_url: str | None, as_json: bool) -> None:
    """Create a token for an org and print it once (only the token goes to stdout)."""
    from jolli.store.admin import create_token, get_org

    database = open_checked(database_url)
    with database.atomic(), cli_errors():
        row, secret = create_token(get_org(org_name), label)
    if as_json:
        emit_json({"id": row.id, "org": org_name, "name": row.name, "prefix": row.prefix, "token": secret})
    else:
        click.echo(secret)
    click.echo(
        f"token {row.id} for org {org_name} created; it is shown only now: store it (e.g. as JOLLI_TOKEN)",
        err=True,
    )


@token.command("list")
@click.option("--org", "org_name", default=None, help="Only this org's tokens.")
@database_url_option
@json_option(what="the tokens (never their secret) as JSON")
def token_list(org_name: str | None, database_url: str | None, as_json: bool) -> None:
    """List tokens by id, prefix and label (the tokens themselves are not stored)."""
    from jolli.store.admin import get_org
    from jolli.store.models import ApiToken, Org

    open_checked(database_url)
    query = ApiToken.select(ApiToken, Org).join(Org).order_by(ApiToken.id)
    if org_name is not None:
        with cli_errors():
            query = query.where(ApiToken.org == get_org(org_name))
    rows = [
        {"id": r.id, "org": r.org.name, "name": r.name, "prefix": r.prefix, "createdAt": _iso(r.created_at),
         "lastUsedAt": _iso(r.last_used_at), "revokedAt": _iso(r.revoked_at)}
        for r in query
    ]
    if as_json:
        emit_json(rows)
    else:
        table(["id", "org", "name", "prefix", "last used", "revoked"],
              [(r["id"], r["org"], r["name"], f"{r['prefix']}...", r["lastUsedAt"], r["revokedAt"]) for r in rows])


@token.command("revoke")
@click.argument("token_id", type=int)
@database_url_option
def token_revoke(token_id: int, database_url: str | None) -> None:
    """Revoke token TOKEN_ID (see `jolli token list`); calls with it then answer 401."""
    from jolli.store.admin import revoke_token

    open_checked(database_url)
    with cli_errors():
        row = revoke_token(token_id)
    click.echo(f"token {row.id} ({row.prefix}...) is revoked")
