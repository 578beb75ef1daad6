"""``jolli source``: add, link, list, show and remove sources (local mounts, virtual sources, server sources).

The local state is ``.jolli/sources.json`` (:mod:`jolli.local`); the server is reached only when one is
configured (``--server``, ``JOLLI_URL`` or ``jolli login``) and the command needs it. Data goes to
stdout (a table, or JSON with ``--json``); notes, warnings and errors go to stderr. Exit codes: 2 bad
input (including an ambiguous integration), 1 a failed server call.
"""

from __future__ import annotations

import os
import re
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
from jolli.cli.output import EXIT_INPUT, EXIT_SERVER, emit_json, fail, table, warn

if TYPE_CHECKING:  # pragma: no cover
    from jolli.client import Client
    from jolli.local.sources_file import Edit, Loaded, SourcesFile
    from jolli.local.views import SourceView

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
def _check_name(name: str) -> None:
    from jolli.contracts import NAME_HINT, NAME_RE

    if not re.match(NAME_RE, name):
        fail(f"source name {name!r} is not valid: it must be {NAME_HINT}", EXIT_INPUT)


def _inspect_mount(mount: str, type_: str, repo: str | None, branch: str | None) -> tuple[str, str | None, str | None]:
    """Validate the mount with its source type; return (mount path, repo, branch), inferring what is missing."""
    from jolli.registry import get_plugins

    if not os.path.isabs(mount):
        fail(f"--mount must be an absolute path, got {mount!r} (e.g. --mount {os.path.abspath(mount)})", EXIT_INPUT)
    stype = get_plugins().source_type(type_)
    try:
        info = stype.validate_mount(mount)
    except NotImplementedError:
        fail(f"source type {type_!r} does not support local mounts", EXIT_INPUT)
    given = {k: v for k, v in (("repo", repo), ("branch", branch)) if v is not None}
    if given and not stype.uses_repo:
        fail(f"a {type_} source has no {' or '.join(given)}; drop --{' and --'.join(given)}", EXIT_INPUT)
    if given:
        checked = stype.validate_fields(given)
        repo, branch = checked.get("repo", repo), checked.get("branch", branch)
    path = os.path.normpath(info.path or mount)
    if path != os.path.normpath(mount):
        note(f"using the work tree's top level {path}")
    if stype.uses_repo:
        if repo is None and info.repo:
            repo = info.repo
            note(f"inferred repo {repo} from the origin remote")
        elif repo is None:
            problem = (info.detail or {}).get("remoteProblem") or "no origin remote"
            note(f"no repo inferred ({problem}); pass --repo host/owner/repo to set one")
        elif info.repo and info.repo.casefold() != repo.casefold():
            warn(f"the mount's origin remote is {info.repo}, not {repo}")
        if branch is None and info.branch:
            branch = info.branch
            note(f"inferred branch {branch} (checked out)")
    return path, repo, branch


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


def _needs_integration(type_: str, repo: str | None) -> bool:
    """Whether a server source of ``type_`` is linked through an integration: only types that follow a repo
    (the type's plugin says; without it installed here, whether a repo is recorded)."""
    from jolli.errors import JolliError
    from jolli.registry import get_plugins

    try:
        return get_plugins().source_type(type_).uses_repo
    except JolliError:
        return repo is not None


field_option = click.option(
    "--field", "field_items", multiple=True, metavar="KEY=VALUE",
    help="A field of the source type, sent to the server (repeatable), e.g. --field url=https://host/docs.tar.gz.")


