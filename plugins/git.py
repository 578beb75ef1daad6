"""The built-in ``git`` source type: a git repository, tracked by commit SHA.

Local mounts are inspected with the real ``git`` (top level, ``origin`` remote, current branch). When a
caller knows a local clone holding the commits, it passes a :class:`LocalRepo` (or a mapping
``{"repo_path": "/abs/path"}``) as ``context`` to :meth:`GitSourceType.is_stale` and
:meth:`GitSourceType.detect_changes`, which then ask git; without one they fall back to what the two
values alone tell.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jolli import hookimpl
from jolli.errors import InvalidInput
from jolli.source_type import (
    ChangeSet,
    CheckContext,
    CursorCheck,
    MountInfo,
    SourceType,
    unexpected_type_fields,
)

if TYPE_CHECKING:  # pragma: no cover
    import subprocess

    from jolli.registry import SourceTypeRegistry

SHA_RE = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
#: Characters git never allows in a ref name (``git check-ref-format`` rules 3-5).
_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
#: Environment variables that would make ``git -C path`` look at another repository.
_GIT_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


@dataclass(frozen=True)
class LocalRepo:
    """Context for :meth:`GitSourceType.is_stale` / :meth:`GitSourceType.detect_changes`.

    ``repo_path`` is an absolute path to a local clone (work tree or bare) that may hold both commits.
    """

    repo_path: str


def branch_problem(branch: str) -> str | None:
    """Why ``branch`` is not a valid branch name (``git check-ref-format --branch``), or ``None``."""
    if not branch:
        return "must not be empty"
    if len(branch) > 255:
        return "must be at most 255 characters"
    if branch == "HEAD" or branch.startswith("-"):
        return "must not be 'HEAD' or start with '-'"
    bad = _BAD_REF_CHARS.search(branch)
    if bad:
        return f"must not contain {bad.group()!r} (spaces, control characters and ~ ^ : ? * [ \\ are not allowed)"
    if branch.startswith("/") or branch.endswith("/") or "//" in branch:
        return "must not start or end with '/' or contain '//'"
    if ".." in branch or "@{" in branch:
        return "must not contain '..' or '@{'"
    if branch.endswith("."):
        return "must not end with '.'"
    for part in branch.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return f"no part may start with '.' or end with '.lock' (got {part!r})"
    return None


class GitSourceType(SourceType):
    """A git repository; the cursor is a commit SHA (SHA-1 or SHA-256)."""

    name = "git"
    description = "A git repository; cursor is a commit SHA; a mount is a git work tree."
    uses_repo = True
    requires_repo = False  # a virtual source may have no remote yet; linking needs one

    def validate_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Normalise ``repo`` (any URL form) and check ``branch``; linking an integration needs ``repo``."""
        result = dict(fields)
        errors: dict[str, list[str]] = {}
        repo = fields.get("repo")
        if repo is not None:
            try:
                result["repo"] = _normalize_repo(repo)
            except InvalidInput as exc:
                errors["repo"] = [exc.message]
        branch = fields.get("branch")
        if branch is not None:
            problem = branch_problem(branch) if isinstance(branch, str) else "must be a string"
            if problem:
                errors["branch"] = [f"branch {branch!r} is not a valid git branch name: {problem}"]
        integration = fields.get("integration_id", fields.get("integrationId"))
        if integration is not None and repo is None:
            key = "integration_id" if "integration_id" in fields else "integrationId"
            errors[key] = ["linking an integration needs repo: set repo to host/owner/repo"]
        if extra := unexpected_type_fields(self.name, fields):
            errors["fields"] = extra
        if errors:
            raise InvalidInput("invalid git source: " + "; ".join(m for ms in errors.values() for m in ms),
                               fields=errors)
        return result

    def validate_mount(self, path: str) -> MountInfo:
        """Check ``path`` is an absolute path inside a git work tree and read its top level, repo and branch."""
        if not path or not os.path.isabs(path):
            raise _mount_error(path, "must be an absolute path to a git work tree, e.g. /home/me/src/backend")
        if not os.path.exists(path):
            raise _mount_error(path, "does not exist; clone the repository there or fix the path")
        if not os.path.isdir(path):
            raise _mount_error(path, "is not a directory; pass the repository's folder")
        inside = _git(path, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            why = inside.stderr.strip().removeprefix("fatal: ") or "inside a .git folder or a bare repository"
            raise _mount_error(path, f"is not a git work tree ({why}); run 'git init' or pass a clone")
        top = _git(path, "rev-parse", "--show-toplevel").stdout.strip()
        branch = _git(path, "symbolic-ref", "--quiet", "--short", "HEAD")
        head = _git(path, "rev-parse", "--quiet", "--verify", "HEAD^{commit}")
        detail: dict[str, Any] = {"head": head.stdout.strip().lower() if head.returncode == 0 else None}
        repo = None
        remote = _git(path, "remote", "get-url", "origin")
        if remote.returncode == 0 and remote.stdout.strip():
            try:
                repo = _normalize_repo(remote.stdout.strip())
            except InvalidInput as exc:  # a local path or an unknown URL shape: the mount still works
                detail["remoteProblem"] = exc.message
        else:
            detail["remoteProblem"] = "no 'origin' remote"
        return MountInfo(
            path=os.path.normpath(top),
            repo=repo,
            branch=branch.stdout.strip() if branch.returncode == 0 else None,  # None: detached HEAD
            detail=detail,
        )

    def validate_cursor(self, value: str) -> str:
        """A 40- or 64-character hex commit SHA, lower-cased."""
        text = value.strip() if isinstance(value, str) else ""
        if not SHA_RE.match(text):
            raise InvalidInput(
                f"cursor value {value!r} is not a commit SHA: a git cursor is the full 40-character "
                "(SHA-1) or 64-character (SHA-256) hex SHA, e.g. from 'git rev-parse HEAD'",
                fields={"value": ["must be a full 40- or 64-character hex commit SHA"]},
            )
        return text.lower()

    def is_stale(self, cursor: str | None, head: str, context: Any = None) -> bool | None:
        """True when ``head`` is the cursor or an ancestor of it (asked of git when a local repo is given)."""
        if cursor is None:
            return False
        cursor, head = cursor.lower(), head.lower()
        if cursor == head:
            return True
        repo = _repo_path(context)
        if repo is None or not (SHA_RE.match(cursor) and SHA_RE.match(head)):
            return None
        return _is_ancestor(repo, head, cursor)

    def detect_changes(self, source: Any, base: str | None, head: str, context: Any = None) -> ChangeSet:
        """Where ``head`` stands relative to ``base`` and which files differ (with a local repo).

        Without ``base`` (a first event) the files are every file at ``head``. Commits git does not
        know give ``relation="unknown"`` and no files.
        """
        base = base.lower() if base else None
        head = head.lower()
        if base == head:
            return ChangeSet(base=base, head=head, relation="identical")
        repo = _repo_path(context)
        if repo is None or not SHA_RE.match(head) or (base is not None and not SHA_RE.match(base)):
            return ChangeSet(base=base, head=head)
        if base is None:
            listed = _git(repo, "ls-tree", "-r", "-z", "--name-only", head)
            files = _split_z(listed.stdout) if listed.returncode == 0 else ()
            return ChangeSet(base=None, head=head, relation="unknown", files=files)
        if _is_ancestor(repo, base, head):
            relation = "ahead"
        elif _is_ancestor(repo, head, base):
            relation = "behind"
        else:
            known = _git(repo, "cat-file", "-e", f"{base}^{{commit}}").returncode == 0 and (
                _git(repo, "cat-file", "-e", f"{head}^{{commit}}").returncode == 0
            )
            if not known:
                return ChangeSet(base=base, head=head)
            relation = "diverged"
        diff = _git(repo, "diff", "--name-only", "--no-renames", "-z", base, head)
        files = _split_z(diff.stdout) if diff.returncode == 0 else ()
        return ChangeSet(base=base, head=head, relation=relation, files=files)

    def current_cursor(self, source: Any, context: CheckContext) -> CursorCheck | None:
        """The branch's head: ``git ls-remote`` of a local clone's remote (fetching the commits when they
        are new), else the provider API of the source's integration, asked conditionally; ``None`` for a
        source that follows no branch or has neither."""
        if not context.branch:
            return None
        if context.repo_path:
            return CursorCheck(_remote_head(context.repo_path, context.branch))
        if context.client is None:
            return None
        client, repo = context.client
        state = client.branch_state(repo, context.branch, etag=context.etag, last_modified=context.last_modified)
        return CursorCheck(state.head.lower() if state.head else None, state.not_modified, state.etag,
                           state.last_modified, state.wait)

    def mount_cursor(self, path: str, branch: str | None = None) -> str:
        """The commit the branch (or, without one, ``HEAD``) points at in the work tree at ``path``."""
        ref = f"refs/heads/{branch}" if branch else "HEAD"
        found = _git(path, "rev-parse", "--quiet", "--verify", f"{ref}^{{commit}}")
        if found.returncode != 0:
            raise _mount_error(path, f"has no commit on {branch or 'HEAD'}; commit or check out the branch")
        return found.stdout.strip().lower()


def _remote_head(clone: str, branch: str) -> str:
    """The head of ``branch`` on the remote of the local clone ``clone``; the clone fetches it when it
    does not hold that commit yet, so that git can order it when the event is processed."""
    listed = _git(clone, "ls-remote", "--quiet", "origin", f"refs/heads/{branch}")
    if listed.returncode != 0:
        raise InvalidInput(f"git ls-remote of the clone's remote failed: {listed.stderr.strip()[:200]}")
    heads = [line.split("\t", 1)[0] for line in listed.stdout.splitlines() if line.endswith(f"refs/heads/{branch}")]
    if not heads:
        raise InvalidInput(f"the remote has no branch {branch!r}", fields={"branch": ["no such branch on the remote"]})
    head = heads[0].lower()
    if _git(clone, "cat-file", "-e", f"{head}^{{commit}}").returncode != 0:
        _git(clone, "fetch", "--quiet", "origin")
    return head


def _normalize_repo(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidInput("repo must be a string", fields={"repo": ["must be a string"]})
    from jolli.coordinates import normalize  # lazy: coordinates pulls in the provider URL shapes

    return str(normalize(text))


def _mount_error(path: str, problem: str) -> InvalidInput:
    return InvalidInput(f"mount path {path!r} {problem}", fields={"mountPath": [problem]})


def _repo_path(context: Any) -> str | None:
    if context is None:
        return None
    if isinstance(context, Mapping):
        path = context.get("repo_path") or context.get("repoPath")
    else:
        path = getattr(context, "repo_path", None)
    return str(path) if path else None


def _is_ancestor(repo: str, older: str, newer: str) -> bool | None:
    """git's answer to "is ``older`` an ancestor of ``newer``"; ``None`` when git does not know a commit."""
    code = _git(repo, "merge-base", "--is-ancestor", older, newer).returncode
    return {0: True, 1: False}.get(code)


def _split_z(output: str) -> tuple[str, ...]:
    return tuple(sorted(p for p in output.split("\0") if p))


def _git(cwd: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``git -C cwd args`` without a prompt, ignoring any GIT_DIR of the calling process."""
    import subprocess  # lazy: loading plugins (``jolli plugins``, ``--version``) should not pay for it

    env = {k: v for k, v in os.environ.items() if k not in _GIT_REPO_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        return subprocess.run(
            ["git", "-C", cwd, *args], capture_output=True, text=True, env=env, check=False,
            encoding="utf-8", errors="surrogateescape",
        )
    except FileNotFoundError:
        raise InvalidInput(
            "git is not installed or not on PATH; git sources need it",
            fields={"mountPath": ["git is not installed or not on PATH"]},
        ) from None


@hookimpl
def jolli_register_source_types(registry: SourceTypeRegistry) -> None:
    registry.add(GitSourceType())
