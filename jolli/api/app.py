"""The Flask application factory.

``create_app`` opens the configured database (the shared peewee proxy), connects per request and closes
in teardown, authenticates every ``/api`` call (:mod:`jolli.api.auth`), turns every error into problem
details (:mod:`jolli.api.errors`) and registers each blueprint named in :mod:`jolli.api.blueprints`, in
order and without a URL prefix: blueprints write full paths under ``/api/``. flask-smorest blueprints
(:class:`jolli.api.rest.Blueprint`) are registered through its ``Api``, which documents them; a plain Flask
blueprint is served too, its routes listed in the OpenAPI document by their docstrings.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import flask_smorest
from flask import Blueprint, Flask, current_app, request
from werkzeug.routing import IntegerConverter

from jolli.api.auth import authenticate
from jolli.api.blueprints import BLUEPRINTS
from jolli.api.checks import EVENT_SETTINGS
from jolli.api.request import JolliRequest, StrictJSONProvider, limit_reads
from jolli.api.rest import Api
from jolli.api.schemas import MAX_ID
from jolli.events.config import EventSettings
from jolli.settings import AppSettings
from jolli.store.db import database, open_database


class IdConverter(IntegerConverter):
    """``<int:...>`` that never overflows the store: an id beyond BIGINT becomes 0, which no row has (a 404).
    ASCII digits only (werkzeug's would take ``١``, an Arabic-Indic digit, as 1)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        return number if number <= MAX_ID else 0


def create_app(config: Mapping[str, Any] | None = None, settings: AppSettings | None = None,
               events: EventSettings | None = None) -> Flask:
    """Build the API app from ``settings`` and ``events`` (default: read from the environment now, once, see
    :mod:`jolli.settings`), then ``config`` (Flask keys, for tests and embedding: ``DATABASE_URL``,
    ``MAX_CONTENT_LENGTH``, ``WEBHOOK_MAX_CONTENT_LENGTH``, ``BODY_TIMEOUT``, ``PUBLIC_URL`` (base of
    ``webhookUrl``)). ``events`` serve ``POST /api/sources/:id/sync`` and the webhook health."""
    settings = settings or AppSettings.from_env()
    app = Flask("jolli", static_folder=None)
    app.extensions[EVENT_SETTINGS] = events or EventSettings.from_env()
    app.request_class = JolliRequest  # 413 for chunked bodies over the limit too
    app.config.update(
        DATABASE_URL=settings.database_url,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        WEBHOOK_MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        BODY_TIMEOUT=settings.body_timeout,
        PUBLIC_URL=settings.public_url,
    )
    if config:
        app.config.update(config)
    app.json = StrictJSONProvider(app)  # no deep nesting, no duplicate keys in bodies
    app.url_map.converters["int"] = IdConverter
    open_database(app.config["DATABASE_URL"], settings.db_pool_size)

    api = Api(app)  # flask-smorest, and every error as problem details (jolli.api.errors)
    app.before_request(_connect)
    app.before_request(authenticate)
    app.teardown_request(_close)
    for target in BLUEPRINTS:
        _register(app, api, target)
    from jolli.console import register_console

    register_console(app)  # the operations console under /console (its own sign-in and error pages)
    from jolli.api.webhooks import WebhookIntake

    app.wsgi_app = WebhookIntake(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


def _register(app: Flask, api: Api, target: str) -> None:
    module_name, attr = target.split(":")
    blueprint: Blueprint = getattr(importlib.import_module(module_name), attr)
    before = {rule.rule for rule in app.url_map.iter_rules()}
    if isinstance(blueprint, flask_smorest.Blueprint):
        api.register_blueprint(blueprint)
    else:
        app.register_blueprint(blueprint)
        api.register_plain(blueprint)
    for rule in app.url_map.iter_rules():
        if rule.rule not in before and not rule.rule.startswith("/api/"):
            raise RuntimeError(
                f"blueprint {blueprint.name!r} ({target}) adds route {rule.rule!r}; blueprints are registered "
                "without a prefix, so routes must be full paths under /api/"
            )


def _connect() -> None:
    """Read the body, then take a database connection: a slow sender holds a thread while its body arrives
    (for at most ``BODY_TIMEOUT`` seconds of silence), never one of the pool's connections."""
    limit_reads(request.environ, current_app.config["BODY_TIMEOUT"])
    if request.method in ("POST", "PUT", "PATCH") and request.endpoint != "webhooks.receive_webhook":
        request.get_data(cache=True)  # (the webhook view reads its own, larger, body with no connection held)
    database.connect(reuse_if_open=True)


def _close(_exc: BaseException | None) -> None:
    if not database.is_closed():
        database.close()

