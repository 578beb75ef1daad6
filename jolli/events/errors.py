"""Errors of event intake and processing; the API turns them into problem+json with their status."""

from __future__ import annotations

from jolli.errors import JolliError, NotFound, Unauthorized

__all__ = ["BadSignature", "IntegrationNotFound", "LegacyJobError", "NoWebhooks"]


class IntegrationNotFound(NotFound):
    """A webhook URL naming no integration."""


class BadSignature(Unauthorized):
    """A webhook whose signature (or token) is missing or does not verify. Never says what was expected."""


class NoWebhooks(JolliError):
    """A delivery to an integration whose provider plugin does not verify webhooks."""

    status = 422
    title = "Webhooks not supported"


class LegacyJobError(JolliError):
    """A legacy per-space job that cannot be resolved to a source event (it is dead-lettered)."""

    status = 422
    title = "Unprocessable legacy job"
