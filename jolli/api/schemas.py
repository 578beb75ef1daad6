"""Request and response bodies of the API, derived from the seed's contracts in :mod:`jolli.contracts`.

Response schemas add what the server knows (``cursorVersion``, ``webhookUrl``); create schemas drop the
server-set fields; PATCH schemas make every field optional without defaults. Unknown fields are always an
error (the contracts' ``StrictSchema``).
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import peewee
from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from jolli import contracts
from jolli.contracts import MAX_ID, NAME_HINT, NAME_RE, StrictSchema

ID_RANGE = validate.Range(min=1, max=MAX_ID)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=ID_RANGE, **kwargs)


def patch_schema(base: type[Schema], name: str) -> type[Schema]:
    """A PATCH body: ``base``'s writable fields, none required, no defaults, unknown fields rejected."""
    attrs: dict[str, Any] = {}
    excluded = set(getattr(getattr(base, "Meta", None), "exclude", ()))
    for key, field in base._declared_fields.items():
        if field.dump_only or key in excluded:
            continue
        clone = copy.deepcopy(field)
        clone.required = False
        clone.load_default = missing
        attrs[key] = clone
    attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    attrs["__doc__"] = f"Fields to change (all optional): {base.__doc__ or base.__name__}"
    return type(name, (Schema,), attrs)


# --- errors and lists --------------------------------------------------------------------------------
class CandidateSchema(Schema):
    """An integration covering a repo, as told apart from the others covering it (``IntegrationScope.describe``)."""

    id = fields.Integer()
    name = fields.String(allow_none=True)
    provider = fields.String()
    host = fields.String()
    owner = fields.String(allow_none=True)
    scope = fields.String(metadata={"description": "what it covers, in words (owner acme, all repos)"})
    repos = fields.List(fields.String(), allow_none=True)
    verdict = fields.String(metadata={"description": "explain only: chosen, tied or set-aside"})
    rule = fields.String(metadata={"description": "explain only: the rule that chose it or set it aside"})


class ProblemSchema(Schema):
    """RFC 9457 problem details: the body of every error."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    instance = fields.String()
    candidates = fields.List(fields.Nested(CandidateSchema),
                             metadata={"description": "integrations that fit (409 ambiguous)"})


class PageQuerySchema(StrictSchema):
    """Keyset pagination: ``limit`` items after the id ``after`` (pass the previous page's ``next``)."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    after = fields.Integer(validate=validate.Range(min=0, max=MAX_ID))


class IntegrationQuerySchema(PageQuerySchema):
    """``repo``: answer which integration covers this repo (404 none, 409 several)."""

    repo = fields.String(validate=validate.Length(min=1, max=2048))


class ExplainQuerySchema(Schema):
    """``repo``: the repo (any URL form) to explain."""

    class Meta:
        unknown = RAISE

    repo = fields.String(required=True, validate=validate.Length(min=1, max=2048))


def page(query: Any, key: peewee.Field, limit: int, after: int | None, *,
         desc: bool = False) -> tuple[list[Any], int | None]:
    """One keyset page of ``query`` ordered by ``key`` (newest first with ``desc``, ``after`` then meaning
    "before"): the rows, and the ``after`` of the next page (``None`` on the last)."""
    if after is not None:
        query = query.where(key < after if desc else key > after)
    rows = list(query.order_by(key.desc() if desc else key).limit(limit + 1))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, int(rows[-1].__data__[key.name])
    return rows, None


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """``{"items": [...], "next": <id or null>}``."""
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.Integer(
                allow_none=True, required=True,
                metadata={"description": "pass as ?after= for the next page; null on the last page"},
            ),
            "__doc__": f"One page of {item.__name__.removesuffix('Schema')} items.",
        },
    )


# --- checks ------------------------------------------------------------------------------------------
def _time(**kwargs: Any) -> fields.String:
    """A time the events store gives as ISO 8601 text (UTC, ``+00:00``), as marshmallow writes every other."""
    return fields.String(allow_none=True, metadata={"format": "date-time"}, **kwargs)


