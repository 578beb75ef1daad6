"""Hot-path reads as fixed SQL (no per-call query building): token lookup and one object by id.

peewee builds SQL anew on every call; for the reads every request makes this costs more than the query
itself. These run the same statements peewee would, as raw SQL, and still return model instances with
every field converted (``Model.raw``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import peewee

from jolli.store.models import ApiToken, Org
from jolli.store.sql import sql as _sql

M = TypeVar("M", bound=peewee.Model)

_TOKEN_SQL = (
    'SELECT t.*, o."name" AS org_name, o."created_at" AS org_created_at FROM "api_token" AS t '
    'JOIN "org" AS o ON o."id" = t."org_id" WHERE t."token_hash" = ? AND t."revoked_at" IS NULL'
)


def _first(model: type[M], template: str, *params: Any) -> M | None:
    for row in model.raw(_sql(template), *params):
        return row
    return None


def token_by_hash(digest: str) -> ApiToken | None:
    """The live token with this SHA-256 (hex), its ``org`` loaded; ``None`` if unknown or revoked."""
    row = _first(ApiToken, _TOKEN_SQL, digest)
    if row is None:
        return None
    extra: Any = row  # the joined org columns ride along as plain attributes
    org = Org()
    org.__data__ = {"id": row.__data__["org"], "name": extra.org_name,
                    "created_at": Org.created_at.python_value(extra.org_created_at)}
    row.org = org
    getattr(org, "_dirty").clear()  # noqa: B009 - peewee's private change set
    getattr(row, "_dirty").clear()  # noqa: B009
    return row


def in_org(model: type[M], object_id: int, org_id: int) -> M | None:
    """The ``model`` row ``object_id`` when it belongs to org ``org_id``, else ``None``."""
    table = model._meta.table_name
    return _first(model, f'SELECT * FROM "{table}" WHERE "id" = ? AND "org_id" = ?', object_id, org_id)
