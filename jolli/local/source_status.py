"""What ``jolli source list`` and ``show`` report: each source with its kind and resolution status.

A view starts from the local file (mounts and virtual sources), is checked on disk (cheaply for
``list``, with the source type's own ``validate_mount`` for ``show``) and, when a server answers,
completed with what the server knows (name, integration, cursor) and checked for name collisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jolli.local import collisions, worktree
from jolli.local.records import Config, Entry

CHECK_ORDER = (
    "mountPresent", "gitWorkTree", "mountValid", "remoteMatchesRepo", "branchCheckedOut", "serverReachable", "onServer",
    "integrationLinked", "cursor", "nameUnique",
)


@dataclass
class Check:
    """One line of resolution status: ``ok`` is True, False (a problem) or None (not applicable / unknown)."""

    ok: bool | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


@dataclass
class SourceView:
    name: str | None
    kind: str  # "mounted" (a server source mounted here), "virtual", or "server" (not mounted here)
    type: str
    source_id: int | None = None
    repo: str | None = None
    branch: str | None = None
    integration_id: int | None = None
    mount_path: str | None = None
    cursor: dict[str, Any] | None = None
    #: The server's checks of the source (``GET /api/sources/:id`` ``check``): last check, result, next check.
    schedule: dict[str, Any] | None = None
    checks: dict[str, Check] = field(default_factory=dict)
    collisions: list[collisions.Collision] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or f"(source {self.source_id})"

    @property
    def problems(self) -> list[str]:
        found = [c.detail for key, c in self._ordered() if c.ok is False and key != "nameUnique"]
        return found + [c.problem for c in self.collisions]

    def status(self) -> str:
        return "; ".join(self.problems) or "ok"

    def _ordered(self) -> list[tuple[str, Check]]:
        return sorted(self.checks.items(), key=lambda kv: CHECK_ORDER.index(kv[0]) if kv[0] in CHECK_ORDER else 99)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "sourceId": self.source_id,
            "type": self.type,
            "repo": self.repo,
            "branch": self.branch,
            "integrationId": self.integration_id,
            "mountPath": self.mount_path,
            "cursor": self.cursor,
            "check": self.schedule,
            "status": self.status(),
            "checks": {key: check.as_json() for key, check in self._ordered()},
            "collisions": [c.as_json() for c in self.collisions],
        }


def _view(name: str | None, kind: str, entry: Entry, source_id: int | None = None) -> SourceView:
    return SourceView(
        name=name, kind=kind, type=entry.type, source_id=source_id, repo=entry.repo, branch=entry.branch,
        mount_path=entry.mount_path,
    )


def local_views(config: Config) -> list[SourceView]:
    """Every source in the file: mounts first (by name), then virtual sources (by name)."""
    mounts = [
        _view(entry.name, "mounted", entry, int(source_id))
        for source_id, entry in config.mounts.items()
    ]
    mounts.sort(key=lambda v: (v.name or "", v.source_id or 0))
    virtual = [_view(name, "virtual", entry) for name, entry in sorted(config.virtual_sources.items())]
    views = mounts + virtual
    file_collisions = {c.name: c for c in collisions.in_file(config)}
    for view in views:
        if view.kind == "virtual" and view.name in file_collisions:
            view.collisions.append(file_collisions[view.name])
    return views


def find(views: list[SourceView], name: str) -> list[SourceView]:
    """The views called ``name`` (usually one; two when a virtual source collides with a mount)."""
    return [v for v in views if v.name == name]


# --- disk checks ---------------------------------------------------------------------------------------
def check_disk_cheap(view: SourceView) -> None:
    """Mount present, git work tree, remote and branch, from ``.git`` files (no ``git`` process)."""
    if view.mount_path is None:
        return
    tree = worktree.inspect(view.mount_path)
    view.checks["mountPresent"] = (
        Check(True, view.mount_path) if tree.exists else Check(False, f"mount {view.mount_path} is missing")
    )
    if view.type != "git" or not tree.exists:
        return
    if not tree.is_git:
        view.checks["gitWorkTree"] = Check(False, f"{view.mount_path} is not the top of a git work tree")
        return
    view.checks["gitWorkTree"] = Check(True, "git work tree")
    shown = worktree.display_remote(tree.origin_url) if tree.origin_url else None
    _compare_remote(view, worktree.remote_matches(tree.origin_url, view.repo), shown)
    _compare_branch(view, tree.branch)


def check_disk_full(view: SourceView, source_type: Any) -> None:
    """The same checks asked of the source type (``git`` runs the real git); ``source_type`` may be None."""
    if view.mount_path is None:
        return
    import os

    from jolli.errors import JolliError

    exists = os.path.exists(view.mount_path)
    view.checks["mountPresent"] = (
        Check(True, view.mount_path) if exists else Check(False, f"mount {view.mount_path} is missing")
    )
    if not exists:
        return
    if source_type is None:
        key = "gitWorkTree" if view.type == "git" else "mountValid"
        view.checks[key] = Check(None, f"source type {view.type!r} is not available (plugin may not be installed)")
        return
    try:
        info = source_type.validate_mount(view.mount_path)
    except NotImplementedError:
        return
    except JolliError as exc:
        key = "gitWorkTree" if view.type == "git" else "mountValid"
        view.checks[key] = Check(False, exc.message)
        return
    if view.type != "git":
        view.checks["mountValid"] = Check(True, f"valid {view.type} mount")
        return
    if os.path.normpath(info.path) != os.path.normpath(view.mount_path):
        view.checks["gitWorkTree"] = Check(False, f"{view.mount_path} is inside the work tree {info.path}, not its top")
    else:
        view.checks["gitWorkTree"] = Check(True, "git work tree")
    problem = info.detail.get("remoteProblem") if info.detail else None
    if info.repo is None:
        view.checks["remoteMatchesRepo"] = Check(None if view.repo is None else False, problem or "no origin remote")
    else:
        _compare_remote(view, worktree.remote_matches(info.repo, view.repo), info.repo)
    _compare_branch(view, info.branch)


def _compare_remote(view: SourceView, matches: bool | None, remote: str | None) -> None:
    if not remote:
        view.checks["remoteMatchesRepo"] = Check(None if view.repo is None else False, "no origin remote")
    elif view.repo is None:
        view.checks["remoteMatchesRepo"] = Check(None, f"no repo recorded; origin is {remote}")
    elif matches:
        view.checks["remoteMatchesRepo"] = Check(True, f"origin is {view.repo}")
    elif matches is None:
        view.checks["remoteMatchesRepo"] = Check(None, f"cannot compare origin {remote} with {view.repo}")
    else:
        view.checks["remoteMatchesRepo"] = Check(False, f"origin is {remote}, not {view.repo}")


def _compare_branch(view: SourceView, current: str | None) -> None:
    if view.branch is None:
        return
    if current == view.branch:
        view.checks["branchCheckedOut"] = Check(True, f"on {current}")
    else:
        # informational: a work tree may sit on another branch; it does not break the source
        view.checks["branchCheckedOut"] = Check(None, f"on {current or 'a detached HEAD'}, source follows {view.branch}")


# --- server ------------------------------------------------------------------------------------------
def apply_server(
    views: list[SourceView],
    config: Config,
    server_sources: list[dict[str, Any]] | None,
    server_error: str | None,
    server_url: str | None,
) -> None:
    """Complete views with the server's view of each source (``server_sources`` None: not asked)."""
    by_id = {s.get("id"): s for s in server_sources or []}
    server_collisions = {c.name: c for c in collisions.against_server(config, server_sources or [])}
    for view in views:
        if server_url is None:
            view.checks["serverReachable"] = Check(None, "no server configured")
        elif server_sources is None:
            view.checks["serverReachable"] = Check(False, server_error or f"{server_url} did not answer")
        else:
            view.checks["serverReachable"] = Check(True, server_url)
        if view.kind == "virtual" or server_sources is None:
            _local_integration(view)
            if view.name in server_collisions:
                view.collisions.append(server_collisions[view.name])
        else:
            merge_server(view, by_id.get(view.source_id))
        view.checks["nameUnique"] = (
            Check(False, "; ".join(c.problem for c in view.collisions)) if view.collisions else Check(True, "unique")
        )