class CheckStateSchema(Schema):
    """A source's checks: the last one, the next, and its own interval."""

    lastCheckedAt = _time()  # noqa: N815 - the check state is kept in its JSON names
    result = fields.String(allow_none=True, metadata={"description": "changed, known, unchanged, error ..."})
    detail = fields.String(allow_none=True)
    eventId = fields.Integer(allow_none=True)  # noqa: N815
    lastValue = fields.String(allow_none=True)  # noqa: N815
    nextCheckAt = _time()  # noqa: N815
    intervalSeconds = fields.Float(allow_none=True, metadata={"description": "its own interval; null: the default"})  # noqa: N815
    running = fields.Boolean()
    failures = fields.Integer()


class WebhookGapSchema(Schema):
    """A push that only a check found."""

    eventId = fields.Integer()  # noqa: N815
    repo = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    headSha = fields.String()  # noqa: N815
    foundAt = _time()  # noqa: N815


class WebhookHealthSchema(Schema):
    """Is an integration's webhook delivering (docs/api.md "Checks")."""

    status = fields.String(metadata={"description": "ok or degraded"})
    lastVerifiedDeliveryAt = _time()  # noqa: N815
    refusedDeliveries24h = fields.Integer(metadata={"description": "deliveries refused in the last 24 h"})  # noqa: N815
    refusedByReason24h = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={  # noqa: N815
        "description": "those refused deliveries counted by reason"})
    webhookGaps24h = fields.Integer()  # noqa: N815
    webhookGaps = fields.List(fields.Nested(WebhookGapSchema))  # noqa: N815
    checksPausedUntil = _time()  # noqa: N815
    checksPauseReason = fields.String(allow_none=True)  # noqa: N815
    fix = fields.String(allow_none=True)


# --- sources -----------------------------------------------------------------------------------------
def _type_fields() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), attribute="fields", data_key="fields", allow_none=True,
        metadata={"description": "the source type's own fields (e.g. an archive's url), checked by the type"},
    )


class SourceSchema(contracts.SourceSchema):
    """A source (the seed's Source), with its type's own ``fields`` and the version its cursor
    compare-and-swap uses."""

    type_fields = _type_fields()
    cursor_version = fields.Integer(data_key="cursorVersion", dump_only=True)
    check = fields.Nested(CheckStateSchema, dump_only=True, allow_none=True,
                          metadata={"description": "one source only (not in lists); null before its first check"})


class SourceCreateSchema(contracts.SourceSchema):
    """A new source. ``repo`` may be any URL form; it is stored canonical (``host/owner/repo``)."""

    repo = fields.String(allow_none=True, validate=validate.Length(min=1, max=2048))
    branch = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    integration_id = _id(data_key="integrationId", allow_none=True)
    type_fields = _type_fields()

    class Meta(StrictSchema.Meta):
        exclude = ("id", "cursor", "created_at", "updated_at")


SourcePatchSchema = patch_schema(SourceCreateSchema, "SourcePatchSchema")


class CursorPatchSchema(StrictSchema):
    """A new cursor value, checked by the source type; ``expectedVersion`` makes it a compare-and-swap."""

    value = fields.String(required=True, validate=validate.Length(min=1, max=512))
    expected_version = fields.Integer(
        data_key="expectedVersion", strict=True, validate=validate.Range(min=0, max=MAX_ID),
        metadata={"description": "the cursorVersion you read; 409 if the cursor changed since"},
    )


