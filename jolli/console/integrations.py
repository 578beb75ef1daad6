"""Integrations: each one's webhook URL (to copy), its provider's setup steps, its webhook health and the
recent deliveries that created no event. Health is :func:`jolli.api.checks.integration_health`."""

from __future__ import annotations

from typing import Any

from flask import render_template

from jolli.api.checks import integration_health
from jolli.api.events import deliveries_page
from jolli.api.integrations import webhook_url
from jolli.console.blueprint import bp, org
from jolli.console.setup_steps import setup_steps
from jolli.store.models import Integration

#: At most this many integrations are listed.
SHOWN = 100
#: Recent deliveries listed per integration.
DELIVERIES = 5


def listed(everything: bool = True) -> dict[str, Any]:
    """The org's integrations with their health (and, for the page, URL, setup steps and recent deliveries)."""
    rows = list(Integration.select().where(Integration.org == org().id).order_by(Integration.id).limit(SHOWN))
    items: list[dict[str, Any]] = [{"row": row, "health": integration_health(row.id)} for row in rows]
    if everything:
        for item, row in zip(items, rows, strict=True):
            item.update(url=webhook_url(row.id), steps=setup_steps(row.provider),
                        deliveries=deliveries_page(row.id, {"limit": DELIVERIES, "order": "desc"})["items"])
    return {"integrations": items}


@bp.get("/integrations")
def integrations() -> str:
    return render_template("console/integrations.html", **listed())


@bp.get("/integrations/live")
def integrations_live() -> str:
    return render_template("console/_integrations_live.html", **listed(everything=False))