def merge_server(view: SourceView, server: dict[str, Any] | None) -> None:
    """Take name, repo, branch, integration and cursor from the server's record of a mounted source."""
    if server is None:
        view.checks["onServer"] = Check(
            False,
            f"server source {view.source_id} does not exist (deleted?); remove the mount with "
            f"'jolli source remove {view.label}'",
        )
        view.checks["integrationLinked"] = Check(None, "unknown")
        return
    view.checks["onServer"] = Check(True, f"server source {view.source_id}")
    view.name = server.get("name") or view.name
    view.repo = server.get("repo")
    view.branch = server.get("branch")
    view.integration_id = server.get("integrationId")
    view.cursor = server.get("cursor")
    if view.integration_id is None and view.repo is None:
        view.checks["integrationLinked"] = Check(None, f"not needed: a {view.type} source follows no repo")
    elif view.integration_id is None:
        # the webhook receiver finds sources by repo: an integration covering it delivers its pushes anyway
        view.checks["integrationLinked"] = Check(
            None, f"not linked; pushes arrive if an integration covers {view.repo} "
                  f"('jolli integration match {view.repo}')")
    else:
        view.checks["integrationLinked"] = Check(True, f"integration {view.integration_id}")
    cursor = view.cursor or {}
    view.checks["cursor"] = Check(
        True if cursor.get("value") else None,
        f"{cursor['value']} (updated {cursor.get('updatedAt')})" if cursor.get("value") else "no cursor yet",
    )


def covered_by(view: SourceView, integration: Any) -> None:
    """Say which integration delivers the pushes of a source linked to none (``integration``: its
    :class:`jolli.local.linking.IntegrationChoice`)."""
    if integration.id is None:
        view.checks["integrationLinked"] = Check(False, f"not linked, and {integration.how}: pushes are not received")
    else:
        view.checks["integrationLinked"] = Check(True, f"not linked, but {integration.how}: pushes are received")


def _local_integration(view: SourceView) -> None:
    if view.kind == "virtual":
        view.checks["integrationLinked"] = Check(None, f"virtual: not linked ('jolli source link {view.name}')")
    else:
        view.checks["integrationLinked"] = Check(None, "unknown without the server")


def server_only_view(server: dict[str, Any]) -> SourceView:
    """A server source that is not mounted here."""
    view = SourceView(name=server.get("name"), kind="server", type=server.get("type") or "git",
                      source_id=server.get("id"))
    merge_server(view, server)
    view.checks["mountPresent"] = Check(None, "not mounted here")
    return view
