"""``GET /api/integrations/explain?repo=``: which integration covers a repo and why, which credential a
call would use (kind, owner, expiry; never the secret), where its webhook deliveries must come, and
every integration on the repo's host with the rule that chose or set it aside."""

from __future__ import annotations

from typing import Any

from peewee import fn

from jolli.api import rules
from jolli.api.auth import current_org
from jolli.api.integrations import integration_dict, webhook_url
from jolli.api.rest import Blueprint
from jolli.api.schemas import ExplainQuerySchema, ExplainSchema
from jolli.errors import NotAvailable
from jolli.integration_ref import ref_of
from jolli.matching import explain
from jolli.registry import get_plugins
from jolli.store.models import Integration, Source

bp = Blueprint("explain", __name__)


@bp.get("/api/integrations/explain", tags=["integrations"])
@bp.arguments(ExplainQuerySchema, location="query")
@bp.response(200, ExplainSchema)
def explain_repo(args: dict[str, Any]) -> dict[str, Any]:
    """Explain which integration covers ?repo= and which credential it uses

    200 whether or not one covers it (``integration`` null and ``problem`` saying why); 400 for a repo
    that is not a coordinate or URL.
    """
    org = current_org()
    repo = str(rules.canonical_repo(args["repo"], org))
    by_id = {row.id: row for row in Integration.select().where(Integration.org == org)}
    chosen, considered, other_hosts = explain(repo, (rules.scope_of(row) for row in by_id.values()))
    answer: dict[str, Any] = {"repo": repo, "integration": None, "credential": None, "webhook_url": None,
                              "webhook": None, "candidates": [c.describe() for c in considered],
                              "other_hosts": other_hosts, "sources": _sources(org, repo, by_id), "problem": None}
    if chosen is None:
        tied = [c for c in considered if c.verdict == "tied"]
        answer["problem"] = (
            f"{len(tied)} integrations cover {repo} equally specifically: "
            + ", ".join(f"#{c.scope.id}" for c in tied) + "; narrow one (owner, selected repos) or choose one "
            "with --integration-id" if tied else
            f"no integration covers {repo}; register one for its host or owner, or add it to one's selected repos")
        return answer
    row = by_id[int(chosen.id)]
    answer.update(integration=integration_dict(row), webhook_url=webhook_url(row.id))
    try:
        credential = ref_of(row).credential
        answer.update(credential=credential.describe() if credential is not None else None,
                      webhook=_webhook_text(row, by_id))
    except NotAvailable as exc:  # its provider's plugin is not loaded: no call and no delivery can use it
        answer["problem"] = f"integration {row.id} covers {repo}, but {exc.message}"
    return answer


def _webhook_text(row: Integration, by_id: dict[int, Integration]) -> str:
    """How the repo's push deliveries reach jolli through ``row``."""
    kind = get_plugins().provider(row.provider).credential_kind(row.credential_kind)
    if not kind.by_installation:
        return (f"the provider's push webhook for {row.owner or row.host} must deliver to {webhook_url(row.id)} "
                "with the integration's webhook secret")
    siblings = sorted(i for i, other in by_id.items() if other.app_id == row.app_id and other.host == row.host
                      and other.provider == row.provider)
    return (f"App {row.app_id} sends the deliveries of all its installations to one URL with one secret: "
            f"{webhook_url(row.id)} (or the URL of any of its integrations {', '.join(map(str, siblings))}); "
            f"those naming installation {row.installation_id} reach this integration's sources")


def _sources(org: Any, repo: str, by_id: dict[int, Integration]) -> list[dict[str, Any]]:
    """The org's sources tracking ``repo``; a linked source's calls use its linked integration."""
    rows = Source.select(Source.id, Source.name, Source.branch, Source.integration).where(
        (Source.org == org) & (fn.LOWER(Source.repo) == repo.lower())).order_by(Source.id).limit(50)
    return [{"id": s.id, "name": s.name, "branch": s.branch, "integrationId": s.integration_id,
             "linked": s.integration_id is not None and s.integration_id in by_id} for s in rows]
