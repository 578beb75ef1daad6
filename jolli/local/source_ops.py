"""What ``jolli source add``, ``link`` and ``remove`` do, apart from reading options and printing.

Each operation works on the local sources file (:mod:`jolli.local.sources_file`) and, when it is given a
client, on the server (:mod:`jolli.local.linking`), keeping the two consistent: a server change is undone
when the local write fails after it. An operation returns its result (the dictionary ``--json`` prints)
and raises :class:`jolli.errors.JolliError` for anything the user must change (the CLI exits 2) or
:class:`jolli.client.ApiError` for a failed server call. What the user should know on the way goes to
``say`` (notes and warnings; the CLI prints them on stderr).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jolli.errors import InvalidInput, JolliError

if TYPE_CHECKING:  # pragma: no cover
    from jolli.client import Client
    from jolli.local.linking import IntegrationChoice, Undo
    from jolli.local.sources_file import Edit, SourcesFile

Result = dict[str, Any]


@dataclass(frozen=True)
class Say:
    """Where an operation tells the user what it did or noticed (not its result)."""

    note: Callable[[str], None] = lambda _text: None
    warn: Callable[[str], None] = lambda _text: None


# --- checks ------------------------------------------------------------------------------------------
def check_name(name: str) -> None:
    from jolli.formats import NAME_HINT, NAME_RE

    if not re.match(NAME_RE, name):
        raise InvalidInput(f"source name {name!r} is not valid: it must be {NAME_HINT}", fields={"name": [NAME_HINT]})


def inspect_mount(mount: str, type_: str, repo: str | None, branch: str | None,
                  say: Say) -> tuple[str, str | None, str | None]:
    """Validate the mount with its source type; return (mount path, repo, branch), inferring what is missing."""
    from jolli.registry import get_plugins

    if not os.path.isabs(mount):
        raise InvalidInput(f"--mount must be an absolute path, got {mount!r} (e.g. --mount {os.path.abspath(mount)})")
    stype = get_plugins().source_type(type_)
    try:
        info = stype.validate_mount(mount)
    except NotImplementedError:
        raise InvalidInput(f"source type {type_!r} does not support local mounts") from None
    given = {k: v for k, v in (("repo", repo), ("branch", branch)) if v is not None}
    if given and not stype.uses_repo:
        raise InvalidInput(f"a {type_} source has no {' or '.join(given)}; drop --{' and --'.join(given)}")
    if given:
        checked = stype.validate_fields(given)
        repo, branch = checked.get("repo", repo), checked.get("branch", branch)
    path = os.path.normpath(info.path or mount)
    if path != os.path.normpath(mount):
        say.note(f"using the work tree's top level {path}")
    if stype.uses_repo:
        if repo is None and info.repo:
            repo = info.repo
            say.note(f"inferred repo {repo} from the origin remote")
        elif repo is None:
            problem = (info.detail or {}).get("remoteProblem") or "no origin remote"
            say.note(f"no repo inferred ({problem}); pass --repo host/owner/repo to set one")
        elif info.repo and info.repo.casefold() != repo.casefold():
            say.warn(f"the mount's origin remote is {info.repo}, not {repo}")
        if branch is None and info.branch:
            branch = info.branch
            say.note(f"inferred branch {branch} (checked out)")
    return path, repo, branch


def needs_integration(type_: str, repo: str | None) -> bool:
    """Whether a server source of ``type_`` is linked through an integration: only types that follow a repo
    (the type's plugin says; without it installed here, whether a repo is recorded)."""
    from jolli.registry import get_plugins

    try:
        return get_plugins().source_type(type_).uses_repo
    except JolliError:
        return repo is not None


def _local_name_taken(config: Any, name: str) -> str | None:
    if name in config.virtual_sources:
        return f"a virtual source named {name!r} already exists"
    for source_id, entry in config.mounts.items():
        if entry.name == name:
            return f"{name!r} is already mounted here (server source {source_id})"
    return None


def _check_fields_adoptable(existing: dict[str, Any], name: str, fields: dict[str, str]) -> None:
    """Refuse to adopt a server source whose type fields differ from the --field values given."""
    current = existing.get("fields") or {}
    differ = sorted(k for k, v in fields.items() if str(current.get(k)) != v)
    if differ:
        raise InvalidInput(
            f"the server already has a source named {name!r} (id {existing.get('id')}) with other values for "
            f"{', '.join(differ)}; drop --field to adopt it as it is, or pick another name")


# --- the local file ----------------------------------------------------------------------------------
def _record_virtual(edit: Edit, name: str, mount_path: str, type_: str, repo: str | None, branch: str | None) -> None:
    from jolli.local.records import Entry

    edit.config.virtual_sources[name] = Entry(mount_path=mount_path, type=type_, repo=repo, branch=branch)


def _mount(edit: Edit, server_source: dict[str, Any], mount_path: str, type_: str) -> None:
    from jolli.local.records import Entry

    edit.config.mounts[str(server_source["id"])] = Entry(
        mount_path=mount_path, type=server_source.get("type") or type_, repo=server_source.get("repo"),
        branch=server_source.get("branch"), name=server_source.get("name"),
    )


def _commit_or_undo(edit: Edit, undo: Undo, say: Say) -> None:
    """Write the file; if that fails, reverse the server changes (and say if even that failed)."""
    try:
        edit.commit()
    except BaseException as exc:
        failed = undo.run()
        if failed:
            say.warn("the local file could not be written and these server changes could not be undone:\n  "
                     + "\n  ".join(failed))
        else:
            say.note("the local file could not be written; the server change was undone")
        raise exc


# --- adopt or create: the one way a source gets its server source ------------------------------------
@dataclass(frozen=True)
class Placed:
    """The server source a local source is mounted as; ``adopted``: it existed already."""

    server_source: dict[str, Any]
    adopted: bool


def _integration_for(client: Client, type_: str, repo: str | None, integration_id: int | None) -> IntegrationChoice:
    from jolli.local import linking

    if integration_id is None and not needs_integration(type_, repo):
        return linking.IntegrationChoice(None, f"no integration ({type_} sources follow no repo)")
    return linking.find_integration(client, repo, integration_id)


def place_on_server(client: Client, edit: Edit, name: str, *, mount_path: str, type_: str, repo: str | None,
                    branch: str | None, integration_id: int | None, fields: dict[str, str], say: Say,
                    on_no_integration: Callable[[IntegrationChoice], Result | None],
                    before_mount: Callable[[], None] = lambda: None) -> Placed | Result:
    """Mount ``name`` as a server source: the server's source of that name and repo, adopted, else a new one.

    With no integration covering a repo-following source, ``on_no_integration`` decides: it returns a
    result (the caller recorded something else) or raises. ``before_mount`` runs once the server side is
    settled, before the mount is written (``link`` drops the virtual entry there). The file is written last;
    if that fails the server changes are undone."""
    from jolli.local import linking

    undo = linking.Undo()
    existing = linking.find_server_source(client, name)
    try:
        if existing is not None:
            linking.check_adoptable(existing, name, repo, integration_id)
            _check_fields_adoptable(existing, name, fields)
            integration = (linking.find_integration(client, repo or existing.get("repo"), integration_id)
                           if existing.get("integrationId") is None
                           else linking.IntegrationChoice(existing["integrationId"], ""))
            server_source = linking.adopt(client, existing, integration, undo)
        else:
            integration = _integration_for(client, type_, repo, integration_id)
            if integration.id is None and needs_integration(type_, repo):
                other = on_no_integration(integration)
                if other is not None:
                    return other
            say.note(f"using {integration.how}")
            server_source = linking.create(client, name=name, type_=type_, repo=repo, branch=branch,
                                           integration_id=integration.id, undo=undo, fields=fields)
        before_mount()
        _mount(edit, server_source, mount_path, type_)
    except BaseException:
        undo.run()
        raise
    _commit_or_undo(edit, undo, say)
    return Placed(server_source, existing is not None)


# --- add -----------------------------------------------------------------------------------------------
def add(file: SourcesFile, edit: Edit, client: Client | None, name: str, *, mount_path: str, type_: str,
        repo: str | None, branch: str | None, integration_id: int | None, fields: dict[str, str],
        virtual: bool, say: Say) -> Result:
    """``source add`` with a mount: a virtual source without a server, else a mounted server source."""
    taken = _local_name_taken(edit.config, name)
    if taken:
        raise InvalidInput(f"{taken} in {file.path}; pick another name or 'jolli source remove {name}' first")
    if client is None:
        _record_virtual(edit, name, mount_path, type_, repo, branch)
        why = "--virtual" if virtual else "no server configured (--server, JOLLI_URL or 'jolli login')"
        say.note(f"{why}: recorded {name!r} as a virtual source; link it later with 'jolli source link {name}'")
        return {"name": name, "kind": "virtual", "sourceId": None}
    from jolli.client import ServerUnreachable

    def record_virtual(integration: IntegrationChoice) -> Result:
        _record_virtual(edit, name, mount_path, type_, repo, branch)
        say.note(f"{integration.how}: recorded {name!r} as a virtual source; once an integration covers it, run "
                 f"'jolli source link {name}'")
        return {"name": name, "kind": "virtual", "sourceId": None}

    try:
        placed = place_on_server(client, edit, name, mount_path=mount_path, type_=type_, repo=repo, branch=branch,
                                 integration_id=integration_id, fields=fields, say=say,
                                 on_no_integration=record_virtual)
    except ServerUnreachable as exc:
        raise ServerUnreachable(f"{exc.message}; to record a virtual source without the server, pass --virtual",
                                status=0, url=exc.url) from None
    if not isinstance(placed, Placed):
        return placed
    source = placed.server_source
    if placed.adopted:
        say.note(f"the server already has {name!r} (id {source['id']}, same repo): adopted it")
    return {"name": name, "kind": "mounted", "sourceId": source["id"], "integrationId": source.get("integrationId"),
            "adopted": placed.adopted}


def add_unmounted(client: Client, name: str, *, type_: str, repo: str | None, branch: str | None,
                  integration_id: int | None, fields: dict[str, str], say: Say) -> Result:
    """``source add`` without ``--mount``: a server source only (nothing local to record)."""
    from jolli.local import linking
    from jolli.registry import get_plugins

    stype = get_plugins().source_type(type_)
    given = {k: v for k, v in (("repo", repo), ("branch", branch)) if v is not None}
    if given and not stype.uses_repo:
        raise InvalidInput(f"a {type_} source has no {' or '.join(given)}; drop --{' and --'.join(given)}")
    if stype.uses_repo and repo is None:
        raise InvalidInput(f"a {type_} source needs --repo HOST/OWNER/REPO without --mount (there is no work tree "
                           "to read it from)")
    if linking.find_server_source(client, name) is not None:
        raise InvalidInput(f"the server already has a source named {name!r}; pick another name")
    integration = _integration_for(client, type_, repo, integration_id)
    say.note(f"using {integration.how}")
    created = linking.create(client, name=name, type_=type_, repo=repo, branch=branch,
                             integration_id=integration.id, undo=linking.Undo(), fields=fields)
    return {"name": name, "kind": "server", "sourceId": created["id"], "type": type_, "repo": created.get("repo"),
            "branch": created.get("branch"), "integrationId": created.get("integrationId"), "mountPath": None,
            "configPath": None}


# --- link ----------------------------------------------------------------------------------------------
def link(file: SourcesFile, edit: Edit, client: Client, name: str, *, integration_id: int | None,
         fields: dict[str, str], say: Say) -> Result:
    """Promote the virtual source ``name`` to a mounted server source (adopting one of the same name and repo)."""
    entry = edit.config.virtual_sources.get(name)
    if entry is None:
        for source_id, mount in edit.config.mounts.items():
            if mount.name == name:
                say.note(f"{name!r} is already linked (server source {source_id}); nothing to do")
                return {"name": name, "kind": "mounted", "sourceId": int(source_id), "changed": False}
        raise InvalidInput(f"no virtual source named {name!r} in {file.path}; add it with 'jolli source add'")

    def refuse(integration: IntegrationChoice) -> Result:
        raise InvalidInput(f"cannot link {name!r}: {integration.how}; register an integration for it on the "
                           "server or pass --integration-id")

    def drop_virtual() -> None:
        del edit.config.virtual_sources[name]

    placed = place_on_server(client, edit, name, mount_path=entry.mount_path, type_=entry.type, repo=entry.repo,
                             branch=entry.branch, integration_id=integration_id, fields=fields, say=say,
                             on_no_integration=refuse, before_mount=drop_virtual)
    assert isinstance(placed, Placed)  # refuse() never returns
    source = placed.server_source
    how = (f"adopted the existing server source {source['id']} (same name and repo)" if placed.adopted
           else f"created server source {source['id']}")
    return {"name": name, "kind": "mounted", "sourceId": source["id"], "integrationId": source.get("integrationId"),
            "repo": source.get("repo"), "branch": source.get("branch"), "mountPath": entry.mount_path,
            "changed": True, "how": how}


# --- remove --------------------------------------------------------------------------------------------
def remove(file: SourcesFile, edit: Edit | None, name: str, *, virtual_only: bool, with_server: bool,
           client: Callable[[], Client], say: Say) -> Result:
    """Remove ``name`` from the local file (``edit``; ``None`` when there is no file) and, ``with_server``,
    delete its server source (``client()`` is asked for only then)."""
    if edit is None:
        if not with_server or virtual_only:
            raise InvalidInput(f"no source named {name!r}: there is no {file.path}")
        return _remove_with_server(None, name, None, client(), say)
    config = edit.config
    mount_ids = [sid for sid, e in config.mounts.items() if e.name == name]
    is_virtual = name in config.virtual_sources
    if virtual_only:
        if not is_virtual:
            raise InvalidInput(f"no virtual source named {name!r} in {file.path}")
        mount_ids = []
    elif is_virtual and mount_ids:
        raise InvalidInput(f"{name!r} is both a virtual source and the mount of server source {mount_ids[0]}; "
                           "pass --virtual to remove the virtual one")
    if is_virtual and not mount_ids:
        del config.virtual_sources[name]
        edit.commit()
        if with_server:
            say.note(f"{name!r} was virtual: there was no server source to delete")
        return _removed(name, "virtual", None, False)
    if not with_server:
        if not mount_ids:
            raise InvalidInput(f"no source named {name!r} in {file.path}")
        entry = config.mounts.pop(mount_ids[0])
        edit.commit()
        say.note(f"server source {mount_ids[0]} is kept; delete it too with 'jolli source remove {name} --server'")
        return _removed(name, "mounted", int(mount_ids[0]), False, entry.mount_path)
    return _remove_with_server(edit, name, mount_ids[0] if mount_ids else None, client(), say)


def _remove_with_server(edit: Edit | None, name: str, mount_id: str | None, client: Client, say: Say) -> Result:
    """Remove the mount, then delete the server source; if the delete fails, put the mount back."""
    from jolli.client import ApiError, path_param
    from jolli.local import linking

    if mount_id is None:
        existing = linking.find_server_source(client, name)
        if existing is None:
            raise InvalidInput(f"no source named {name!r} here or on {client.base_url}")
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
                say.note("the server source could not be deleted; the local mount was kept")
            raise
        say.note(f"server source {source_id} was already gone")
    return _removed(name, "mounted" if entry else "server", source_id, True, entry.mount_path if entry else None)


def _removed(name: str, kind: str, source_id: int | None, server_deleted: bool,
             mount_path: str | None = None) -> Result:
    return {"name": name, "kind": kind, "sourceId": source_id, "serverDeleted": server_deleted,
            "mountPath": mount_path}
