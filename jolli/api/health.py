"""``GET /api/health``: the server is up and its database answers (no token needed)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from jolli import __version__
from jolli.api.schemas import HealthSchema
from jolli.api.spec import doc
from jolli.errors import JolliError
from jolli.store.db import database
from jolli.store.migrate import not_applied

bp = Blueprint("health", __name__)


@bp.get("/api/health")
@doc(summary="Liveness and database check", tag="health", responses={200: HealthSchema}, errors=(503,))
def health() -> dict[str, Any]:
    """Answers 200 when the database answers and is at the current schema, 503 (problem details) when it
    does not, as every other call then would."""
    missing = not_applied(database)
    if missing:
        raise NotMigrated(f"the database is not at the current schema (pending: {', '.join(missing)}); "
                          "run `jolli db upgrade`")
    return HealthSchema().dump({"status": "ok", "version": __version__})


class NotMigrated(JolliError):
    status = 503
    title = "Service unavailable"
