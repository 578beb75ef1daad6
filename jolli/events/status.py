"""The states of event processing, one ``StrEnum`` per state machine, used in code, SQL and JSON alike.

- :class:`EventStatus`: a source event, ``queued`` -> ``processing`` -> ``processed`` | ``stale`` | ``failed``
  (``deleted`` for a branch deletion, which is recorded and never processed).
- :class:`JobStatus`: a job of the queue, ``queued`` -> ``running`` -> ``done`` | ``dead`` (the dead letter).
- :class:`SpaceStatus`: where one space stands for one event.
- :class:`Outcome`: one audit row's outcome for one (event, space).
- :class:`Origin`: who observed the change (a webhook, a legacy job, jolli's own check, a person).
- :class:`RefusalReason`: why a webhook delivery to a known integration was refused (counted per hour).
"""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    PROCESSED = "processed"
    STALE = "stale"
    FAILED = "failed"
    DELETED = "deleted"


class EventKind(StrEnum):
    PUSH = "push"
    DELETE = "delete"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class JobKind(StrEnum):
    EVENT = "event"
    LEGACY = "legacy"


class SpaceStatus(StrEnum):
    PROCESSED = "processed"
    SKIPPED_STALE = "skipped-stale"
    RETRYING = "retrying"
    DEAD = "dead"


#: Space states that need no more work for the event.
SPACE_DONE = (SpaceStatus.PROCESSED, SpaceStatus.SKIPPED_STALE)


class Outcome(StrEnum):
    PROCESSED = "processed"
    SKIPPED_DUPLICATE = "skipped-duplicate"
    SKIPPED_STALE = "skipped-stale"
    FAILED = "failed"


class Origin(StrEnum):
    WEBHOOK = "webhook"
    LEGACY = "legacy"
    POLL = "poll"
    MANUAL = "manual"


class DeliveryOutcome(StrEnum):
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class RefusalReason(StrEnum):
    NO_SECRET = "no-secret"  # the integration has no webhook secret to verify with
    BAD_SIGNATURE = "bad-signature"  # the signature (or token) is missing, malformed or does not match
    TOO_LARGE = "too-large"  # the body is over WEBHOOK_MAX_CONTENT_LENGTH
    BAD_BODY = "bad-body"  # the body cannot be read or parsed as the provider's push
    NO_WEBHOOKS = "no-webhooks"  # the integration's provider plugin does not verify webhooks
