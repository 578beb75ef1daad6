"""pytest fixtures for jolli plugin authors, loaded automatically through the ``pytest11`` entry point.

Every fixture name starts with ``jolli_`` so it cannot clash with a project's own fixtures, and none is
``autouse``: a test suite that asks for none of them is not affected at all. This module imports only
pytest and click at import time; Flask, peewee and the plugin manager are imported by the fixtures that
need them.

- ``jolli_home``: a private ``JOLLI_HOME``/``JOLLI_CONFIG_DIR`` and no ``JOLLI_URL``/``JOLLI_TOKEN`` from the
  environment.
- ``jolli_plugins``: a fresh plugin manager installed as :func:`jolli.registry.get_plugins` for one test.
- ``jolli_register_plugin``: ``jolli_register_plugin(obj, name=None)`` registers a plugin for one test.
- ``jolli_database_url``, ``jolli_app``: the API app on a migrated SQLite file in the test's temp folder.
- ``jolli_org``, ``jolli_token``, ``jolli_client``: an org, a bearer token for it, an authenticated
  Flask test client.
- ``jolli_server``: the app served on a loopback port; sets ``JOLLI_URL``/``JOLLI_TOKEN`` for the CLI.
- ``jolli_cli_runner``: runs ``jolli ...`` in-process with Click's runner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jolli.testing.helpers import CliRunner, PluginRegistrar, isolated_plugins, serve_app

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask
    from flask.testing import FlaskClient

    from jolli.registry import Plugins
    from jolli.store.models import Org

ORG_NAME = "test-org"


@pytest.fixture
def jolli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private jolli home for one test; the user's config, server and token are never used."""
    home = tmp_path / "jolli-home"
    monkeypatch.setenv("JOLLI_HOME", str(home))
    monkeypatch.setenv("JOLLI_CONFIG_DIR", str(tmp_path / "jolli-config"))
    for name in ("JOLLI_URL", "JOLLI_TOKEN", "JOLLI_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def jolli_plugins() -> Iterator[Plugins]:
    """A fresh plugin manager, the process-wide one for this test; the previous one comes back after.

    Entry points load lazily on first use, so set ``JOLLI_LOAD_PLUGINS`` (``monkeypatch.setenv``) before
    asking for a source type to test with a subset of the installed plugins.
    """
    with isolated_plugins() as plugins:
        yield plugins


@pytest.fixture
def jolli_register_plugin(jolli_plugins: Plugins) -> Iterator[PluginRegistrar]:
    """Register plugin objects or modules for one test: ``jolli_register_plugin(obj, name=None) -> name``.

    Fails the test with the plugin's error when jolli refuses it (an unknown hook, a taken source type
    or provider name, a hook that raises); unregisters everything afterwards.
    """
    registrar = PluginRegistrar(jolli_plugins)
    try:
        yield registrar
    finally:
        registrar.unregister_all()


@pytest.fixture
def jolli_database_url(tmp_path: Path) -> str:
    """A SQLite file in the test's temp folder (created and migrated by ``jolli_app``)."""
    return "sqlite:///" + str(tmp_path / "jolli-test.db")


@pytest.fixture
def jolli_app(
    jolli_database_url: str, jolli_home: Path, jolli_plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The jolli API (``jolli.api.app.create_app``) on a freshly migrated SQLite database.

    It sees the plugins of ``jolli_plugins`` (the installed ones, plus any ``jolli_register_plugin`` adds).
    """
    from jolli.api.app import create_app
    from jolli.store.db import database, open_database
    from jolli.store.migrate import upgrade

    monkeypatch.setenv("JOLLI_DATABASE_URL", jolli_database_url)
    previous = database.obj
    upgrade(open_database(jolli_database_url))
    app = create_app({"TESTING": True, "DATABASE_URL": jolli_database_url})
    try:
        yield app
    finally:
        if not database.is_closed():
            database.close()
        if previous is not None:
            database.initialize(previous)  # whatever the surrounding suite had opened


@pytest.fixture
def jolli_org(jolli_app: Flask) -> Org:
    """An org called ``test-org`` in the test database."""
    from jolli.store.admin import create_org

    return create_org(ORG_NAME)


@pytest.fixture
def jolli_token(jolli_org: Org) -> str:
    """A bearer token acting for ``jolli_org``."""
    from jolli.store.admin import create_token

    _, token = create_token(jolli_org, name="jolli-testing")
    return token


@pytest.fixture
def jolli_client(jolli_app: Flask, jolli_token: str) -> FlaskClient:
    """A Flask test client that sends ``Authorization: Bearer <jolli_token>`` with every request."""
    client = jolli_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {jolli_token}"
    return client


@pytest.fixture
def jolli_server(jolli_app: Flask, jolli_token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served on ``127.0.0.1`` (a free port) for the length of the test; yields its base URL.

    Sets ``JOLLI_URL`` and ``JOLLI_TOKEN`` so CLI commands run in the test talk to it as ``test-org``.
    """
    with serve_app(jolli_app) as url:
        monkeypatch.setenv("JOLLI_URL", url)
        monkeypatch.setenv("JOLLI_TOKEN", jolli_token)
        yield url


@pytest.fixture
def jolli_cli_runner(jolli_home: Path, jolli_plugins: Plugins) -> CliRunner:
    """Run the ``jolli`` command line in-process: ``jolli_cli_runner.invoke(["plugins", "--json"])``.

    The result has ``exit_code``, ``stdout``, ``stderr`` and ``json()`` (stdout parsed). Commands see the
    plugins of ``jolli_plugins``, and run with ``jolli_home`` as their home.
    """
    return CliRunner()


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which jolli the fixtures drive, when the run is verbose."""
    if config.get_verbosity() < 1:
        return None
    import jolli

    return f"jolli {jolli.__version__} (fixtures: jolli_app, jolli_client, jolli_cli_runner, jolli_register_plugin ...)"

