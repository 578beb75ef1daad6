"""``/api/integrations``: provider installations that cover repos, and which one covers a repo.

``webhookSecret`` and ``accessToken`` are write-only; every integration shows the ``webhookUrl`` its
provider should deliver pushes to.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Response, current_app, request, url_for

from jolli.api import rules
from jolli.api.auth import current_org
from jolli.api.rest import Blueprint
from jolli.api.schemas import (
    IntegrationCreateSchema,
    IntegrationPageSchema,
    IntegrationPatchSchema,
    IntegrationQuerySchema,
    IntegrationSchema,
    page,
)
from jolli.errors import Conflict, InvalidInput, NotAvailable, NotFound
from jolli.matching import IntegrationIndex
from jolli.registry import get_plugins
from jolli.store.models import Integration, Org, Source, utcnow

bp = Blueprint("integrations", __name__)

OWNER_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
WRITABLE = ("provider", "host", "owner", "repos", "name", "installation_id", "api_base_url", "webhook_secret",
            "access_token", "credential_kind", "app_id", "private_key", "username", "app_password",
            "token_expires_at")
#: Fields that belong to one credential kind or another (kept only when the kind needs them).
KIND_FIELDS = ("access_token", "app_id", "private_key", "username", "app_password")
#: A change to any of these verifies the credential again (a GitHub App: against GitHub's API).
CREDENTIAL_INPUTS = ("provider", "host", "owner", "api_base_url", "installation_id", "credential_kind", "app_id",
                     "private_key", "access_token", "username", "app_password")


def webhook_url(integration_id: int) -> str:
    """Where the provider delivers pushes for this integration (``PUBLIC_URL`` or the request's host)."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return f"{base.rstrip('/')}/api/webhooks/{integration_id}"


def integration_dict(row: Integration) -> dict[str, Any]:
    from jolli.api.checks import integration_health

    return {
        "id": row.id, "provider": row.provider, "host": row.host, "owner": row.owner,
        "repos": rules.integration_repos(row), "name": row.name, "installation_id": row.installation_id,
        "api_base_url": row.api_base_url, "webhook_url": webhook_url(row.id), "created_at": row.created_at,
        "updated_at": row.updated_at, "previous_secret_valid_until": _previous_until(row),
        "webhook_health": integration_health(row.id),
        "credential_kind": _kind_name(row),
        "app_id": row.app_id, "username": row.username, "token_expires_at": row.token_expires_at,
    }


def _kind_name(row: Integration) -> str | None:
    """The integration's credential kind (its provider's default when none is stored); as stored when its
    provider's plugin is not loaded."""
    try:
        return str(get_plugins().provider(row.provider).credential_kind(row.credential_kind).name)
    except (NotAvailable, InvalidInput):
        return row.credential_kind


def _previous_until(row: Integration) -> datetime | None:
    until = row.previous_secret_until
    return until if row.previous_webhook_secret and until is not None and until > utcnow() else None


def _previous_secret_updates(row: Integration, changes: dict[str, Any], updates: dict[str, Any]) -> None:
    """The previous webhook secret after a PATCH: the replaced secret kept until ``previousSecretValidUntil``
    when a new one comes with it; that time moved (null: dropped) when it comes alone; else dropped on change."""
    if "previous_secret_valid_until" not in changes:
        if "webhook_secret" in updates:
            updates.update(previous_webhook_secret=None, previous_secret_until=None)
        return
    until = changes["previous_secret_valid_until"]
    if until is not None and until <= utcnow():
        raise InvalidInput("previousSecretValidUntil must be in the future (null ends the overlap now)",
                           fields={"previousSecretValidUntil": ["must be in the future"]})
    if until is None:
        updates.update(previous_webhook_secret=None, previous_secret_until=None)
    elif "webhook_secret" in updates and row.webhook_secret:
        updates.update(previous_webhook_secret=row.webhook_secret, previous_secret_until=until)
    elif row.previous_webhook_secret and "webhook_secret" not in updates:
        updates["previous_secret_until"] = until
    else:
        raise InvalidInput(
            "no webhook secret is being replaced: send previousSecretValidUntil with the new webhookSecret",
            fields={"previousSecretValidUntil": ["needs a new webhookSecret in the same request"]},
        )


def get_integration(integration_id: int, org: Org) -> Integration:
    """The org's integration; 404 when missing or another org's."""
    row = Integration.get_or_none((Integration.id == integration_id) & (Integration.org == org))
    if row is None:
        raise NotFound(f"no integration {integration_id}", fields={"id": [f"no integration {integration_id} in this org"]})
    return row


def _provider(name: str) -> Any:
    try:
        return get_plugins().provider(name)
    except NotAvailable as exc:
        raise NotAvailable(exc.message, fields={"provider": [exc.message]}) from None


def checked(org: Org, values: dict[str, Any], exclude_id: int | None = None) -> dict[str, Any]:
    """An integration's values validated and normalised: provider and host agree, owner and repos
    are well formed and under host/owner (repos canonical, sorted), the name is unique."""
    provider = _provider(values["provider"])
    host = values["host"].lower()
    values["host"] = host
    owner_of_host = get_plugins().providers.for_host(host)
    if owner_of_host is not None and owner_of_host.name != provider.name:
        raise InvalidInput(
            f"{host} is served by provider {owner_of_host.name!r}, not {provider.name!r}",
            fields={"host": [f"belongs to provider {owner_of_host.name}"]},
        )
    if owner_of_host is None and not provider.self_hosted:
        hosts = ", ".join(provider.hosts) or "none"
        raise InvalidInput(
            f"provider {provider.name!r} is not self-hosted: it serves only {hosts}",
            fields={"host": [f"must be one of {hosts}"]},
        )
    owner = values.get("owner")
    if owner is not None:
        owner = provider.canonical_owner(owner.strip("/"))  # the provider's own spellings (~user)
        segments = owner.split("/")
        if not owner or not all(OWNER_SEGMENT.match(seg) for seg in segments):
            raise InvalidInput(f"owner {values['owner']!r} is not an owner name", fields={"owner": ["must be an owner such as my-org"]})
        if len(segments) > 1 and not provider.nested_namespaces:
            raise InvalidInput(
                f"{provider.name} has no nested owners: {owner!r}", fields={"owner": ["must be one segment"]}
            )
        values["owner"] = owner
    _check_kind(provider, values)
    repos = values.get("repos")
    if repos is not None:
        values["repos"] = _canonical_repos(org, repos, host, provider.name, owner)
    rules.check_unique_name(Integration, org, values.get("name"), exclude_id)
    return values


def _check_kind(provider: Any, values: dict[str, Any]) -> None:
    """The credential kind exists for the provider, has what it needs, and nothing another kind needs."""
    kind = provider.credential_kind(values.get("credential_kind"))
    if values.get("credential_kind") is not None:
        kind.check(values)
    for key in KIND_FIELDS:
        if values.get(key) is not None and key not in kind.needs:
            name = rules.JSON_NAMES.get(key, key)
            raise InvalidInput(f"{name} belongs to another credential kind than {kind.name}; "
                               "give the credentialKind it belongs to, or leave it out",
                               fields={name: [f"not used by credentialKind {kind.name}"]})


def verified(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` after the provider verified the credential (a GitHub App: key, installation for the owner,
    not suspended; the installation found is stored)."""
    from jolli.integration_ref import ref_from_values

    found = _provider(values["provider"]).check_credential(ref_from_values(values, with_credential=False))
    return {**values, **found}


def _canonical_repos(org: Org, repos: list[str], host: str, provider: str, owner: str | None) -> str:
    if not repos:
        raise InvalidInput("repos must list at least one repo, or be null for all", fields={"repos": ["must not be empty"]})
    hosts = {**rules.extra_hosts(org), host: provider}
    canonical = set()
    for index, text in enumerate(repos):
        field = f"repos.{index}"
        from jolli.coordinates import normalize

        try:
            repo = normalize(text, extra_hosts=hosts, plugins=get_plugins())
        except InvalidInput as exc:
            raise InvalidInput(exc.message, fields={field: [exc.message]}) from None
        under_owner = owner is None or (repo.owner.lower() + "/").startswith(owner.lower() + "/")
        if repo.host != host or not under_owner:
            where = f"{host}/{owner}" if owner else host
            raise InvalidInput(f"repo {repo} is not under {where}", fields={field: [f"must be under {where}"]})
        canonical.add(str(repo))
    if any(len(r) > 512 for r in canonical):
        raise InvalidInput("a repo is too long", fields={"repos": ["each at most 512 characters"]})
    return json.dumps(sorted(canonical))


def _check_sources_still_covered(row: Integration, values: dict[str, Any]) -> None:
    probe = Integration(**{**row.__data__, **{k: values.get(k) for k in ("provider", "host", "owner", "repos")}})
    linked = Source.select(Source.id, Source.repo).where(Source.integration == row.id)
    scope = IntegrationIndex([rules.scope_of(probe)])
    lost = [s for s in linked if s.repo is None or not scope.candidates(s.repo)]
    if lost:
        listing = ", ".join(f"{s.id} ({s.repo})" for s in lost[:20])
        raise Conflict(
            f"the change would leave linked sources uncovered: {listing}; relink or delete them first",
            fields={"_body": ["linked sources would no longer be covered"]},
        )


@bp.get("/api/integrations")
@bp.arguments(IntegrationQuerySchema, location="query")
@bp.response(200, IntegrationPageSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def list_integrations(args: dict[str, Any]) -> dict[str, Any]:
    """List integrations, or find the one covering ?repo=

    Without ``repo``: a page by ascending id. With ``repo`` (any URL form): the one integration that
    covers it, as a one-item page; 404 when none does, 409 listing the candidates when several do.
    """
    org = current_org()
    if "repo" in args:
        repo = rules.canonical_repo(args["repo"], org)
        by_id = {row.id: row for row in Integration.select().where(Integration.org == org)}
        found = IntegrationIndex(rules.scope_of(row) for row in by_id.values()).match(repo)
        return {"items": [integration_dict(by_id[int(found.id)])], "next": None}
    query = Integration.select().where(Integration.org == org)
    rows, after = page(query, Integration.id, args["limit"], args.get("after"))
    return {"items": [integration_dict(r) for r in rows], "next": after}


@bp.post("/api/integrations")
@bp.arguments(IntegrationCreateSchema)
@bp.response(201, IntegrationSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_integration(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Register an integration

    Secrets are stored but never returned.
    """
    org = current_org()
    values = verified(checked(org, data))
    now = utcnow()
    row = Integration.create(org=org, created_at=now, updated_at=now, **{k: values.get(k) for k in WRITABLE})
    return integration_dict(row), {"Location": url_for("integrations.get_integration_view", integration_id=row.id)}


@bp.get("/api/integrations/<int:integration_id>")
@bp.response(200, IntegrationSchema)
def get_integration_view(integration_id: int) -> dict[str, Any]:
    """Get an integration

    One integration of the org (no secrets).
    """
    return integration_dict(get_integration(integration_id, current_org()))


@bp.patch("/api/integrations/<int:integration_id>")
@bp.arguments(IntegrationPatchSchema)
@bp.response(200, IntegrationSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def patch_integration(changes: dict[str, Any], integration_id: int) -> dict[str, Any]:
    """Change an integration

    Only the given fields change; a change that would uncover a linked source is a 409.
    """
    org = current_org()
    row = get_integration(integration_id, org)
    current = {key: getattr(row, key) for key in WRITABLE}
    current["repos"] = rules.integration_repos(row)
    kind = _provider(changes.get("provider", row.provider)).credential_kind(
        changes.get("credential_kind", row.credential_kind))
    if "credential_kind" in changes:  # a new kind: what only the old one used goes, unless given again
        current.update({key: None for key in KIND_FIELDS if key not in kind.needs})
    if kind.by_installation and "owner" in changes and "installation_id" not in changes:
        current["installation_id"] = None  # another owner: its installation is looked up again
    values = checked(org, {**current, **{k: v for k, v in changes.items() if k in WRITABLE}}, exclude_id=row.id)
    if any(key in changes for key in CREDENTIAL_INPUTS):
        values = verified(values)
    _check_sources_still_covered(row, values)
    updates = {key: values.get(key) for key in WRITABLE if values.get(key) != getattr(row, key)}
    _previous_secret_updates(row, changes, updates)
    if updates:
        updates["updated_at"] = utcnow()
        Integration.update(**updates).where((Integration.id == row.id) & (Integration.org == org)).execute()
    return integration_dict(get_integration(integration_id, org))


@bp.delete("/api/integrations/<int:integration_id>")
@bp.response(204)
@bp.alt_response(409, response="CONFLICT")
def delete_integration(integration_id: int) -> Response:
    """Delete an integration

    Refused (409) while sources are linked to it.
    """
    org = current_org()
    row = get_integration(integration_id, org)
    linked = [s.id for s in Source.select(Source.id).where(Source.integration == row.id).limit(21)]
    if linked:
        shown = ", ".join(map(str, linked[:20])) + (" ..." if len(linked) > 20 else "")
        raise Conflict(
            f"integration {row.id} is linked to sources {shown}; unlink (PATCH integrationId: null) or delete them first",
            fields={"_body": ["integration is in use"]},
        )
    Integration.delete().where((Integration.id == row.id) & (Integration.org == org)).execute()
    return Response(status=204)
