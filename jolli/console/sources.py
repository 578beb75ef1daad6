"""Sources: the list (search, filters; repo and cursor linked to the provider), and one source's page with
its events and cursor history. Sources are read as the API reads them (:mod:`jolli.api.sources`)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from marshmallow import fields, validate

from jolli.api.events import EventQuerySchema, events_page, org_events
from jolli.api.rules import extra_hosts
from jolli.api.schemas import MAX_ID, PageQuerySchema, page
from jolli.api.sources import get_source, source_dict
from jolli.console import figures
from jolli.console.blueprint import bp, org, query_args
from jolli.console.links import repo_links
from jolli.events.checks import source_check_row, source_check_rows
from jolli.store.models import Integration, Source

PAGE = 50


class SourceFilterSchema(PageQuerySchema):
    """``q``: part of the name or repo; ``integrationId``; ``enabled`` yes or no."""

    q = fields.String(validate=validate.Length(min=1, max=200))
    integration_id = fields.Integer(data_key="integrationId", validate=validate.Range(min=1, max=MAX_ID))
    enabled = fields.String(validate=validate.OneOf(("yes", "no")))


def listed() -> dict[str, Any]:
    """One page of the org's sources with each one's newest event, last check and links."""
    current = org()
    args = query_args(SourceFilterSchema(), ("q", "integrationId", "enabled", "after"), limit=PAGE)
    query = Source.select().where(Source.org == current.id)
    if "q" in args:
        query = query.where(Source.name.contains(args["q"]) | Source.repo.contains(args["q"]))
    if "integration_id" in args:
        query = query.where(Source.integration == args["integration_id"])
    if "enabled" in args:
        query = query.where(Source.enabled == (args["enabled"] == "yes"))
    rows, after = page(query, Source.id, args["limit"], args.get("after"))
    hosts = extra_hosts(current)
    newest = figures.newest_events([row.id for row in rows])
    checks = source_check_rows([row.id for row in rows])
    items = [{**source_dict(row), "links": repo_links(row.repo, hosts, row.cursor_value),
              "newest": newest.get(row.id), "check": checks.get(row.id)} for row in rows]
    integrations = list(Integration.select(Integration.id, Integration.name, Integration.host)
                        .where(Integration.org == current.id).order_by(Integration.id).limit(200))
    filters = {k: request.args.get(k, "") for k in ("q", "integrationId", "enabled")}
    return {"sources": items, "next": after, "filters": filters, "paged": "after" in args,
            "integrations": integrations, "integration_names": {i.id: i.name or i.host for i in integrations}}


@bp.get("/sources")
def sources() -> str:
    return render_template("console/sources.html", **listed())


@bp.get("/sources/rows")
def source_rows() -> str:
    return render_template("console/_source_rows.html", **listed())


def _source(source_id: int) -> dict[str, Any]:
    current = org()
    row = get_source(source_id, current)
    args = query_args(EventQuerySchema(), ("after",), order="desc", limit=PAGE, sourceId=row.id)
    events = events_page(org_events(current, args), args)
    integration = (Integration.select(Integration.name, Integration.host)
                   .where(Integration.id == row.integration_id, Integration.org == current.id).first()
                   if row.integration_id else None)
    return {"source": {**source_dict(row), "links": repo_links(row.repo, extra_hosts(current), row.cursor_value)},
            "integration_name": (integration.name or integration.host) if integration else None,
            "check": source_check_row(row.id), "events": events["items"], "next": events["next"],
            "history": figures.cursor_history(row.id)}


@bp.get("/sources/<int:source_id>")
def source(source_id: int) -> str:
    return render_template("console/source.html", **_source(source_id))


@bp.get("/sources/<int:source_id>/live")
def source_live(source_id: int) -> str:
    return render_template("console/_source_live.html", **_source(source_id))
