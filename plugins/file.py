"""The built-in ``file`` source type: a plain folder of files, with an opaque cursor and no repo."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from jolli import hookimpl
from jolli.errors import InvalidInput
from jolli.source_type import MountInfo, SourceType, unexpected_type_fields

if TYPE_CHECKING:  # pragma: no cover
    from jolli.registry import SourceTypeRegistry

MAX_CURSOR = 512


class FileSourceType(SourceType):
    """Files in a folder; the cursor is any non-empty string the producer chooses (timestamp, digest ...)."""

    name = "file"
    description = "A folder of files; cursor is an opaque string (timestamp, digest ...); no repo."
    uses_repo = False
    requires_repo = False

    def validate_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A file source carries no ``repo`` or ``branch`` and links to no integration."""
        errors: dict[str, list[str]] = {}
        for key in ("repo", "branch"):
            if fields.get(key) is not None:
                errors[key] = [f"a file source has no {key}; remove {key} or use type 'git'"]
        for key in ("integration_id", "integrationId"):
            if fields.get(key) is not None:
                errors[key] = ["a file source cannot link an integration (integrations cover git repos); remove it"]
        if extra := unexpected_type_fields(self.name, fields):
            errors["fields"] = extra
        if errors:
            raise InvalidInput("invalid file source: " + "; ".join(m for ms in errors.values() for m in ms),
                               fields=errors)
        return dict(fields)

    def validate_mount(self, path: str) -> MountInfo:
        """An absolute path to an existing directory (symlinks resolved)."""
        if not path or not os.path.isabs(path):
            raise _mount_error(path, "must be an absolute path to a folder, e.g. /home/me/notes")
        if not os.path.exists(path):
            raise _mount_error(path, "does not exist; create the folder or fix the path")
        if not os.path.isdir(path):
            raise _mount_error(path, "is not a directory; pass the folder that holds the files")
        return MountInfo(path=os.path.realpath(path))

    def validate_cursor(self, value: str) -> str:
        """Any non-blank string up to 512 characters, kept exactly as given."""
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(
                "cursor value must be a non-empty string for a file source (e.g. a timestamp or a digest)",
                fields={"value": ["must be a non-empty string"]},
            )
        if len(value) > MAX_CURSOR:
            raise InvalidInput(
                f"cursor value is {len(value)} characters; a file cursor holds at most {MAX_CURSOR}",
                fields={"value": [f"must be at most {MAX_CURSOR} characters"]},
            )
        return value

    def mount_cursor(self, path: str, branch: str | None = None) -> str:
        """``sha256:<hex>`` of the folder's files (names and contents), ignoring ``.git`` and ``.jolli``."""
        return folder_digest(self.validate_mount(path).path)


#: Folders left out of a file source's digest (version control and jolli's own state).
IGNORED_FOLDERS = frozenset({".git", ".jolli"})


def folder_digest(root: str) -> str:
    """A digest of every file under ``root`` (relative path and bytes; a symlink by its target), in
    sorted order, so that it changes exactly when a file is added, removed, renamed or edited."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_FOLDERS)
        for name in sorted(files):
            full = os.path.join(folder, name)
            one = hashlib.sha256()
            if os.path.islink(full):
                one.update(b"link:" + os.readlink(full).encode("utf-8", "surrogateescape"))
            else:
                with open(full, "rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        one.update(chunk)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            digest.update(relative.encode("utf-8", "surrogateescape") + b"\0" + one.hexdigest().encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def _mount_error(path: str, problem: str) -> InvalidInput:
    return InvalidInput(f"mount path {path!r} {problem}", fields={"mountPath": [problem]})


@hookimpl
def jolli_register_source_types(registry: SourceTypeRegistry) -> None:
    registry.add(FileSourceType())
