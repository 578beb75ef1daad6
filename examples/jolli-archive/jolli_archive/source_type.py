"""The ``archive`` source type: a tarball or zip file at an HTTPS URL.

Fields: ``url`` (required, ``https://``) and ``format`` (``zip``, ``tar``, ``tar.gz``, ``tar.bz2``,
``tar.xz``; inferred from the URL when left out). Cursor: the archive's content digest
``sha256:<hex>`` (an HTTP ETag is accepted too). Changes between two cursors are listed per member file
when both versions' listings are known (see :mod:`jolli_archive.manifests`), else reported as
``unknown``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from jolli.errors import InvalidInput
from jolli.source_type import ChangeSet, CheckContext, CursorCheck, MountInfo, SourceType

from jolli_archive import fetch, fields, manifests


def source_fields(source: Any) -> dict[str, Any]:
    """The archive fields of a source, whatever shape the caller holds it in.

    Accepts a store row or view with a ``fields`` attribute (a dict or its JSON text), or a mapping with a
    ``fields`` key, or the fields mapping itself.
    """
    raw = source.get("fields", source) if isinstance(source, dict) else getattr(source, "fields", None)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict) or not raw.get("url"):
        name = source.get("name") if isinstance(source, dict) else getattr(source, "name", "?")
        raise InvalidInput(f"archive source {name!r} has no url field", fields={"url": ["is required"]})
    return raw


def _mount_error(path: str, problem: str) -> InvalidInput:
    return InvalidInput(f"mount path {path!r} {problem}", fields={"mountPath": [problem]})


class ArchiveSourceType(SourceType):
    """A tarball or zip file at an HTTPS URL, tracked by its content digest."""

    name = "archive"
    description = "a tarball or zip file at an https:// URL; cursor: its sha256 digest or ETag"
    requires_repo = False
    uses_repo = False

    def validate_fields(self, values: dict[str, Any]) -> dict[str, Any]:
        """The whole source (``fields: {url, format}`` checked, no repo/branch/integration), normalised."""
        return fields.validate_fields(values)

    def validate_cursor(self, value: str) -> str:
        return fields.validate_cursor(value)

    def validate_mount(self, path: str) -> MountInfo:
        """A local folder holding an unpacked copy (for the CLI); it must be absolute and exist."""
        if not os.path.isabs(path):
            raise _mount_error(path, "must be an absolute path to a folder, e.g. /srv/docs")
        if not os.path.isdir(path):
            raise _mount_error(path, "must be an existing folder (where the archive is unpacked)")
        return MountInfo(path=os.path.realpath(path))

    def is_stale(self, cursor: str | None, head: str, context: Any = None) -> bool | None:
        """Stale when the head is the cursor; otherwise unknown (archive versions have no ancestry)."""
        if cursor is None:
            return False
        return True if cursor == head else None

    def detect_changes(self, source: Any, base: str | None, head: str, context: Any = None) -> ChangeSet:
        """Compare the member listings of ``base`` and ``head``, downloading the current version if needed."""
        data = source_fields(source)
        url, fmt = data["url"], data.get("format")
        if base is not None and manifests.same_version(url, base, head):
            return ChangeSet(base=base, head=head, relation="identical")
        head_members = manifests.load(url, head)
        base_members = manifests.load(url, base) if base is not None else {}
        if head_members is None or base_members is None:
            snapshot = fetch.download(url, fmt)
            manifests.save(snapshot)
            head_members = manifests.load(url, head)
            base_members = manifests.load(url, base) if base is not None else {}
        if head_members is None or base_members is None:
            # One of the two versions was never downloaded here: changed, but we cannot say which files.
            return ChangeSet(base=base, head=head, relation="unknown")
        return ChangeSet(
            base=base, head=head, relation="ahead", files=fetch.changed_members(base_members, head_members)
        )

    def current_cursor(self, source: Any, context: CheckContext) -> CursorCheck:
        """The archive's digest now: a conditional ``HEAD`` first (its ETag or Last-Modified unchanged:
        a 304, nothing downloaded), else the download's digest (its listing recorded for detect_changes)."""
        data = source_fields(source)
        url = data["url"]
        info = fetch.head(url, context.etag, context.last_modified)
        if info.not_modified:
            return CursorCheck(None, unchanged=True, etag=info.etag, last_modified=info.last_modified)
        snapshot = self.check(url, data.get("format"))
        return CursorCheck(snapshot.cursor, etag=info.etag or snapshot.etag, last_modified=info.last_modified)

    def check(self, url: str, fmt: str | None = None) -> fetch.Snapshot:
        """Download the current version, record its listing and return it (``jolli archive check``)."""
        snapshot = fetch.download(fields.validate_url(url), fmt)
        manifests.save(snapshot)
        return snapshot
