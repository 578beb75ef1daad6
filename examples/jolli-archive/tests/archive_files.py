"""Archives built in memory for the tests."""

from __future__ import annotations

import io
import tarfile
import zipfile


def make_zip(files: dict[str, bytes]) -> bytes:
    """A zip file holding ``files`` (path -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_tar(files: dict[str, bytes], compression: str = "gz") -> bytes:
    """A tarball (gzip-compressed by default) holding ``files``, each under ``./``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
