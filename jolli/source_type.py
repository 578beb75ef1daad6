"""Base class of a source type (``git``, ``file``, third-party ``archive`` ...).

A source type owns the validation of its own fields, of a local mount and of a cursor value, and knows
how to list what changed between two cursors. Subclass it and register an instance through the
``jolli_register_source_types`` hook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MountInfo:
    """What a source type found at a local mount path."""

    path: str
    repo: str | None = None
    branch: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeSet:
    """What changed between two cursors of one source.

    ``relation`` is one of ``ahead``, ``behind``, ``identical``, ``diverged``, ``unknown``: where the head
    stands relative to the old cursor.
    """

    base: str | None
    head: str
    relation: str = "unknown"
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckContext:
    """What jolli hands :meth:`SourceType.current_cursor`: the source's coordinates and the validators
    of the previous check (send them back as a conditional request so that "unchanged" costs nothing).

    ``client`` is ``(ProviderClient, RepoCoordinate)`` for a source linked to an integration, else
    ``None``; ``repo_path`` is a local clone under ``JOLLI_GIT_MIRRORS``, if there is one.
    """

    source_id: int
    repo: str | None = None
    branch: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    cursor: str | None = None
    last_value: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    repo_path: str | None = None
    client: Any = None


@dataclass(frozen=True)
class CursorCheck:
    """A source type's answer to "what is your cursor now?".

    ``value``: the cursor the source is at now. ``unchanged=True`` (``value`` may then be ``None``): the
    remote said "not modified" to the validators of the previous check. ``etag``/``last_modified``: the
    validators to send next time. ``wait``: seconds the remote asked to be left alone (a spent quota).
    """

    value: str | None
    unchanged: bool = False
    etag: str | None = None
    last_modified: str | None = None
    wait: float | None = None


class SourceType:
    """A kind of content a source can hold. Subclasses set ``name`` and override what they need."""

    #: Unique name, used as ``type`` in the API and ``--type`` in the CLI.
    name: str = ""
    #: One line for ``jolli plugins`` and the docs.
    description: str = ""
    #: Whether a source of this type must carry a ``repo`` coordinate.
    requires_repo: bool = False
    #: Whether a source of this type may carry ``repo``/``branch`` at all.
    uses_repo: bool = False

    def validate_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Check and normalise the type's own fields of a source body; raise ``InvalidInput`` naming the field."""
        return fields

    def validate_mount(self, path: str) -> MountInfo:
        """Check a local mount path (CLI only; the server never accepts mount paths)."""
        raise NotImplementedError(f"source type {self.name!r} does not support local mounts")

    def validate_cursor(self, value: str) -> str:
        """Check a cursor value before it is stored; return it normalised."""
        return value

    def is_stale(self, cursor: str | None, head: str, context: Any = None) -> bool | None:
        """Whether ``head`` is the cursor or behind it; ``None`` when this type cannot tell."""
        if cursor is None:
            return False
        return True if cursor == head else None

    def detect_changes(self, source: Any, base: str | None, head: str, context: Any = None) -> ChangeSet:
        """List what changed between two cursors; the default knows nothing beyond the two values."""
        if base == head:
            return ChangeSet(base=base, head=head, relation="identical")
        return ChangeSet(base=base, head=head)

    def current_cursor(self, source: Any, context: CheckContext) -> CursorCheck | None:
        """Where the source stands now, asked by the server's scheduled checks and ``POST /sync``.

        ``None`` (the default): the server cannot reach this type's content; its changes arrive only by
        ``jolli source sync`` from a mount (:meth:`mount_cursor`). Raise to report a failed check.
        """
        return None

    def mount_cursor(self, path: str, branch: str | None = None) -> str:
        """The cursor of a local mount (CLI only, ``jolli source sync``); validated by the server's
        :meth:`validate_cursor` like any cursor. Default: not supported."""
        raise NotImplementedError(f"source type {self.name!r} cannot read a cursor from a mount")


def unexpected_type_fields(type_name: str, values: dict[str, Any]) -> list[str]:
    """Messages for a ``fields`` object given to a source type that has no fields of its own."""
    extra = values.get("fields")
    if not extra:
        return []
    names = ", ".join(sorted(map(str, extra))) if isinstance(extra, dict) else repr(extra)
    return [f"a {type_name} source takes no type fields (got {names}); remove 'fields'"]
