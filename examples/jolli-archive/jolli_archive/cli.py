"""``jolli archive check <url>``: fetch an archive and show its cursor, size and members."""

from __future__ import annotations

import click
from jolli.cli.output import EXIT_SERVER, emit_json, fail
from jolli.errors import InvalidInput, JolliError

from jolli_archive import fetch, fields, manifests
from jolli_archive.source_type import ArchiveSourceType


@click.group()
def archive() -> None:
    """Archive sources (tarballs and zip files at https:// URLs)."""


@archive.command("check")
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(fields.FORMATS), help="Archive format (default: from the URL).")
@click.option("--since", "since", metavar="CURSOR", help="Compare with this cursor and list changed files.")
@click.option("--head", "head_only", is_flag=True, help="Only ask for the ETag and size (HEAD); download nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def check(url: str, fmt: str | None, since: str | None, head_only: bool, as_json: bool) -> None:
    """Download URL and print its cursor (sha256 digest), ETag, size and member count.

    With --since, also say whether it changed since that cursor and, when this machine has seen that
    version, which member files changed.
    """
    try:
        url = fields.validate_url(url)
        since = fields.validate_cursor(since) if since else None
    except InvalidInput as exc:
        fail(exc.message)
    if head_only:
        _check_head(url, as_json)
        return
    try:
        snapshot = ArchiveSourceType().check(url, fmt or fields.format_from_url(url))
    except JolliError as exc:
        fail(exc.message, EXIT_SERVER)
    result: dict = {
        "url": fetch.display_url(url),
        "cursor": snapshot.cursor,
        "etag": snapshot.etag,
        "size": snapshot.size,
        "members": len(snapshot.members),
    }
    if since is not None:
        changed = not manifests.same_version(url, since, snapshot.cursor)
        result["changed"] = changed
        old = manifests.load(url, since)
        result["files"] = list(fetch.changed_members(old, snapshot.members)) if old is not None and changed else None
    if as_json:
        emit_json(result)
        return
    click.echo(f"cursor   {snapshot.cursor}")
    click.echo(f"etag     {snapshot.etag or '-'}")
    click.echo(f"size     {snapshot.size} bytes, {len(snapshot.members)} files")
    if since is not None:
        click.echo(f"changed  {'yes' if result['changed'] else 'no'} since {since}")
        if result["files"] is not None:
            for name in result["files"]:
                click.echo(f"  {name}")
        elif result["changed"]:
            click.echo("  (the listing of that version was not recorded on this machine)")


def _check_head(url: str, as_json: bool) -> None:
    """``--head``: the server's ETag (a valid cursor) and size, without downloading."""
    try:
        info = fetch.head(url)
    except JolliError as exc:
        fail(exc.message, EXIT_SERVER)
    if as_json:
        emit_json({"url": fetch.display_url(url), "etag": info.etag, "size": info.length,
                   "lastModified": info.last_modified})
        return
    click.echo(f"etag     {info.etag or '- (the server sends none: check without --head for a digest)'}")
    click.echo(f"size     {'-' if info.length is None else f'{info.length} bytes'}")
