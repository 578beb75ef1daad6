"""The API tests' fixtures (the real app over its test client on SQLite and PostgreSQL: ``app``, ``client``,
``api``, ``other_api``, ``anonymous``) and the API and event test helpers, for the security tests."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parents[1]
sys.path.insert(0, str(TESTS / "api"))
sys.path.insert(0, str(TESTS / "events"))
sys.path.insert(0, str(TESTS / "cli"))
sys.path.insert(0, str(TESTS / "providers"))

from served import JolliServer  # noqa: E402

_spec = importlib.util.spec_from_file_location("api_fixtures", TESTS / "api" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_api_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_api_fixtures)

app = _api_fixtures.app
client = _api_fixtures.client
api = _api_fixtures.api
other_api = _api_fixtures.other_api
anonymous = _api_fixtures.anonymous


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JolliServer]:
    """A real ``jolli serve`` on a loopback port, with its access log and debug logging on (``server.log``)."""
    server = JolliServer(tmp_path_factory.mktemp("server"), "--access-log", "--log-level", "debug").start()
    try:
        yield server
    finally:
        server.stop()
