"""``jolli integration``: the server's integrations, and which one covers a repo."""

from __future__ import annotations

import click

from jolli.cli.common import cli_errors, json_option, note, require_client, server_option
from jolli.cli.output import EXIT_INPUT, EXIT_SERVER, emit_json, fail, table


@click.group()
def integration() -> None:
    """Integrations registered on the server.

    GitHub Apps, GitLab groups, Bitbucket workspaces, Gitea hosts ...: what receives pushes for a repo.
    """


@integration.command("list")
@json_option
@server_option
def list_(as_json: bool, server: str | None) -> None:
    """List the org's integrations."""
    with cli_errors():
        with require_client(server, "listing integrations") as client:
            items = list(client.paginate("/api/integrations"))
        if as_json:
            emit_json(items)
            return
        if not items:
            note("no integrations on the server")
            return
        table(
            ["id", "provider", "host", "owner", "repos", "name", "webhook", "last delivery"],
            (
                [i.get("id"), i.get("provider"), i.get("host"), i.get("owner") or "(whole host)",
                 ", ".join(i.get("repos") or []) or "(all)", i.get("name"), _status(i),
                 (i.get("webhookHealth") or {}).get("lastVerifiedDeliveryAt") or "never"]
                for i in items
            ),
        )
        for i in items:
            fix = (i.get("webhookHealth") or {}).get("fix")
            if fix:
                note(f"integration {i.get('id')}: {fix}")


def _status(item: dict) -> str:
    """``ok``, ``degraded (N gaps)``, with ``N refused`` (last 24 h) and ``checks paused`` when the provider asked
    to slow down."""
    health = item.get("webhookHealth") or {}
    text = str(health.get("status") or "-")
    if health.get("webhookGaps24h"):
        text += f" ({health['webhookGaps24h']} gaps)"
    refused = health.get("refusedDeliveries24h") or 0
    if refused:
        text += f", {refused} refused"
    if health.get("checksPausedUntil"):
        text += ", checks paused"
    return text


def _refused(health: dict) -> str:
    """``0``, or the refused deliveries of the last 24 h by reason: ``3 (bad-signature 2, too-large 1)``."""
    by_reason = health.get("refusedByReason24h") or {}
    if not by_reason:
        return "0"
    named = ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items()))
    return f"{sum(by_reason.values())} ({named})"


@integration.command("show")
@click.argument("integration_id", type=click.IntRange(1))
@json_option
@server_option
def show(integration_id: int, as_json: bool, server: str | None) -> None:
    """Show one integration and its webhook health: last verified delivery, pushes only jolli's checks
    found in the last 24 h (webhook gaps), deliveries refused in the last 24 h by reason, paused checks,
    and the fix."""
    with cli_errors():
        with require_client(server, "showing an integration") as client:
            item = client.get(f"/api/integrations/{integration_id}")
        if as_json:
            emit_json(item)
            return
        health = item.get("webhookHealth") or {}
        rows = [("id", item.get("id")), ("provider", item.get("provider")), ("host", item.get("host")),
                ("owner", item.get("owner") or "(whole host)"), ("repos", ", ".join(item.get("repos") or []) or "(all)"),
                ("name", item.get("name")), ("credential", _kind_text(item)),
                ("webhook url", item.get("webhookUrl")), ("webhook", _status(item)),
                ("last delivery", health.get("lastVerifiedDeliveryAt") or "never"),
                ("gaps (24 h)", health.get("webhookGaps24h", 0)), ("refused (24 h)", _refused(health))]
        if health.get("checksPausedUntil"):
            rows.append(("checks paused", f"until {health['checksPausedUntil']}: {health.get('checksPauseReason')}"))
        for key, value in rows:
            click.echo(f"{key + ':':<15}{'-' if value is None else value}")
        for gap in health.get("webhookGaps") or []:
            click.echo(f"  gap: {gap.get('repo')} {gap.get('branch')} {gap.get('headSha')} found by a check at "
                       f"{gap.get('foundAt')} (event {gap.get('eventId')})")
        if health.get("fix"):
            click.echo(f"fix: {health['fix']}")


def _kind_text(item: dict) -> str:
    """The integration's credential kind and what identifies it (App, installation, user, expiry)."""
    return ", ".join([str(item.get("credentialKind") or "-"),
                      *_identity(item.get("appId"), item.get("installationId"), item.get("username"),
                                 item.get("tokenExpiresAt"))])


def _identity(app_id: str | None, installation: str | None, username: str | None, expires: str | None) -> list[str]:
    """What tells a credential apart, never its secret: its App and installation, user name, expiry."""
    parts = [f"App {app_id} installation {installation}"] if app_id else []
    if username:
        parts.append(f"user {username}")
    if expires:
        parts.append(f"expires {expires}")
    return parts


