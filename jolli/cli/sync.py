"""``jolli source sync NAME``: check a source now and say what was found (a new head and its event, or
unchanged).

For a source mounted here the cursor is read from the mount through its source type (``git``: the commit
the source's branch points at in the work tree; ``file``: a digest of the folder's files that ignores
``.git`` and ``.jolli``) and reported to the server, which validates it like any cursor; so types the
server cannot reach still get events. A source not mounted here is checked by the server itself.
"""

from __future__ import annotations

from typing import Any

import click

from jolli.cli.common import cli_errors, json_option, require_client, server_option
from jolli.cli.output import EXIT_INPUT, emit_json, fail


@click.command("sync")
@click.argument("name")
@json_option
@server_option
def sync(name: str, as_json: bool, server: str | None) -> None:
    """Check source NAME now; report the cursor of its mount here, if it has one."""
    from jolli.cli.source import load_local, sources_file
    from jolli.local import linking, source_status

    with cli_errors():
        named = source_status.find(source_status.local_views(load_local(sources_file()).config), name)
        found = [v for v in named if v.kind != "virtual"]
        if named and not found:
            fail(f"source {name!r} is virtual (not on the server yet): run 'jolli source link {name}' first",
                 EXIT_INPUT)
        client = require_client(server, "syncing a source")
        view = found[0] if found else None
        source_id = view.source_id if view is not None else None
        if source_id is None:
            existing = linking.find_server_source(client, name)
            if existing is None:
                fail(f"no source named {name!r} here or on the server", EXIT_INPUT)
            source_id = int(existing["id"])
        body = _mount_report(view) if view is not None and view.mount_path else None
        result = client.post(f"/api/sources/{source_id}/sync", body)
        if as_json:
            emit_json({**result, "reported": body is not None})
            return
        click.echo(_describe(name, result, body is not None))


def _mount_report(view: Any) -> dict[str, str] | None:
    """``{"cursor": ...}`` read from the mount by the source type; ``None`` when the type cannot read one
    (the server then asks the source itself)."""
    from jolli.errors import InvalidInput
    from jolli.registry import get_plugins

    source_type = get_plugins().source_type(view.type)
    try:
        return {"cursor": source_type.mount_cursor(view.mount_path, view.branch)}
    except NotImplementedError:
        return None
    except InvalidInput as exc:
        fail(f"cannot read the cursor of {view.name!r} from {view.mount_path}: {exc.message}", EXIT_INPUT)


def _describe(name: str, result: dict[str, Any], reported: bool) -> str:
    how = "read from the mount" if reported else "asked by the server"
    head = result.get("head") or "-"
    if result.get("result") == "changed":
        return f"{name}: new head {head} ({how}): event {result.get('eventId')} queued"
    if result.get("result") == "known":
        return f"{name}: head {head} ({how}) was already stored: event {result.get('eventId')}"
    return f"{name}: unchanged at {head} ({how})"
