"""The overview: changes per hour by outcome, the queue, and each integration's webhook health."""

from __future__ import annotations

from typing import Any

from flask import render_template

from jolli.api.checks import integration_health
from jolli.console import figures
from jolli.console.blueprint import bp, org
from jolli.console.chart import hourly_chart
from jolli.store.models import Integration

#: At most this many integrations are shown on the overview (the integrations page lists them all).
SHOWN_INTEGRATIONS = 20


def overview_figures() -> dict[str, Any]:
    """Everything the overview shows, for the page and for its live updates."""
    current = org()
    changes = figures.hourly_changes(current.id)
    integrations = list(Integration.select(Integration.id, Integration.name, Integration.provider, Integration.host,
                                           Integration.owner)
                        .where(Integration.org == current.id).order_by(Integration.id).limit(SHOWN_INTEGRATIONS))
    return {"changes": changes, "chart": hourly_chart(changes), "outcomes": figures.CHART_OUTCOMES,
            "queue": figures.queue(current.id),
            "integrations": [(row, integration_health(row.id)) for row in integrations]}


@bp.get("/")
def overview() -> str:
    return render_template("console/overview.html", **overview_figures())


@bp.get("/overview/live")
def overview_live() -> str:
    return render_template("console/_overview_live.html", **overview_figures())