def _local_name_taken(config: Any, name: str) -> str | None:
    if name in config.virtual_sources:
        return f"a virtual source named {name!r} already exists"
    for source_id, entry in config.mounts.items():
        if entry.name == name:
            return f"{name!r} is already mounted here (server source {source_id})"
    return None


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
    with cli_errors():
        _check_name(name)
        fields = _parse_fields(field_items)
        if virtual and integration_id is not None:
            fail("--virtual and --integration-id contradict each other; drop one", EXIT_INPUT)
        if virtual and fields:
            fail("--field values are kept by the server and a virtual source has none; drop --virtual or --field",
                 EXIT_INPUT)
        if mount is None:
            _add_unmounted(name, type_, repo, branch, integration_id, virtual, fields, server, as_json)
            return
        mount_path, repo, branch = _inspect_mount(mount, type_, repo, branch)
        settings = None if virtual else server_settings(server)
        if settings is None and integration_id is not None:
            fail("--integration-id needs a server: pass --server URL, set JOLLI_URL, or run 'jolli login'", EXIT_INPUT)
        if settings is None and fields:
            fail("--field needs a server: pass --server URL, set JOLLI_URL, or run 'jolli login'", EXIT_INPUT)
        file = sources_file()
        with file.edit() as edit:
            report_migration(file, edit)
            taken = _local_name_taken(edit.config, name)
            if taken:
                fail(f"{taken} in {file.path}; pick another name or 'jolli source remove {name}' first", EXIT_INPUT)
            if settings is None:
                _record_virtual(edit, name, mount_path, type_, repo, branch)
                why = "--virtual" if virtual else "no server configured (--server, JOLLI_URL or 'jolli login')"
                note(f"{why}: recorded {name!r} as a virtual source; link it later with 'jolli source link {name}'")
                result = {"name": name, "kind": "virtual", "sourceId": None}
            else:
                from jolli.client import ServerUnreachable

                try:
                    result = _add_on_server(edit, make_client(settings), name, mount_path, type_, repo, branch,
                                            integration_id, fields)
                except ServerUnreachable as exc:
                    fail(f"{exc.message}; to record a virtual source without the server, pass --virtual",
                         EXIT_SERVER)
        result.update({"type": type_, "repo": repo, "branch": branch, "mountPath": mount_path,
                       "configPath": str(file.path)})
        if as_json:
            emit_json(result)
        elif result["kind"] == "virtual":
            click.echo(f"added virtual source {name} ({repo or 'no repo'}, {branch or 'no branch'}) at {mount_path}")
        else:
            click.echo(f"added source {name} (server source {result['sourceId']}, "
                       f"{_integration_text(result.get('integrationId'))}) mounted at {mount_path}")


def _add_unmounted(
    name: str, type_: str, repo: str | None, branch: str | None, integration_id: int | None, virtual: bool,
    fields: dict[str, str], server: str | None, as_json: bool,
) -> None:
    """``source add`` without ``--mount``: a server source only (nothing local to record)."""
    from jolli.local import linking
    from jolli.registry import get_plugins

    if virtual:
        fail("a virtual source lives in the local file, which needs a folder: pass --mount ABS-PATH", EXIT_INPUT)
    stype = get_plugins().source_type(type_)
    given = {k: v for k, v in (("repo", repo), ("branch", branch)) if v is not None}
    if given and not stype.uses_repo:
        fail(f"a {type_} source has no {' or '.join(given)}; drop --{' and --'.join(given)}", EXIT_INPUT)
    if stype.uses_repo and repo is None:
        fail(f"a {type_} source needs --repo HOST/OWNER/REPO without --mount (there is no work tree to read "
             "it from)", EXIT_INPUT)
    client = require_client(server, "adding a source without --mount")
    if linking.find_server_source(client, name) is not None:
        fail(f"the server already has a source named {name!r}; pick another name", EXIT_INPUT)
    if integration_id is None and not _needs_integration(type_, repo):
        integration = linking.IntegrationChoice(None, f"no integration ({type_} sources follow no repo)")
    else:
        integration = linking.find_integration(client, repo, integration_id)
    note(f"using {integration.how}")
    created = linking.create(client, name=name, type_=type_, repo=repo, branch=branch,
                             integration_id=integration.id, undo=linking.Undo(), fields=fields)
    if as_json:
        emit_json({"name": name, "kind": "server", "sourceId": created["id"], "type": type_,
                   "repo": created.get("repo"), "branch": created.get("branch"),
                   "integrationId": created.get("integrationId"), "mountPath": None, "configPath": None})
    else:
        click.echo(f"added source {name} (server source {created['id']}, "
                   f"{_integration_text(created.get('integrationId'))}) not mounted here")


def _integration_text(integration_id: Any) -> str:
    return "no integration" if integration_id is None else f"integration {integration_id}"


def _record_virtual(edit: Edit, name: str, mount_path: str, type_: str, repo: str | None, branch: str | None) -> None:
    from jolli.local.records import Entry

    edit.config.virtual_sources[name] = Entry(mount_path=mount_path, type=type_, repo=repo, branch=branch)


