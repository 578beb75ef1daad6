"""The operations console: server-rendered pages under ``/console``, served by the API's own app.

:func:`register_console` adds the blueprint (:mod:`jolli.console.blueprint`) and its pages: sign-in
(:mod:`~jolli.console.signin`), overview, sources, events and integrations, each a module of its own.
"""

from __future__ import annotations

from flask import Flask


def register_console(app: Flask) -> None:
    """Serve the console under ``/console``."""
    from jolli.console import events, integrations, overview, signin, sources  # noqa: F401 - they add routes
    from jolli.console.blueprint import bp

    app.register_blueprint(bp, url_prefix="/console")
