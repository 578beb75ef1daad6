"""The real app over its test client, on a real SQLite file and a real PostgreSQL database (``db_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apihelp import Api
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture
def app(db: object, db_url: str) -> Iterator[Flask]:
    from jolli.api.app import create_app

    yield create_app({"DATABASE_URL": db_url})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_api(client: FlaskClient, org_name: str) -> Api:
    from jolli.store.admin import create_org, create_token

    org = create_org(org_name)
    _row, token = create_token(org, "test")
    return Api(client, token, org)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """Authenticated as org ``acme``."""
    return make_api(client, "acme")


@pytest.fixture
def other_api(client: FlaskClient) -> Api:
    """Authenticated as another org, ``globex``."""
    return make_api(client, "globex")


@pytest.fixture
def anonymous(client: FlaskClient) -> Api:
    return Api(client, None)