def _mount(edit: Edit, server_source: dict[str, Any], mount_path: str, type_: str) -> None:
    from jolli.local.records import Entry

    edit.config.mounts[str(server_source["id"])] = Entry(
        mount_path=mount_path, type=server_source.get("type") or type_, repo=server_source.get("repo"),
        branch=server_source.get("branch"), name=server_source.get("name"),
    )


def _commit_or_undo(edit: Edit, undo: Any) -> None:
    """Write the file; if that fails, reverse the server changes (and say if even that failed)."""
    try:
        edit.commit()
    except BaseException as exc:
        failed = undo.run()
        if failed:
            warn("the local file could not be written and these server changes could not be undone:\n  "
                 + "\n  ".join(failed))
        else:
            note("the local file could not be written; the server change was undone")
        raise exc


def _add_on_server(
    edit: Edit, client: Client, name: str, mount_path: str, type_: str, repo: str | None, branch: str | None,
    integration_id: int | None, fields: dict[str, str],
) -> dict[str, Any]:
    from jolli.local import linking

    undo = linking.Undo()
    existing = linking.find_server_source(client, name)
    if existing is not None:
        linking.check_adoptable(existing, name, repo, integration_id)
        _check_fields_adoptable(existing, name, fields)
        integration = linking.find_integration(client, repo or existing.get("repo"), integration_id) \
            if existing.get("integrationId") is None else linking.IntegrationChoice(existing["integrationId"], "")
        try:
            server_source = linking.adopt(client, existing, integration, undo)
            _mount(edit, server_source, mount_path, type_)
        except BaseException:
            undo.run()
            raise
        _commit_or_undo(edit, undo)
        note(f"the server already has {name!r} (id {existing['id']}, same repo): adopted it")
        return {"name": name, "kind": "mounted", "sourceId": server_source["id"],
                "integrationId": server_source.get("integrationId"), "adopted": True}
    needs_integration = _needs_integration(type_, repo)
    if integration_id is None and not needs_integration:
        integration = linking.IntegrationChoice(None, f"no integration ({type_} sources follow no repo)")
    else:
        integration = linking.find_integration(client, repo, integration_id)
    if integration.id is None and needs_integration:
        _record_virtual(edit, name, mount_path, type_, repo, branch)
        note(f"{integration.how}: recorded {name!r} as a virtual source; once an integration covers it, run "
             f"'jolli source link {name}'")
        return {"name": name, "kind": "virtual", "sourceId": None}
    note(f"using {integration.how}")
    try:
        created = linking.create(client, name=name, type_=type_, repo=repo, branch=branch,
                                 integration_id=integration.id, undo=undo, fields=fields)
        _mount(edit, created, mount_path, type_)
    except BaseException:
        undo.run()
        raise
    _commit_or_undo(edit, undo)
    return {"name": name, "kind": "mounted", "sourceId": created["id"], "integrationId": created.get("integrationId"),
            "adopted": False}


