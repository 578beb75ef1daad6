"""``GET /api/health``: the server is up and its database answers (no token needed)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from jolli import __version__
from jolli.api.schemas import HealthSchema
from jolli.api.spec import doc
from jolli.store.db import database

bp = Blueprint("health", __name__)


@bp.get("/api/health")
@doc(summary="Liveness and database check", tag="health", responses={200: HealthSchema}, errors=(503,))
def health() -> dict[str, Any]:
    """Answers 200 when the database answers a trivial query, 503 (problem details) when it does not."""
    database.execute_sql("SELECT 1").fetchone()
    return HealthSchema().dump({"status": "ok", "version": __version__})