# --- spaces and bindings -----------------------------------------------------------------------------
class SpaceSchema(StrictSchema):
    """A space."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Regexp(NAME_RE, error=f"must be {NAME_HINT}"))
    created_at = fields.DateTime(data_key="createdAt", dump_only=True)
    updated_at = fields.DateTime(data_key="updatedAt", dump_only=True)


class SpaceCreateSchema(SpaceSchema):
    """A new space."""

    class Meta(StrictSchema.Meta):
        exclude = ("id", "created_at", "updated_at")


SpacePatchSchema = patch_schema(SpaceCreateSchema, "SpacePatchSchema")


class SpaceSourceSchema(contracts.SpaceSourceSchema):
    """A binding of a source to a space (the seed's SpaceSource)."""

    source_id = _id(data_key="sourceId", required=True)


class SpaceSourceCreateSchema(SpaceSourceSchema):
    """A new binding."""

    class Meta(StrictSchema.Meta):
        exclude = ("space_id", "created_at")


# --- integrations ------------------------------------------------------------------------------------
class IntegrationSchema(contracts.IntegrationSchema):
    """An integration. ``webhookSecret`` and ``accessToken`` are write-only: never returned."""

    previous_secret_valid_until = fields.AwareDateTime(
        data_key="previousSecretValidUntil", dump_only=True, allow_none=True,
        metadata={"description": "until when the webhook secret before the last change still verifies deliveries; "
                                 "null when only the current one does"},
    )
    webhook_health = fields.Nested(WebhookHealthSchema, data_key="webhookHealth", dump_only=True)
    credential_kind = fields.String(data_key="credentialKind", dump_only=True, metadata={
        "description": "the credential's shape, one its provider declares (github: token, app; gitlab: "
                       "personal-token, group-token, project-token; ...)"})
    app_id = fields.String(data_key="appId", dump_only=True, allow_none=True)
    username = fields.String(dump_only=True, allow_none=True)
    token_expires_at = fields.AwareDateTime(data_key="tokenExpiresAt", dump_only=True, allow_none=True)


def _no_credentials(url: str) -> None:
    """A URL is stored and shown: a password in it would be too (the token belongs in ``accessToken``)."""
    if "@" in urlsplit(url).netloc:
        raise ValidationError("must not hold credentials (user:password@); give the token as accessToken")


class IntegrationCreateSchema(contracts.IntegrationSchema):
    """A new integration: a provider on a host, for one owner (or the whole host), optionally some repos."""

    provider = fields.String(required=True, validate=validate.Length(min=1, max=64))
    host = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=255), validate.Regexp(r"^[A-Za-z0-9.-]+$", error="must be a host name")],
    )
    owner = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    repos = fields.List(
        fields.String(validate=validate.Length(min=1, max=2048)), allow_none=True,
        validate=validate.Length(min=1, error="must list at least one repo, or be null for all"),
    )
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=128))
    installation_id = fields.String(data_key="installationId", allow_none=True, validate=validate.Length(max=128))
    api_base_url = fields.Url(
        data_key="apiBaseUrl", allow_none=True, require_tld=False, schemes={"http", "https"},
        validate=[validate.Length(max=512), _no_credentials],
    )
    webhook_secret = fields.String(
        data_key="webhookSecret", load_only=True, allow_none=True, validate=validate.Length(min=1, max=512)
    )
    access_token = fields.String(
        data_key="accessToken", load_only=True, allow_none=True, validate=validate.Length(min=1, max=2048)
    )
    credential_kind = fields.String(data_key="credentialKind", allow_none=True,
                                    validate=validate.Length(min=1, max=32))
    app_id = fields.String(data_key="appId", allow_none=True, validate=[
        validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9.]+$", error="must be the App's ID, e.g. 123456")])
    private_key = fields.String(data_key="privateKey", load_only=True, allow_none=True,
                                validate=validate.Length(min=1, max=16384))
    username = fields.String(allow_none=True, validate=validate.Length(min=1, max=255))
    app_password = fields.String(data_key="appPassword", load_only=True, allow_none=True,
                                 validate=validate.Length(min=1, max=2048))
    token_expires_at = fields.AwareDateTime(data_key="tokenExpiresAt", allow_none=True)

    class Meta(StrictSchema.Meta):
        exclude = ("id", "webhook_url", "created_at", "updated_at")


class IntegrationPatchSchema(patch_schema(IntegrationCreateSchema, "IntegrationPatchBase")):  # type: ignore[misc]
    """Fields to change (all optional). With ``webhookSecret``, ``previousSecretValidUntil`` keeps the secret
    being replaced valid until then (both verify meanwhile); alone, it moves that time (null: stop now)."""

    previous_secret_valid_until = fields.AwareDateTime(
        data_key="previousSecretValidUntil", allow_none=True, load_default=missing,
        metadata={"description": "until when the replaced webhook secret still verifies deliveries"},
    )


class ExplainSourceSchema(Schema):
    """A source tracking the explained repo."""

    id = fields.Integer()
    name = fields.String()
    branch = fields.String(allow_none=True)
    integrationId = fields.Integer(allow_none=True)  # noqa: N815 - explain lists its sources in JSON names
    linked = fields.Boolean(metadata={"description": "whether its integrationId is one of the org's integrations"})


class ExplainSchema(Schema):
    """Which integration covers a repo, the credential a call would use, where its webhooks must come, and
    every integration on its host with the rule that chose or set it aside."""

    repo = fields.String(required=True)
    integration = fields.Nested(IntegrationSchema, allow_none=True,
                                metadata={"description": "the covering integration, or null"})
    credential = fields.Dict(allow_none=True, metadata={
        "description": "kind, owner, expiresAt, configured (and appId, installationId for an App); never a secret"})
    webhook_url = fields.String(data_key="webhookUrl", allow_none=True)
    webhook = fields.String(allow_none=True, metadata={"description": "how deliveries for the repo reach jolli"})
    candidates = fields.List(fields.Nested(CandidateSchema),
                             metadata={"description": "every integration on the repo's host, with its verdict and rule"})
    other_hosts = fields.Integer(data_key="otherHosts", metadata={"description": "integrations on other hosts"})
    sources = fields.List(fields.Nested(ExplainSourceSchema), metadata={
        "description": "the org's sources tracking the repo, and the integration each one's calls use"})
    problem = fields.String(allow_none=True, metadata={"description": "why no integration is chosen, if none is"})


class HealthSchema(Schema):
    """Liveness and database reachability."""

    status = fields.String(required=True)
    version = fields.String(required=True)


SourcePageSchema = page_schema(SourceSchema, "SourcePageSchema")
SpacePageSchema = page_schema(SpaceSchema, "SpacePageSchema")
SpaceSourcePageSchema = page_schema(SpaceSourceSchema, "SpaceSourcePageSchema")
IntegrationPageSchema = page_schema(IntegrationSchema, "IntegrationPageSchema")


# --- events ------------------------------------------------------------------------------------------
class _Ids(fields.List):
    """A list of ids (or refs) that older rows may hold as null: always a list."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any] | None:
        return super()._serialize(value or [], attr, obj, **kwargs)


class EventJobSchema(Schema):
    """The job that carries an event (or a legacy per-space job) through the worker."""

    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    run_after = fields.DateTime(data_key="runAfter")
    failures = fields.Integer()
    takeovers = fields.Integer()
    last_error = fields.String(data_key="lastError", allow_none=True)
    finished_at = fields.DateTime(data_key="finishedAt", allow_none=True)


class EventSchema(Schema):
    """A source event: one new head of a source, and the spaces it affects."""

    id = fields.Integer()
    source_id = fields.Integer(data_key="sourceId")
    event_jrn = fields.String(data_key="eventJrn")
    head_sha = fields.String(data_key="headSha")
    before_sha = fields.String(data_key="beforeSha", allow_none=True)
    branch = fields.String(allow_none=True)
    repo = fields.String(allow_none=True)
    affected_space_ids = _Ids(fields.Integer(), data_key="affectedSpaceIds")
    version = fields.Integer()
    kind = fields.String()
    origin = fields.String(metadata={"description": "webhook, legacy, poll or manual"})
    forced = fields.Boolean()
    order_assumed = fields.Boolean(data_key="orderAssumed")
    status = fields.String()
    integration_id = fields.Integer(data_key="integrationId", allow_none=True)
    delivery_id = fields.String(data_key="deliveryId", allow_none=True)
    received_at = fields.DateTime(data_key="receivedAt")
    finished_at = fields.DateTime(data_key="finishedAt", allow_none=True)


class EventSpaceSchema(Schema):
    """Where one affected space stands for an event (only ``spaceId`` and ``status: pending`` before any)."""

    space_id = fields.Integer(data_key="spaceId")
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(data_key="nextAttemptAt", allow_none=True)
    reason = fields.String(allow_none=True)
    detail = fields.Raw(allow_none=True)
    updated_at = fields.DateTime(data_key="updatedAt")


class AuditSchema(Schema):
    """One outcome recorded for a space."""

    id = fields.Integer()
    event_id = fields.Integer(data_key="eventId", allow_none=True)
    space_id = fields.Integer(data_key="spaceId")
    source_id = fields.Integer(data_key="sourceId")
    event_jrn = fields.String(data_key="eventJrn")
    head_sha = fields.String(data_key="headSha")
    outcome = fields.String(metadata={"description": "processed, skipped-duplicate, skipped-stale, failed ..."})
    reason = fields.String(allow_none=True)
    attempt = fields.Integer()
    detail = fields.Raw(allow_none=True)
    worker = fields.String(allow_none=True)
    created_at = fields.DateTime(data_key="createdAt")


class EventDetailSchema(EventSchema):
    """An event with its jobs, where each affected space stands, and its audit trail."""

    jobs = fields.List(fields.Nested(EventJobSchema))
    spaces = fields.List(fields.Nested(EventSpaceSchema))
    audit = fields.List(fields.Nested(AuditSchema))


class DeliverySchema(Schema):
    """A verified webhook delivery that created no event: ignored (with the reason) or a duplicate."""

    id = fields.Integer()
    integration_id = fields.Integer(data_key="integrationId")
    provider = fields.String()
    delivery_id = fields.String(data_key="deliveryId", allow_none=True)
    outcome = fields.String()
    reason = fields.String(allow_none=True)
    refs = _Ids(fields.String())
    event_ids = _Ids(fields.Integer(), data_key="eventIds")
    received_at = fields.DateTime(data_key="receivedAt")


class RetryResultSchema(Schema):
    """What a retry queued again."""

    eventId = fields.Integer()  # noqa: N815 - retry_event answers in JSON names
    spaceIds = fields.List(fields.Integer())  # noqa: N815
    jobId = fields.Integer(allow_none=True)  # noqa: N815


class QueuedJobsSchema(Schema):
    """The legacy jobs queued, in the order sent."""

    job_ids = fields.List(fields.Integer(), data_key="jobIds")


class WebhookAnswerSchema(Schema):
    """A delivery's answer: ``accepted`` (202, the events stored), ``duplicate`` (202, the events already
    stored) or ``ignored`` (200, with the reason). Written by :meth:`jolli.events.store.StoreResult.to_dict`
    on the webhook fast path (:class:`jolli.api.webhooks.WebhookIntake`); a test holds the two together."""

    status = fields.String(required=True, metadata={"description": "accepted, duplicate or ignored"})
    eventIds = fields.List(fields.Integer(), required=True)  # noqa: N815 - StoreResult.to_dict's JSON names
    duplicateEventIds = fields.List(fields.Integer())  # noqa: N815
    recordedEventIds = fields.List(fields.Integer())  # noqa: N815
    reason = fields.String()
    deliveryId = fields.String()  # noqa: N815


EventPageSchema = page_schema(EventSchema, "EventPageSchema")
AuditPageSchema = page_schema(AuditSchema, "AuditPageSchema")
DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPageSchema")