def _check_fields_adoptable(existing: dict[str, Any], name: str, fields: dict[str, str]) -> None:
    """Refuse to adopt a server source whose type fields differ from the --field values given."""
    current = existing.get("fields") or {}
    differ = sorted(k for k, v in fields.items() if str(current.get(k)) != v)
    if differ:
        fail(f"the server already has a source named {name!r} (id {existing.get('id')}) with other values for "
             f"{', '.join(differ)}; drop --field to adopt it as it is, or pick another name", EXIT_INPUT)


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
    from jolli.local import linking

    with cli_errors():
        fields = _parse_fields(field_items)
        client = require_client(server, "linking")
        file = sources_file()
        if not file.path.exists():
            fail(f"no virtual source named {name!r}: there is no {file.path} yet; add it with 'jolli source add'",
                 EXIT_INPUT)
        with file.edit() as edit:
            report_migration(file, edit)
            entry = edit.config.virtual_sources.get(name)
            if entry is None:
                for source_id, mount in edit.config.mounts.items():
                    if mount.name == name:
                        note(f"{name!r} is already linked (server source {source_id}); nothing to do")
                        if as_json:
                            emit_json({"name": name, "kind": "mounted", "sourceId": int(source_id), "changed": False})
                        return
                fail(f"no virtual source named {name!r} in {file.path}; add it with 'jolli source add'", EXIT_INPUT)
            undo = linking.Undo()
            existing = linking.find_server_source(client, name)
            try:
                if existing is not None:
                    linking.check_adoptable(existing, name, entry.repo, integration_id)
                    _check_fields_adoptable(existing, name, fields)
                    integration = (
                        linking.find_integration(client, entry.repo or existing.get("repo"), integration_id)
                        if existing.get("integrationId") is None
                        else linking.IntegrationChoice(existing["integrationId"], "")
                    )
                    server_source = linking.adopt(client, existing, integration, undo)
                    how = f"adopted the existing server source {existing['id']} (same name and repo)"
                else:
                    if integration_id is None and not _needs_integration(entry.type, entry.repo):
                        integration = linking.IntegrationChoice(
                            None, f"no integration ({entry.type} sources follow no repo)")
                    else:
                        integration = linking.find_integration(client, entry.repo, integration_id)
                        if integration.id is None:
                            fail(f"cannot link {name!r}: {integration.how}; register an integration for it on "
                                 f"the server or pass --integration-id", EXIT_INPUT)
                    note(f"using {integration.how}")
                    server_source = linking.create(
                        client, name=name, type_=entry.type, repo=entry.repo, branch=entry.branch,
                        integration_id=integration.id, undo=undo, fields=fields,
                    )
                    how = f"created server source {server_source['id']}"
                del edit.config.virtual_sources[name]
                _mount(edit, server_source, entry.mount_path, entry.type)
            except BaseException:
                undo.run()
                raise
            _commit_or_undo(edit, undo)
        if as_json:
            emit_json({"name": name, "kind": "mounted", "sourceId": server_source["id"],
                       "integrationId": server_source.get("integrationId"), "repo": server_source.get("repo"),
                       "branch": server_source.get("branch"), "mountPath": entry.mount_path, "changed": True})
        else:
            click.echo(f"linked {name}: {how}, {_integration_text(server_source.get('integrationId'))}; "
                       f"mounted at {entry.mount_path}")


# --- list and show ---------------------------------------------------------------------------------------
def _with_server(views: list[SourceView], config: Any, server: str | None, local_only: bool) -> None:
    from jolli.client import ApiError
    from jolli.local import linking
    from jolli.local import views as views_mod

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
    views_mod.apply_server(views, config, found, error, settings.url if settings else None)


