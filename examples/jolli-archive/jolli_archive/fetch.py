"""Fetching an archive over HTTPS and hashing it: the whole file and each member.

``requests`` is imported inside the functions that use it, so loading the plugin (which ``jolli plugins``
and every CLI command do) stays fast and does not import it.
"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urljoin

from jolli import errors

from jolli_archive import __version__
from jolli_archive.fields import validate_url

#: Largest archive downloaded, and largest total of its unpacked members (guards against zip bombs).
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
TIMEOUT = (10, 60)  # connect, read (seconds)
CHUNK = 1024 * 1024
MAX_REDIRECTS = 5


class ArchiveUnavailable(errors.JolliError):
    """The archive could not be fetched or read (network, HTTP status, size, not an archive)."""

    status = 502
    title = "Archive unavailable"


@dataclass(frozen=True)
class RemoteInfo:
    """What a ``HEAD`` request says about the archive."""

    url: str
    etag: str | None
    length: int | None
    last_modified: str | None
    not_modified: bool = False


@dataclass(frozen=True)
class Snapshot:
    """One downloaded version: its digest, its ETag and the digest of each member file."""

    url: str
    digest: str  # sha256:<hex> of the archive bytes
    etag: str | None
    size: int
    members: dict[str, str] = field(default_factory=dict)  # member path -> sha256:<hex>

    @property
    def cursor(self) -> str:
        """The cursor of this version: its content digest (stable across servers, unlike ETags)."""
        return self.digest


def display_url(url: str) -> str:
    """The URL without its query string, which may hold a signature or a token (presigned URLs)."""
    base, sep, _ = url.partition("?")
    return base + ("?..." if sep else "")


def _session() -> Any:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = f"jolli-archive/{__version__}"
    return session


def _request(method: str, url: str, **kwargs: Any) -> Any:
    """One request, following at most :data:`MAX_REDIRECTS` redirects, each to a URL ``validate_url``
    accepts (``https://``, an allowed host), so a redirect cannot lead the worker elsewhere."""
    import requests

    session = _session()
    for _ in range(MAX_REDIRECTS + 1):
        validate_url(url)
        try:
            response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise ArchiveUnavailable(f"{method} {display_url(url)} failed: {type(exc).__name__}") from None
        if response.is_redirect and response.headers.get("Location"):
            response.close()
            url = urljoin(url, response.headers["Location"])
            continue
        if response.status_code >= 400:
            response.close()
            raise ArchiveUnavailable(f"{method} {display_url(url)} answered HTTP {response.status_code}")
        return response
    raise ArchiveUnavailable(f"{method} {display_url(url)}: more than {MAX_REDIRECTS} redirects")


def head(url: str, etag: str | None = None, last_modified: str | None = None) -> RemoteInfo:
    """Ask the server for the archive's ETag and size without downloading it; with the validators of an
    earlier answer, a ``304 Not Modified`` says the archive is unchanged (``not_modified``)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    response = _request("HEAD", url, headers=headers)
    if response.status_code == 304:
        return RemoteInfo(url=url, etag=etag, length=None, last_modified=last_modified, not_modified=True)
    length = response.headers.get("Content-Length")
    return RemoteInfo(
        url=url,
        etag=response.headers.get("ETag"),
        length=int(length) if length and length.isdigit() else None,
        last_modified=response.headers.get("Last-Modified"),
    )


def download(url: str, fmt: str | None = None, max_bytes: int = MAX_DOWNLOAD_BYTES) -> Snapshot:
    """Download the archive (streamed to a temporary file) and hash it and its members."""
    response = _request("GET", url, stream=True)
    digest = hashlib.sha256()
    size = 0
    with response, tempfile.TemporaryFile() as tmp:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise ArchiveUnavailable(f"{display_url(url)} is larger than {max_bytes} bytes")
            digest.update(chunk)
            tmp.write(chunk)
        tmp.seek(0)
        members = member_digests(tmp, fmt)
        return Snapshot(
            url=url,
            digest="sha256:" + digest.hexdigest(),
            etag=response.headers.get("ETag"),
            size=size,
            members=members,
        )


def member_digests(fileobj: IO[bytes], fmt: str | None = None) -> dict[str, str]:
    """``{member path: sha256:<hex>}`` for every file of a zip or tar archive (directories left out)."""
    is_zip = fmt == "zip" if fmt else zipfile.is_zipfile(fileobj)
    fileobj.seek(0)
    try:
        return _zip_members(fileobj) if is_zip else _tar_members(fileobj)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        kind = "zip" if is_zip else "tar"
        raise ArchiveUnavailable(f"not a readable {kind} archive: {exc}") from None


def _hash_stream(stream: IO[bytes], budget: list[int]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise ArchiveUnavailable(f"archive unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _clean(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _zip_members(fileobj: IO[bytes]) -> dict[str, str]:
    budget = [MAX_UNPACKED_BYTES]
    result = {}
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            with archive.open(info) as member:
                result[_clean(info.filename)] = _hash_stream(member, budget)
    return result


def _tar_members(fileobj: IO[bytes]) -> dict[str, str]:
    budget = [MAX_UNPACKED_BYTES]
    result = {}
    with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
        for info in archive:
            name = _clean(info.name)
            if info.issym() or info.islnk():
                result[name] = "link:" + info.linkname
            elif info.isfile():
                member = archive.extractfile(info)
                if member is not None:
                    result[name] = _hash_stream(member, budget)
    return result


def changed_members(old: dict[str, str], new: dict[str, str]) -> tuple[str, ...]:
    """Paths added, removed or modified between two member listings, sorted."""
    return tuple(sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name)))
