"""Every test of the archive plugin records archive listings in its own temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _archive_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test records listings in its own folder, never in the user's cache."""
    cache = tmp_path / "archive-cache"
    monkeypatch.setenv("JOLLI_ARCHIVE_CACHE", str(cache))
    return cache