@source.command("list")
@json_option
@click.option("--local", "local_only", is_flag=True, help="Do not ask the server (checks the file and disk only).")
@server_option
def list_(as_json: bool, local_only: bool, server: str | None) -> None:
    """List sources with their kind and status.

    Reads the nearest .jolli/sources.json; checks each mount on disk (without running git) and, when a
    server is configured, what the server knows (integration, cursor, name collisions).
    """
    from jolli.local import views as views_mod

    with cli_errors():
        file = sources_file()
        loaded = load_local(file)
        views = views_mod.local_views(loaded.config)
        for view in views:
            views_mod.check_disk_cheap(view)
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
    from jolli.local import linking
    from jolli.local import views as views_mod
    from jolli.registry import get_plugins

    with cli_errors():
        file = sources_file()
        loaded = load_local(file)
        all_views = views_mod.local_views(loaded.config)
        found = views_mod.find(all_views, name)
        settings = server_settings(server)
        if settings is not None and found:
            _with_server(found, loaded.config, server, False)
        elif settings is not None:
            client = make_client(settings)
            existing = linking.find_server_source(client, name)
            if existing is None:
                fail(f"no source named {name!r} in {file.path} or on {settings.url}", EXIT_INPUT)
            found = [views_mod.server_only_view(existing)]
        elif not found:
            fail(f"no source named {name!r} in {file.path} (no server configured to look further)", EXIT_INPUT)
        else:
            views_mod.apply_server(found, loaded.config, None, None, None)
        if settings is not None:
            _covering_integrations(found, settings)
            _check_states(found, settings)
        for view in found:
            try:
                stype = get_plugins().source_type(view.type)
            except JolliError:
                stype = None
            views_mod.check_disk_full(view, stype)
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
    from jolli.local import linking
    from jolli.local import views as views_mod

    for view in views:
        if view.kind != "virtual" and view.integration_id is None and view.repo and "onServer" in view.checks:
            with make_client(settings) as client:
                try:
                    views_mod.covered_by(view, linking.find_integration(client, view.repo, None))
                except Ambiguous:
                    views_mod.covered_by(view, linking.IntegrationChoice(0, f"several integrations cover {view.repo}"))


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
    with cli_errors():
        if name is None:
            if not server_flag or "://" in server_flag:
                fail("missing the source NAME: jolli source remove NAME [--server [URL]]", EXIT_INPUT)
            name, server_flag = server_flag, ""  # '--server NAME': the flag took the name as its URL
        wants_server = server_flag is not None
        file = sources_file()
        if not file.path.exists():
            if not wants_server or virtual_only:
                fail(f"no source named {name!r}: there is no {file.path}", EXIT_INPUT)
            _remove_with_server(None, name, None, server_flag or None, as_json)
            return
        with file.edit() as edit:
            report_migration(file, edit)
            config = edit.config
            mount_ids = [sid for sid, e in config.mounts.items() if e.name == name]
            is_virtual = name in config.virtual_sources
            if virtual_only:
                if not is_virtual:
                    fail(f"no virtual source named {name!r} in {file.path}", EXIT_INPUT)
                mount_ids = []
            elif is_virtual and mount_ids:
                fail(f"{name!r} is both a virtual source and the mount of server source {mount_ids[0]}; "
                     f"pass --virtual to remove the virtual one", EXIT_INPUT)
            if is_virtual and not mount_ids:
                del config.virtual_sources[name]
                edit.commit()
                if wants_server:
                    note(f"{name!r} was virtual: there was no server source to delete")
                _removed(as_json, name, "virtual", None, False)
                return
            if not wants_server:
                if not mount_ids:
                    fail(f"no source named {name!r} in {file.path}", EXIT_INPUT)
                entry = config.mounts.pop(mount_ids[0])
                edit.commit()
                note(f"server source {mount_ids[0]} is kept; delete it too with 'jolli source remove {name} --server'")
                _removed(as_json, name, "mounted", int(mount_ids[0]), False, entry.mount_path)
                return
            _remove_with_server(edit, name, mount_ids[0] if mount_ids else None, server_flag or None, as_json)


def _remove_with_server(edit: Edit | None, name: str, mount_id: str | None, server: str | None, as_json: bool) -> None:
    """Remove the mount, then delete the server source; if the delete fails, put the mount back."""
    from jolli.client import ApiError, path_param
    from jolli.local import linking

    client = require_client(server, "--server")
    if mount_id is None:
        existing = linking.find_server_source(client, name)
        if existing is None:
            fail(f"no source named {name!r} here or on {client.base_url}", EXIT_INPUT)
        source_id = int(existing["id"])
    else:
        source_id = int(mount_id)
    entry = edit.config.mounts.pop(str(source_id), None) if edit is not None else None
    if edit is not None:
        edit.commit()
    try:
        client.delete(f"/api/sources/{path_param(source_id)}")
    except ApiError as exc:
        if exc.status != 404:
            if entry is not None and edit is not None:
                edit.config.mounts[str(source_id)] = entry
                edit.commit()
                note("the server source could not be deleted; the local mount was kept")
            raise
        note(f"server source {source_id} was already gone")
    _removed(as_json, name, "mounted" if entry else "server", source_id, True, entry.mount_path if entry else None)


def _removed(as_json: bool, name: str, kind: str, source_id: int | None, server_deleted: bool,
             mount_path: str | None = None) -> None:
    if as_json:
        emit_json({"name": name, "kind": kind, "sourceId": source_id, "serverDeleted": server_deleted})
        return
    if kind == "server":
        click.echo(f"deleted server source {name} (id {source_id}); it was not mounted here")
        return
    where = f" and deleted server source {source_id}" if server_deleted else ""
    click.echo(f"removed {kind} source {name}{' (' + mount_path + ')' if mount_path else ''}{where}")
source.add_command(__import__("jolli.cli.sync", fromlist=["sync"]).sync)  # jolli source sync: jolli/cli/sync.py
