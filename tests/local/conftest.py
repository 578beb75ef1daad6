"""Fixtures for the local-config tests: real git work trees and a runner for the real CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import localgit
import pytest

from jolli.testing.helpers import CliRunner


@pytest.fixture
def make_repo() -> Callable[..., Path]:
    """``make_repo(path, remote=..., branch=...)``: a git work tree with one commit."""
    return localgit.make_repo


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()
