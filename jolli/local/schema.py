"""The version 1 shape of ``.jolli/sources.json``: parse, check and dump it.

Built on the seed's contract (:class:`jolli.contracts.LocalSourceConfigSchema`) with two additions the
contract leaves open: keys are checked (``mounts`` by server source id, ``virtualSources`` by name) and a
mount may remember the server source's ``name`` as last seen, so commands can find it by name offline.
Duplicate JSON keys, which ``json`` would silently collapse, are an error here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from jolli.contracts import (
    NAME_HINT,
    NAME_RE,
    LocalSourceConfig,
    LocalSourceConfigSchema,
    LocalSourceEntry,
    LocalSourceEntrySchema,
)
from jolli.errors import InvalidInput

VERSION = 1
SOURCE_ID_RE = r"^[1-9][0-9]{0,18}$"


class LocalConfigError(InvalidInput):
    """The sources file cannot be used as it is; the message names the file and what is wrong."""

    def __init__(self, path: os.PathLike[str] | str, problem: str, *, details: list[str] | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.details = details or []
        text = f"{self.path}: {problem}"
        if self.details:
            text += "\n" + "\n".join(f"  - {d}" for d in self.details)
        super().__init__(text)


class ConfigNotWritable(LocalConfigError):
    """The sources file (or its folder, lock or backup) cannot be written."""


@dataclass
class MountEntry(LocalSourceEntry):
    """A mount of a server source; ``name`` is the server's name for it as last seen (may be absent)."""

    name: str | None = None


def _absolute(value: str) -> None:
    if not value or not os.path.isabs(value):
        raise ValidationError(f"must be an absolute path, got {value!r}")


class VirtualEntrySchema(LocalSourceEntrySchema):
    mount_path = fields.String(data_key="mountPath", required=True, validate=_absolute)
    type = fields.String(load_default="git", validate=validate.Length(min=1))


class MountEntrySchema(VirtualEntrySchema):
    name = fields.String(allow_none=True, validate=validate.Regexp(NAME_RE, error=f"must be {NAME_HINT}"))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> MountEntry:
        return MountEntry(**data)


class SourcesFileSchema(LocalSourceConfigSchema):
    mounts = fields.Dict(
        keys=fields.String(validate=validate.Regexp(SOURCE_ID_RE, error="must be a server source id (1, 2, ...)")),
        values=fields.Nested(MountEntrySchema),
        load_default=dict,
    )
    virtual_sources = fields.Dict(
        keys=fields.String(validate=validate.Regexp(NAME_RE, error=f"must be {NAME_HINT}")),
        values=fields.Nested(VirtualEntrySchema),
        data_key="virtualSources",
        load_default=dict,
    )


class DuplicateKeys(dict):
    """A JSON object that remembers the keys it held more than once, with every value they had."""

    duplicates: list[str]
    all_values: dict[str, list[Any]]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> DuplicateKeys:
    result = DuplicateKeys()
    result.duplicates = []
    result.all_values = {}
    for key, value in pairs:
        if key in result:
            if key not in result.all_values:
                result.duplicates.append(key)
                result.all_values[key] = [result[key]]
            result.all_values[key].append(value)
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """``json.loads`` keeping track of duplicate keys (see :func:`duplicate_keys`)."""
    return json.loads(text, object_pairs_hook=_pairs_hook)


def duplicate_keys(value: Any, where: str = "") -> list[str]:
    """Every ``path.key`` that appears twice in a parsed document."""
    found: list[str] = []
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", []):
            found.append(f"{where}{key}")
        for key, child in value.items():
            found.extend(duplicate_keys(child, f"{where}{key}."))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(duplicate_keys(child, f"{where}{i}."))
    return found


def flatten_errors(messages: Any, where: str = "") -> list[str]:
    """marshmallow's nested error dict as ``path: message`` lines (``value``/``key`` levels folded)."""
    if isinstance(messages, list):
        return [f"{where or '(top level)'}: {m}" for m in messages if isinstance(m, str)] + [
            line for m in messages if not isinstance(m, str) for line in flatten_errors(m, where)
        ]
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            if key == "value":
                lines.extend(flatten_errors(value, where))
            elif key == "key":
                lines.extend(flatten_errors(value, f"{where.rstrip('.')} (the key)"))
            else:
                lines.extend(flatten_errors(value, f"{where}.{key}" if where else str(key)))
        return lines
    return [f"{where}: {messages}"]


def load_config(data: Any, path: os.PathLike[str] | str) -> LocalSourceConfig:
    """Check a parsed version 1 document; raise :class:`LocalConfigError` listing every problem."""
    if not isinstance(data, dict):
        raise LocalConfigError(path, f"expected a JSON object, found {type(data).__name__}")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise LocalConfigError(
            path, f"version {version} was written by a newer jolli (this one reads version {VERSION}); upgrade jolli"
        )
    dupes = duplicate_keys(data)
    if dupes:
        raise LocalConfigError(path, "duplicate keys (only one of each would be kept)", details=dupes)
    try:
        config: LocalSourceConfig = SourcesFileSchema().load(data)
    except ValidationError as exc:
        raise LocalConfigError(path, "not a valid sources file", details=flatten_errors(exc.messages)) from None
    return config


def dump_config(config: LocalSourceConfig) -> dict[str, Any]:
    """The JSON form: optional fields left out when empty, mounts in id order, names sorted."""
    data = SourcesFileSchema().dump(config)

    def clean(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if v is not None}

    return {
        "version": VERSION,
        "mounts": {k: clean(data["mounts"][k]) for k in sorted(data.get("mounts", {}), key=int)},
        "virtualSources": {k: clean(data["virtualSources"][k]) for k in sorted(data.get("virtualSources", {}))},
    }


def empty_config() -> LocalSourceConfig:
    return LocalSourceConfig(version=VERSION)
