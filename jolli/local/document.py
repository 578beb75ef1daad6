"""Turning the text of ``.jolli/sources.json`` into a :class:`~jolli.local.records.Config`.

JSON is parsed keeping track of duplicate keys (which ``json`` would silently collapse). A well-formed
version 1 document is read by :func:`quick_config` without marshmallow; anything else goes through the
schemas (:func:`jolli.local.schema.load_with_schema`), which accept or list every problem.
"""

from __future__ import annotations

import os
import re
from typing import Any

from jolli import json_input
from jolli.formats import NAME_RE, SOURCE_ID_RE
from jolli.local.records import VERSION, Config, Entry, LocalConfigError
from jolli.repo_coordinate import COORDINATE_RE as _COORDINATE

_NAME = re.compile(NAME_RE)
_SOURCE_ID = re.compile(SOURCE_ID_RE)
#: The JSON names the schemas (:mod:`jolli.local.schema`) define; ``tests/local/test_document.py`` compares them.
_FILE_KEYS = {"version", "mounts", "virtualSources"}
_ENTRY_KEYS = {"mountPath", "type", "repo", "branch"}


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
    """``json.loads`` keeping track of duplicate keys (see :func:`duplicate_keys`); too deep a document is a
    ``JSONDecodeError`` (:func:`jolli.json_input.parse`)."""
    return json_input.parse(text, object_pairs_hook=_pairs_hook)


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


def is_legacy(data: Any) -> bool:
    """Whether a parsed document has the legacy shape (a ``sources`` map, no ``mounts``/``virtualSources``)."""
    return isinstance(data, dict) and "sources" in data and "mounts" not in data and "virtualSources" not in data


def _quick_entry(raw: Any, with_name: bool) -> Entry | None:
    if not isinstance(raw, dict) or not set(raw) <= (_ENTRY_KEYS | {"name"} if with_name else _ENTRY_KEYS):
        return None
    path, kind = raw.get("mountPath"), raw.get("type", "git")
    repo, branch, name = raw.get("repo"), raw.get("branch"), raw.get("name")
    if not isinstance(path, str) or not os.path.isabs(path) or not isinstance(kind, str) or not kind:
        return None
    if repo is not None and not (isinstance(repo, str) and _COORDINATE.match(repo)):
        return None
    if branch is not None and not isinstance(branch, str):
        return None
    if name is not None and not (isinstance(name, str) and _NAME.match(name)):
        return None
    return Entry(mount_path=path, type=kind, repo=repo, branch=branch, name=name)


def quick_config(data: Any) -> Config | None:
    """The config of a plainly valid version 1 document, or ``None`` when the schemas must decide."""
    if not isinstance(data, dict) or not set(data) <= _FILE_KEYS:
        return None
    if type(data.get("version")) is not int or data["version"] != VERSION or duplicate_keys(data):
        return None
    mounts, virtual = data.get("mounts", {}), data.get("virtualSources", {})
    if not isinstance(mounts, dict) or not isinstance(virtual, dict):
        return None
    config = Config()
    for key, raw in mounts.items():
        entry = _quick_entry(raw, with_name=True)
        if entry is None or not _SOURCE_ID.match(key):
            return None
        config.mounts[key] = entry
    for key, raw in virtual.items():
        entry = _quick_entry(raw, with_name=False)
        if entry is None or not _NAME.match(key):
            return None
        config.virtual_sources[key] = entry
    return config


def read_config(data: Any, path: os.PathLike[str] | str) -> Config:
    """A parsed version 1 document as a config; raise :class:`LocalConfigError` listing every problem."""
    quick = quick_config(data)
    if quick is not None:
        return quick
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
    from jolli.local.schema import load_with_schema

    return load_with_schema(data, path)
