"""``GET /api/health``: the server is up and its database answers (no token needed)."""

from __future__ import annotations

from typing import Any

from jolli import __version__
from jolli.api.rest import Blueprint
from jolli.api.schemas import HealthSchema
from jolli.errors import JolliError
from jolli.store.db import database
from jolli.store.migrate import not_applied

bp = Blueprint("health", __name__)


@bp.get("/api/health")
@bp.response(200, HealthSchema)
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
def health() -> dict[str, Any]:
    """Liveness and database check

    Answers 200 when the database answers and is at the current schema, 503 (problem details) when it
    does not, as every other call then would."""
    missing = not_applied(database)
    if missing:
        raise NotMigrated(f"the database is not at the current schema (pending: {', '.join(missing)}); "
                          "run `jolli db upgrade`")
    return {"status": "ok", "version": __version__}


class NotMigrated(JolliError):
    status = 503
    title = "Service unavailable"
