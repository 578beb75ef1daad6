"""The version 1 shape of ``.jolli/sources.json`` as marshmallow schemas: the definition of the format.

Built on the seed's contract (:class:`jolli.contracts.LocalSourceConfigSchema`) with what the contract
leaves open made strict: keys are checked (``mounts`` by server source id, ``virtualSources`` by name),
mount paths must be absolute, and a mount may remember the server source's ``name`` as last seen.
"""

from __future__ import annotations

import os
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from jolli.contracts import NAME_HINT, NAME_RE, LocalSourceConfigSchema, LocalSourceEntrySchema
from jolli.formats import SOURCE_ID_RE
from jolli.local.records import VERSION, Config, Entry, LocalConfigError


def _absolute(value: str) -> None:
    if not value or not os.path.isabs(value):
        raise ValidationError(f"must be an absolute path, got {value!r}")


class VirtualEntrySchema(LocalSourceEntrySchema):
    mount_path = fields.String(data_key="mountPath", required=True, validate=_absolute)
    type = fields.String(load_default="git", validate=validate.Length(min=1))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Entry:
        return Entry(**data)


class MountEntrySchema(VirtualEntrySchema):
    name = fields.String(allow_none=True, validate=validate.Regexp(NAME_RE, error=f"must be {NAME_HINT}"))


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

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Config:
        return Config(**data)


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


def load_with_schema(data: Any, path: os.PathLike[str] | str) -> Config:
    """Load a parsed document with the schemas; raise :class:`LocalConfigError` listing every problem."""
    try:
        config: Config = SourcesFileSchema().load(data)
    except ValidationError as exc:
        raise LocalConfigError(path, "not a valid sources file", details=flatten_errors(exc.messages)) from None
    return config


def dump_config(config: Config) -> dict[str, Any]:
    """The JSON form: optional fields left out when empty, mounts in id order, names sorted."""
    schema = SourcesFileSchema()
    mounts = schema.fields["mounts"].value_field.schema  # type: ignore[attr-defined]
    virtual = schema.fields["virtual_sources"].value_field.schema  # type: ignore[attr-defined]

    def clean(entry: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in entry.items() if v is not None}

    return {
        "version": VERSION,
        "mounts": {k: clean(mounts.dump(config.mounts[k])) for k in sorted(config.mounts, key=int)},
        "virtualSources": {k: clean(virtual.dump(config.virtual_sources[k])) for k in sorted(config.virtual_sources)},
    }
