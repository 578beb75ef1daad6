"""``jolli events list|show|retry|audit``: the server's source events, their per-space outcomes, retries.

Talks to the API over HTTP (``--server``, ``JOLLI_URL`` or ``jolli login``). Exit codes: 2 bad input or
an unknown id, 1 a failed server call.
"""

from __future__ import annotations

from typing import Any

import click

from jolli.cli.common import cli_errors, json_option, note, require_client, server_option
from jolli.cli.output import emit_json, table


def _short(sha: str | None) -> str:
    return (sha or "")[:12]


@click.group()
def events() -> None:
    """Source events: what each push became, per space."""


@events.command("list")
@click.option("--source", "source_id", type=click.IntRange(1), help="Only this source's events.")
@click.option("--status", type=click.Choice(["queued", "processing", "processed", "stale", "failed", "deleted"]),
              help="Only events in this state (failed: the dead letters).")
@click.option("--origin", type=click.Choice(["webhook", "poll", "manual", "legacy"]),
              help="Only events this producer observed (poll: jolli's scheduled checks; manual: a sync).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Newest N events.")
@json_option
@server_option
def list_(source_id: int | None, status: str | None, origin: str | None, limit: int, as_json: bool,
          server: str | None) -> None:
    """List the newest events (of one source with --source)."""
    with cli_errors():
        with require_client(server, "listing events") as client:
            path = f"/api/sources/{source_id}/events" if source_id else "/api/events"
            page = client.get(path, status=status, origin=origin, limit=limit, order="desc")
        items: list[dict[str, Any]] = page.get("items", [])
        if as_json:
            emit_json(items)
            return
        if not items:
            note("no events")
            return
        table(
            ["id", "source", "branch", "head", "status", "origin", "spaces", "received"],
            ([e["id"], e["sourceId"], e.get("branch"), _short(e.get("headSha")),
              e["status"] + (" (order assumed)" if e.get("orderAssumed") else ""), e.get("origin"),
              len(e.get("affectedSpaceIds") or []), e.get("receivedAt")] for e in items),
        )


@events.command("show")
@click.argument("event_id", type=click.IntRange(1))
@json_option
@server_option
def show(event_id: int, as_json: bool, server: str | None) -> None:
    """Show one event and where each affected space stands."""
    with cli_errors():
        with require_client(server, "showing an event") as client:
            event = client.get(f"/api/events/{event_id}")
        if as_json:
            emit_json(event)
            return
        click.echo(f"event {event['id']}  {event['status']}  ({event['kind']}, version {event['version']})")
        click.echo(f"  source   {event['sourceId']}  {event.get('repo') or ''} {event.get('branch') or ''}".rstrip())
        click.echo(f"  jrn      {event['eventJrn']}")
        click.echo(f"  head     {event['headSha']}  (before {event.get('beforeSha') or '-'})")
        click.echo(f"  received {event.get('receivedAt')}  delivery {event.get('deliveryId') or '-'}  "
                   f"origin {event.get('origin')}")
        if event.get("orderAssumed"):
            click.echo("  order    assumed: no evidence ordered this event; it was held, then applied in arrival order")
        for job in event.get("jobs", []):
            error = f"  error: {job['lastError']}" if job.get("lastError") else ""
            click.echo(f"  job {job['id']} ({job['kind']}) {job['status']}{error}")
        spaces = event.get("spaces", [])
        if spaces:
            click.echo("")
            table(["space", "status", "attempts", "reason"],
                  ([s["spaceId"], s["status"], s.get("attempts", 0), s.get("reason") or ""] for s in spaces))


@events.command("retry")
@click.argument("event_id", type=click.IntRange(1))
@click.option("--space", "space_ids", type=click.IntRange(1), multiple=True,
              help="Retry only this space (repeatable); default: every failed space.")
@json_option
@server_option
def retry(event_id: int, space_ids: tuple[int, ...], as_json: bool, server: str | None) -> None:
    """Queue an event's failed (dead-lettered) spaces again, with fresh attempts."""
    with cli_errors():
        with require_client(server, "retrying an event") as client:
            body = {"spaceIds": list(space_ids)} if space_ids else {}
            result = client.post(f"/api/events/{event_id}/retry", body)
        if as_json:
            emit_json(result)
            return
        spaces = ", ".join(str(s) for s in result.get("spaceIds", [])) or "none (the job itself)"
        click.echo(f"queued event {event_id} again (job {result.get('jobId')}); spaces: {spaces}")


@events.command("audit")
@click.argument("space_id", type=click.IntRange(1))
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="Newest N rows.")
@json_option
@server_option
def audit(space_id: int, limit: int, as_json: bool, server: str | None) -> None:
    """Show a space's audit trail, newest first."""
    with cli_errors():
        with require_client(server, "reading the audit") as client:
            page = client.get(f"/api/spaces/{space_id}/audit", limit=limit, order="desc")
        items: list[dict[str, Any]] = page.get("items", [])
        if as_json:
            emit_json(items)
            return
        if not items:
            note(f"no audit rows for space {space_id}")
            return
        table(
            ["event", "source", "head", "outcome", "attempt", "reason", "at"],
            ([r["eventId"], r["sourceId"], _short(r["headSha"]), r["outcome"], r["attempt"], r.get("reason") or "",
              r["createdAt"]] for r in items),
        )