@integration.command("match")
@click.argument("repo")
@json_option
@server_option
def match(repo: str, as_json: bool, server: str | None) -> None:
    """Which integration covers REPO (any URL form). Exit 1 when none does, 2 when several do.

    Only the coordinate is sent (credentials in a pasted URL never leave this machine or reach a log)."""
    from jolli.client import ApiError
    from jolli.local.linking import describe_integration

    repo = sent_coordinate(repo)
    with cli_errors():
        with require_client(server, "matching") as client:
            try:
                page = client.get("/api/integrations", repo=repo)
            except ApiError as exc:
                if exc.status == 404:
                    if as_json:
                        emit_json({"repo": repo, "integration": None, "candidates": []})
                    fail(exc.detail or f"no integration covers {repo}", EXIT_SERVER)
                if exc.status == 409 and exc.candidates:
                    if as_json:
                        emit_json({"repo": repo, "integration": None, "candidates": exc.candidates})
                    lines = "\n".join(f"  {describe_integration(c)}" for c in exc.candidates)
                    fail(f"several integrations cover {repo}:\n{lines}\npick one with 'jolli source add NAME --integration-id <id>' or "
                         f"'jolli source link NAME --integration-id <id>'",
                         EXIT_INPUT)
                raise
        found = page["items"][0] if isinstance(page, dict) and "items" in page else page
        if as_json:
            emit_json({"repo": repo, "integration": found, "candidates": []})
        else:
            click.echo(describe_integration(found))


@integration.command("explain")
@click.argument("repo")
@json_option
@server_option
def explain(repo: str, as_json: bool, server: str | None) -> None:
    """Why REPO (any URL form) is covered by the integration it is: the credential a call would use (kind,
    owner, expiry; never the secret), the webhook URL its deliveries must come to, and every integration on
    its host with the rule that chose or set it aside. Exit 1 when none covers it, 2 when several tie or
    REPO is not a repo."""
    repo = sent_coordinate(repo)
    with cli_errors(), require_client(server, "explaining") as client:
        answer = client.get("/api/integrations/explain", repo=repo)
    if as_json:
        emit_json(answer)
    else:
        _print_explanation(answer)
    if answer.get("integration") is None:
        tied = any(c.get("verdict") == "tied" for c in answer.get("candidates") or [])
        if not as_json:
            note(str(answer.get("problem")))
        raise SystemExit(EXIT_INPUT if tied else EXIT_SERVER)


def _print_explanation(answer: dict) -> None:
    from jolli.local.linking import describe_integration

    found, credential = answer.get("integration"), answer.get("credential") or {}
    rows = [("repo", answer.get("repo")), ("integration", describe_integration(found) if found else "none")]
    if found:
        rows += [("credential", _credential_text(credential)), ("webhook url", answer.get("webhookUrl")),
                 ("webhook", answer.get("webhook"))]
    for key, value in rows:
        click.echo(f"{key + ':':<13}{'-' if value is None else value}")
    click.echo("considered:")
    for c in answer.get("candidates") or []:
        name = f" {c['name']!r}" if c.get("name") else ""
        click.echo(f"  #{c.get('id')}{name} ({c.get('provider')}, {c.get('scope')}): {c.get('verdict')}: {c.get('rule')}")
    if answer.get("otherHosts"):
        click.echo(f"  ({answer['otherHosts']} integration(s) on other hosts not considered)")
    for s in answer.get("sources") or []:
        uses = f"linked to integration {s['integrationId']}" if s.get("integrationId") else "not linked"
        click.echo(f"source:      {s.get('id')} {s.get('name')!r} branch {s.get('branch') or '(any)'}: {uses}")


def _credential_text(credential: dict) -> str:
    """``app, owner acme, App 1001 installation 101, expires ...``: never a secret (the server sends none)."""
    if not credential.get("configured", True):
        return f"{credential.get('kind')}: none given (unauthenticated calls: public repos only)"
    parts = [str(credential.get("kind")), f"owner {credential.get('owner') or '(whole host)'}",
             *_identity(credential.get("appId"), credential.get("installationId"), credential.get("username"),
                        credential.get("expiresAt"))]
    if not credential.get("expiresAt"):
        parts.append("tokens of one hour, minted on demand" if credential.get("appId") else "expiry not given")
    return ", ".join(parts)


def sent_coordinate(text: str) -> str:
    """What ``match`` sends and prints for a pasted address: its canonical coordinate when this machine can tell
    it (``github.com/org/repo``), else the address with its credentials and secret parameters masked (the
    server drops them either way, and knows the org's self-hosted hosts)."""
    from jolli.coordinates import normalize
    from jolli.errors import InvalidInput
    from jolli.redaction import mask_credentials

    try:
        return str(normalize(text))
    except InvalidInput:
        return mask_credentials(text)
