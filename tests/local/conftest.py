"""Fixtures for the local-config tests: real git work trees and a runner for the real CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from localgit import git

from jolli.testing.helpers import CliRunner


@pytest.fixture
def make_repo() -> Callable[..., Path]:
    """``make_repo(path, remote=..., branch=...)``: a git work tree with one commit."""

    def make(path: Path, remote: str | None = "git@github.com:acme/backend.git", branch: str = "main") -> Path:
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", branch)
        (path / "README.md").write_text("hello\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "first")
        if remote:
            git(path, "remote", "add", "origin", remote)
        return path

    return make


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()
