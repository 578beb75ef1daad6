"""``jolli source``: add, link, list, show and remove sources (local mounts, virtual sources, server sources).

The local state is ``.jolli/sources.json`` (:mod:`jolli.local`); the server is reached only when one is
configured (``--server``, ``JOLLI_URL`` or ``jolli login``) and the command needs it. Data goes to
stdout (a table, or JSON with ``--json``); notes, warnings and errors go to stderr. Exit codes: 2 bad
input (including an ambiguous integration), 1 a failed server call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from jolli.cli.common import (
    api_message,
    cli_errors,
    json_option,
    make_client,
    note,
    require_client,
    server_option,
    server_settings,
)
from jolli.cli.output import EXIT_INPUT, emit_json, fail, table, warn
from jolli.local.source_ops import Say

if TYPE_CHECKING:  # pragma: no cover
    from jolli.local.source_status import SourceView
    from jolli.local.sources_file import Edit, Loaded, SourcesFile

#: Where the operations of :mod:`jolli.local.source_ops` tell the user what they did (stderr).
SAY = Say(note=note, warn=warn)


# --- the local file ----------------------------------------------------------------------------------
def sources_file() -> SourcesFile:
    from jolli.local.discovery import sources_file_path
    from jolli.local.sources_file import SourcesFile

    return SourcesFile(sources_file_path())


def report_migration(file: SourcesFile, loaded: Loaded | Edit) -> None:
    """Say once that a legacy file was upgraded, and what could not be carried over."""
    migration = loaded.migration
    if migration is None:
        return
    error = getattr(loaded, "migration_error", None) or getattr(getattr(loaded, "loaded", None), "migration_error", None)
    if error:
        warn(f"{file.path} has the legacy shape; it was read upgraded but could not be saved ({error})")
    else:
        note(
            f"upgraded {file.path} from the legacy shape: {migration.mounts} mount(s), {migration.virtual} "
            f"virtual source(s); the original is kept at {migration.backup}"
        )
    for problem in migration.invalid:
        warn(f"not migrated: {problem}")
    for problem in migration.collisions:
        warn(f"name collision: {problem}")
    for text in migration.notes:
        note(f"note: {text}")


def load_local(file: SourcesFile) -> Loaded:
    loaded = file.load()
    report_migration(file, loaded)
    return loaded


@click.group()
def source() -> None:
    """Sources mounted here: virtual, or linked to server sources.

    A source is a git work tree (or another type's folder) recorded in the nearest .jolli/sources.json:
    virtual until 'jolli source link' makes it a server source.
    """


def complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of source names from the local file (no server call)."""
    try:
        config = sources_file().load().config
    except Exception:  # noqa: BLE001 - completion must never crash the shell
        return []
    names = set(config.virtual_sources) | {e.name or "" for e in config.mounts.values()}
    return sorted(n for n in names if n and n.startswith(incomplete))


# --- add -----------------------------------------------------------------------------------------------
def _parse_fields(items: tuple[str, ...]) -> dict[str, str]:
    """``--field KEY=VALUE`` options as a dict; exit 2 naming the bad one."""
    fields: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            fail(f"--field expects KEY=VALUE, got {item!r} (e.g. --field url=https://example.com/docs.tar.gz)",
                 EXIT_INPUT)
        if key in fields:
            fail(f"--field {key} is given twice; give each field once", EXIT_INPUT)
        fields[key] = value
    return fields


field_option = click.option(
    "--field", "field_items", multiple=True, metavar="KEY=VALUE",
    help="A field of the source type, sent to the server (repeatable), e.g. --field url=https://host/docs.tar.gz.")


@source.command("add")
@click.argument("name")
@click.option("--mount", default=None, metavar="ABS-PATH",
              help="Absolute path of the work tree (or folder); without it the source is only created on the server.")
@click.option("--repo", default=None, metavar="HOST/OWNER/REPO", help="Repo coordinate (default: from origin).")
@click.option("--branch", default=None, help="Branch to follow (default: the checked-out branch).")
@click.option("--integration-id", type=click.IntRange(min=1), default=None, help="Link to this integration.")
@click.option("--type", "type_", default="git", show_default=True, help="Source type.")
@click.option("--virtual", is_flag=True, help="Record a virtual source without asking the server.")
@field_option
@server_option
@json_option
def add(
    name: str, mount: str | None, repo: str | None, branch: str | None, integration_id: int | None, type_: str,
    virtual: bool, field_items: tuple[str, ...], server: str | None, as_json: bool,
) -> None:
    """Add a source mounted at a local path.

    Repo and branch default to the work tree's origin remote and checked-out branch. With a server and an
    integration (--integration-id, or the one covering the repo) it creates the server source and records
    the mount under its id; otherwise it records a virtual source that keeps repo and branch. A type that
    follows no repo (an archive, say) needs no integration: it is created on the server with its --field
    values. Without --mount (a type with nothing to mount, or a repo not checked out here) the source is
    created on the server only, from --repo/--branch/--field, and not recorded in the local file.
    """
    from jolli.local import source_ops

    with cli_errors():
        source_ops.check_name(name)
        fields = _parse_fields(field_items)
        if virtual and integration_id is not None:
            fail("--virtual and --integration-id contradict each other; drop one", EXIT_INPUT)
        if virtual and fields:
            fail("--field values are kept by the server and a virtual source has none; drop --virtual or --field",
                 EXIT_INPUT)
        if mount is None:
            if virtual:
                fail("a virtual source lives in the local file, which needs a folder: pass --mount ABS-PATH",
                     EXIT_INPUT)
            client = require_client(server, "adding a source without --mount")
            result = source_ops.add_unmounted(client, name, type_=type_, repo=repo, branch=branch,
                                              integration_id=integration_id, fields=fields, say=SAY)
            if as_json:
                emit_json(result)
            else:
                click.echo(f"added source {name} (server source {result['sourceId']}, "
                           f"{_integration_text(result.get('integrationId'))}) not mounted here")
            return
        mount_path, repo, branch = source_ops.inspect_mount(mount, type_, repo, branch, SAY)
        settings = None if virtual else server_settings(server)
        if settings is None and integration_id is not None:
            fail("--integration-id needs a server: pass --server URL, set JOLLI_URL, or run 'jolli login'", EXIT_INPUT)
        if settings is None and fields:
            fail("--field needs a server: pass --server URL, set JOLLI_URL, or run 'jolli login'", EXIT_INPUT)
        file = sources_file()
        with file.edit() as edit:
            report_migration(file, edit)
            result = source_ops.add(file, edit, make_client(settings) if settings else None, name,
                                    mount_path=mount_path, type_=type_, repo=repo, branch=branch,
                                    integration_id=integration_id, fields=fields, virtual=virtual, say=SAY)
        result.update({"type": type_, "repo": repo, "branch": branch, "mountPath": mount_path,
                       "configPath": str(file.path)})
        if as_json:
            emit_json(result)
        elif result["kind"] == "virtual":
            click.echo(f"added virtual source {name} ({repo or 'no repo'}, {branch or 'no branch'}) at {mount_path}")
        else:
            click.echo(f"added source {name} (server source {result['sourceId']}, "
                       f"{_integration_text(result.get('integrationId'))}) mounted at {mount_path}")


def _integration_text(integration_id: Any) -> str:
    return "no integration" if integration_id is None else f"integration {integration_id}"


# --- link ----------------------------------------------------------------------------------------------
@source.command("link")
@click.argument("name", shell_complete=complete_names)
@click.option("--integration-id", type=click.IntRange(min=1), default=None,
              help="Integration to link (default: the one covering the source's repo).")
@field_option
@server_option
@json_option
def link(name: str, integration_id: int | None, field_items: tuple[str, ...], server: str | None,
         as_json: bool) -> None:
    """Promote a virtual source to a server source.

    Repo and branch are reused as recorded; --field gives the type's own fields (an archive's url). A
    server source with the same name and repo is adopted; one with another repo is refused. If either
    side fails, both are left as they were.
    """
    from jolli.local import source_ops

    with cli_errors():
        fields = _parse_fields(field_items)
        client = require_client(server, "linking")
        file = sources_file()
        if not file.path.exists():
            fail(f"no virtual source named {name!r}: there is no {file.path} yet; add it with 'jolli source add'",
                 EXIT_INPUT)
        with file.edit() as edit:
            report_migration(file, edit)
            result = source_ops.link(file, edit, client, name, integration_id=integration_id, fields=fields,
                                     say=SAY)
        how = result.pop("how", None)
        if as_json:
            emit_json(result)
        elif result["changed"]:
            click.echo(f"linked {name}: {how}, {_integration_text(result.get('integrationId'))}; "
                       f"mounted at {result['mountPath']}")


# --- list and show ---------------------------------------------------------------------------------------
def _with_server(views: list[SourceView], config: Any, server: str | None, local_only: bool) -> None:
    from jolli.client import ApiError
    from jolli.local import linking, source_status

    settings = None if local_only else server_settings(server)
    found, error = None, None
    if settings is not None:
        ids = {v.source_id for v in views if v.source_id is not None}
        names = {v.name for v in views if v.kind == "virtual" and v.name}
        try:
            with make_client(settings) as client:
                found = linking.server_sources(client, ids, names)
        except ApiError as exc:
            error = api_message(exc)
            warn(f"server not reachable or refused the call: {error}")
    source_status.apply_server(views, config, found, error, settings.url if settings else None)


@source.command("list")
@json_option
@click.option("--local", "local_only", is_flag=True, help="Do not ask the server (checks the file and disk only).")
@server_option
def list_(as_json: bool, local_only: bool, server: str | None) -> None:
    """List sources with their kind and status.

    Reads the nearest .jolli/sources.json; checks each mount on disk (without running git) and, when a
    server is configured, what the server knows (integration, cursor, name collisions).
    """
    from jolli.local import source_status

    with cli_errors():
        file = sources_file()
        loaded = load_local(file)
        views = source_status.local_views(loaded.config)
        for view in views:
            source_status.check_disk_cheap(view)
        _with_server(views, loaded.config, server, local_only)
        if as_json:
            emit_json([v.as_json() for v in views])
            return
        if not views:
            where = file.path if file.path.exists() else "this folder or above (no .jolli/sources.json yet)"
            note(f"no sources in {where}; add one with 'jolli source add <name> --mount <abs-path>'")
            return
        table(
            ["name", "kind", "id", "repo", "branch", "integration", "mount", "status"],
            ([v.label, v.kind, v.source_id, v.repo, v.branch, v.integration_id, v.mount_path, v.status()]
             for v in views),
        )


@source.command("show")
@click.argument("name", shell_complete=complete_names)
@json_option
@server_option
def show(name: str, as_json: bool, server: str | None) -> None:
    """Show one source and its resolution checks.

    Kind, repo, branch, integration, mount path, cursor, and each check: mount present, git work tree
    (asked of git), remote matches the repo, server reachable, on the server, integration linked.
    """
    from jolli.errors import JolliError
    from jolli.local import linking, source_status
    from jolli.registry import get_plugins

    with cli_errors():
        file = sources_file()
        loaded = load_local(file)
        all_views = source_status.local_views(loaded.config)
        found = source_status.find(all_views, name)
        settings = server_settings(server)
        if settings is not None and found:
            _with_server(found, loaded.config, server, False)
        elif settings is not None:
            client = make_client(settings)
            existing = linking.find_server_source(client, name)
            if existing is None:
                fail(f"no source named {name!r} in {file.path} or on {settings.url}", EXIT_INPUT)
            found = [source_status.server_only_view(existing)]
        elif not found:
            fail(f"no source named {name!r} in {file.path} (no server configured to look further)", EXIT_INPUT)
        else:
            source_status.apply_server(found, loaded.config, None, None, None)
        if settings is not None:
            _covering_integrations(found, settings)
            _check_states(found, settings)
        for view in found:
            try:
                stype = get_plugins().source_type(view.type)
            except JolliError:
                stype = None
            source_status.check_disk_full(view, stype)
        if as_json:
            emit_json(found[0].as_json() if len(found) == 1 else [v.as_json() for v in found])
            return
        for index, view in enumerate(found):
            if index:
                click.echo()
            _print_view(view)


def _covering_integrations(views: list[SourceView], settings: Any) -> None:
    """For server sources linked to no integration: ask the server whether one covers the repo anyway."""
    from jolli.errors import Ambiguous
    from jolli.local import linking, source_status

    for view in views:
        if view.kind != "virtual" and view.integration_id is None and view.repo and "onServer" in view.checks:
            with make_client(settings) as client:
                try:
                    source_status.covered_by(view, linking.find_integration(client, view.repo, None))
                except Ambiguous:
                    source_status.covered_by(view, linking.IntegrationChoice(0, f"several integrations cover {view.repo}"))


_MARK = {True: ("ok", "green"), False: ("FAIL", "red"), None: ("-", None)}


def _check_states(views: list[SourceView], settings: Any) -> None:
    """The server's checks of each source it holds (last check, result, next check): one GET each."""
    from jolli.client import ApiError, path_param

    on_server = [v for v in views if v.source_id is not None and _on_server(v)]
    if not on_server:
        return
    try:
        with make_client(settings) as client:
            for view in on_server:
                view.schedule = client.get(f"/api/sources/{path_param(view.source_id)}").get("check")
    except ApiError as exc:
        warn(f"the server did not say how its checks of the source went: {api_message(exc)}")


def _on_server(view: SourceView) -> bool:
    found = view.checks.get("onServer")
    return found is not None and found.ok is True


def _check_lines(view: SourceView) -> list[tuple[str, Any]]:
    """``last check`` and ``next check`` rows of ``show`` (nothing for a source the server does not hold)."""
    if not _on_server(view):
        return []
    state = view.schedule
    if not state or not state.get("lastCheckedAt"):
        last = "never"
    else:
        last = f"{state['lastCheckedAt']} {state.get('result')}" + (f": {state['detail']}" if state.get("detail") else "")
        if state.get("eventId"):
            last += f" (event {state['eventId']})"
    if not state:
        upcoming = "at the next sweep of a worker ('jolli worker')"
    elif state.get("running"):
        upcoming = "running now"
    else:
        upcoming = str(state.get("nextCheckAt"))
        if state.get("intervalSeconds"):
            upcoming += f" (every {state['intervalSeconds']:g} s, its own interval)"
    return [("last check", last), ("next check", upcoming)]


def _print_view(view: SourceView) -> None:
    from jolli.cli.output import _color

    rows = [("name", view.label), ("kind", view.kind), ("source id", view.source_id), ("type", view.type),
            ("repo", view.repo), ("branch", view.branch), ("integration", view.integration_id),
            ("mount", view.mount_path)]
    if view.cursor:
        rows.append(("cursor", f"{view.cursor.get('value')} (updated {view.cursor.get('updatedAt')})"))
    rows += _check_lines(view)
    for key, value in rows:
        click.echo(f"{key + ':':<13}{'-' if value is None else value}")
    click.echo("checks:")
    for key, check in view.as_json()["checks"].items():
        text, colour = _MARK[check["ok"]]
        mark = click.style(f"{text:<4}", fg=colour) if colour else f"{text:<4}"
        click.echo(f"  {mark} {key:<18} {check['detail']}", color=_color())
    for collision in view.collisions:
        click.echo(f"  to resolve: {collision.resolve}")


# --- remove ----------------------------------------------------------------------------------------------
@source.command("remove")
@click.argument("name", required=False, shell_complete=complete_names)
@click.option("--virtual", "virtual_only", is_flag=True, help="Remove only the virtual source of that name.")
@click.option("--server", "server_flag", is_flag=False, flag_value="", default=None, metavar="[URL]",
              help="Also delete the server source (optionally on server URL).")
@json_option
def remove(name: str | None, virtual_only: bool, server_flag: str | None, as_json: bool) -> None:
    """Remove a source from the local file.

    The server source of a mount is kept unless --server is given; then it is deleted too (and the
    local entry is put back if the server refuses). --server takes an optional URL, so put NAME first,
    or write --server=URL; 'remove --server NAME' is read as NAME on the default server.
    """
    from jolli.local import source_ops

    with cli_errors():
        if name is None:
            if not server_flag or "://" in server_flag:
                fail("missing the source NAME: jolli source remove NAME [--server [URL]]", EXIT_INPUT)
            name, server_flag = server_flag, ""  # '--server NAME': the flag took the name as its URL
        file = sources_file()
        ask: dict[str, Any] = dict(virtual_only=virtual_only, with_server=server_flag is not None,
                                   client=lambda: require_client(server_flag or None, "--server"), say=SAY)
        if not file.path.exists():
            result = source_ops.remove(file, None, name, **ask)
        else:
            with file.edit() as edit:
                report_migration(file, edit)
                result = source_ops.remove(file, edit, name, **ask)
    mount_path = result.pop("mountPath")
    if as_json:
        emit_json(result)
    elif result["kind"] == "server":
        click.echo(f"deleted server source {name} (id {result['sourceId']}); it was not mounted here")
    else:
        where = f" and deleted server source {result['sourceId']}" if result["serverDeleted"] else ""
        click.echo(f"removed {result['kind']} source {name}{' (' + mount_path + ')' if mount_path else ''}{where}")


source.add_command(__import__("jolli.cli.sync", fromlist=["sync"]).sync)  # jolli source sync: jolli/cli/sync.py
