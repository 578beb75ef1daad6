"""Upgrading the legacy single-map sources file to the version 1 shape (SPEC.md section 7).

Legacy: ``{"version": 1, "sources": {name: {"type": "git", "path": "/abs", "sourceId"?: 7}}}``.
Entries with a ``sourceId`` become mounts (keyed by the id, keeping the name), the others virtual
sources. Nothing is dropped silently: an entry that cannot be carried over is reported with why, and a
collision (two names for one server source, or one name given twice) keeps the true source and reports
the other. The original file stays beside the new one as a backup (see :mod:`jolli.local.sources_file`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from jolli.formats import NAME_HINT, NAME_RE
from jolli.local.document import is_legacy as is_legacy
from jolli.local.records import Config, Entry
from jolli.repo_coordinate import COORDINATE_RE

KNOWN_FIELDS = {"type", "path", "sourceId", "repo", "branch"}
_NAME = re.compile(NAME_RE)


@dataclass
class Migration:
    """What an upgrade did: the new config and everything the user should hear about."""

    config: Config
    mounts: int = 0
    virtual: int = 0
    invalid: list[str] = field(default_factory=list)
    collisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backup: str | None = None

    @property
    def problems(self) -> list[str]:
        return self.invalid + self.collisions


def _source_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def _repo(value: Any) -> str | None:
    """A legacy ``repo`` as a canonical coordinate, or raise ValueError."""
    if not isinstance(value, str):
        raise ValueError("repo must be a string")
    if re.match(COORDINATE_RE, value):
        return value
    from jolli.coordinates import normalize  # only for the rare non-canonical legacy repo

    try:
        return str(normalize(value))
    except Exception as exc:  # noqa: BLE001 - any rejection is reported with its message
        raise ValueError(f"repo {value!r}: {exc}") from None


def _convert(name: str, raw: Any) -> tuple[Entry, int | None, list[str]]:
    """One legacy entry as (entry, sourceId or None, notes); raise ValueError saying why it is invalid."""
    if not _NAME.match(name):
        raise ValueError(f"the name must be {NAME_HINT}")
    if not isinstance(raw, dict):
        raise ValueError(f"expected an object, found {type(raw).__name__}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise ValueError("'path' is missing")
    if not os.path.isabs(path):
        raise ValueError(f"'path' must be absolute, got {path!r}")
    kind = raw.get("type", "git")
    if not isinstance(kind, str) or not kind:
        raise ValueError("'type' must be a non-empty string")
    repo = _repo(raw["repo"]) if raw.get("repo") is not None else None
    branch = raw.get("branch")
    if branch is not None and (not isinstance(branch, str) or not branch):
        raise ValueError("'branch' must be a non-empty string")
    source_id = None
    if raw.get("sourceId") is not None:
        source_id = _source_id(raw["sourceId"])
        if source_id is None:
            raise ValueError(f"'sourceId' must be a positive integer, got {raw['sourceId']!r}")
    notes = []
    unknown = sorted(set(raw) - KNOWN_FIELDS)
    if unknown:
        notes.append(f"{name}: ignored unknown field(s) {', '.join(unknown)} (kept in the backup)")
    if source_id is not None:
        return Entry(mount_path=path, type=kind, repo=repo, branch=branch, name=name), source_id, notes
    return Entry(mount_path=path, type=kind, repo=repo, branch=branch), None, notes


def migrate(data: dict[str, Any]) -> Migration:
    """The version 1 config for a legacy document; raise ValueError if its ``sources`` is not a map."""
    sources = data.get("sources")
    if not isinstance(sources, dict):
        raise ValueError(f"'sources' must be an object, found {type(sources).__name__}")
    result = Migration(config=Config())
    all_values = getattr(sources, "all_values", {})
    converted = []
    for name in sorted(sources):
        values = all_values.get(name, [sources[name]])
        for index, raw in enumerate(values):
            label = name if len(values) == 1 else f"{name} (entry {index + 1} of {len(values)} with this name)"
            try:
                entry, source_id, notes = _convert(name, raw)
            except ValueError as exc:
                result.invalid.append(f"{label}: {exc}; not migrated (kept in the backup)")
                continue
            converted.append((name, source_id is None, index, label, entry, source_id, notes))
    # per name, a true source (with a sourceId) wins over a virtual one; then the first in the file
    owners: dict[int, str] = {}
    taken: dict[str, str] = {}
    for name, _, _, label, entry, source_id, notes in sorted(converted, key=lambda c: c[:3]):
        if name in taken:
            result.collisions.append(
                f"{label}: the name {name!r} is already taken by {taken[name]}; not migrated (kept in the "
                f"backup); to keep it, add it under another name: "
                f"'jolli source add <new-name> --mount {entry.mount_path}'"
            )
            continue
        if source_id is not None:
            if source_id in owners:
                result.collisions.append(
                    f"{label}: points at server source {source_id} like {owners[source_id]!r}, which keeps the "
                    f"mount; not migrated (kept in the backup); to keep it, add it as a virtual source: "
                    f"'jolli source add {name} --mount {entry.mount_path}'"
                )
                continue
            result.notes.extend(notes)
            owners[source_id] = name
            taken[name] = f"the mount of server source {source_id}"
            result.config.mounts[str(source_id)] = entry
            result.mounts += 1
        else:
            result.notes.extend(notes)
            taken[name] = "a virtual source"
            result.config.virtual_sources[name] = entry
            result.virtual += 1
    return result
