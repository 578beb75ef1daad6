"""Validation shared by the resources: source types, canonical repos, integration coverage, unique names.

Each check raises a :class:`jolli.errors.JolliError` naming the JSON field, so the error handler can answer
with per-field messages.
"""

from __future__ import annotations

import json
from typing import Any

from jolli.api.schemas import IntegrationCreateSchema
from jolli.contracts import LocalSourceEntrySchema, SourceSchema, SpaceSourceSchema, json_names
from jolli.coordinates import RepoCoordinate
from jolli.errors import Conflict, InvalidInput, NoMatch, NotAvailable
from jolli.matching import IntegrationIndex, IntegrationScope
from jolli.registry import get_plugins
from jolli.source_type import SourceType
from jolli.store.models import Integration, Org

#: Python names used by plugins and marshmallow -> JSON names in error messages (the schemas' ``data_key``s).
JSON_NAMES = json_names(SourceSchema, SpaceSourceSchema, IntegrationCreateSchema, LocalSourceEntrySchema)


def json_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Error fields renamed to their JSON names."""
    return {JSON_NAMES.get(key, key): value for key, value in fields.items()}


def source_type(name: str) -> SourceType:
    """The registered source type ``name``; 422 "not available (plugin may not be installed)" otherwise."""
    try:
        return get_plugins().source_type(name)
    except NotAvailable as exc:
        raise NotAvailable(exc.message, fields={"type": [exc.message]}) from None


def extra_hosts(org: Org) -> dict[str, str]:
    """Self-hosted hosts this org registered integrations for: host -> provider name."""
    rows = Integration.select(Integration.host, Integration.provider).where(Integration.org == org).distinct()
    return {row.host: row.provider for row in rows}


def canonical_repo(text: str, org: Org, field: str = "repo") -> RepoCoordinate:
    """``text`` (any URL form users paste) as a canonical coordinate, or a 400 naming ``field``."""
    from jolli.coordinates import normalize

    try:
        return normalize(text, extra_hosts=extra_hosts(org), plugins=get_plugins())
    except InvalidInput as exc:  # InvalidCoordinate included
        raise InvalidInput(exc.message, fields={field: [exc.message]}) from None


def integration_repos(row: Integration) -> list[str] | None:
    """An integration's selected repos (stored as JSON), or ``None`` for all."""
    return json.loads(row.repos) if row.repos else None


def scope_of(row: Integration) -> IntegrationScope:
    repos = integration_repos(row)
    return IntegrationScope(
        id=row.id, provider=row.provider, host=row.host, owner=row.owner,
        repos=frozenset(repos) if repos is not None else None, name=row.name,
    )


def integration_in_org(integration_id: int, org: Org, field: str = "integrationId") -> Integration:
    """The org's integration ``integration_id``, or a 400 naming ``field`` (another org's is unknown too)."""
    row = Integration.get_or_none((Integration.id == integration_id) & (Integration.org == org))
    if row is None:
        raise InvalidInput(
            f"integration {integration_id} does not exist in this org; list them with GET /api/integrations",
            fields={field: [f"no integration {integration_id} in this org"]},
        )
    return row


def check_covered(repo: str, integration: Integration) -> None:
    """A 400 on ``repo`` when ``integration`` does not cover it."""
    scope = scope_of(integration)
    try:
        IntegrationIndex([scope]).match(repo)
    except NoMatch:
        message = (
            f"repo {repo} is not covered by integration {integration.id} "
            f"({integration.provider}, {scope.scope_text()} on {integration.host})"
        )
        raise InvalidInput(message, fields={"repo": [message]}) from None


def check_unique_name(model: Any, org: Org, name: str | None, exclude_id: int | None = None) -> None:
    """A 409 when another object of ``model`` (a model with ``org`` and ``name``) in ``org`` has ``name``."""
    if name is None:
        return
    query = model.select(model.id).where((model.org == org) & (model.name == name))
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    other = query.first()
    if other is not None:
        kind = model.__name__.lower()
        raise Conflict(
            f"a {kind} called {name!r} already exists in this org (id {other.id}); names are unique per org",
            fields={"name": [f"already used by {kind} {other.id}"]},
        )


def type_fields(stype: SourceType, values: dict[str, Any]) -> dict[str, Any]:
    """Run the source type's own field validation, with error fields in JSON names."""
    try:
        return stype.validate_fields(dict(values))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, fields=json_fields(exc.fields)) from None
