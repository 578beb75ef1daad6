"""Errors of event intake and processing; the API turns them into problem+json with their status."""

from __future__ import annotations

from jolli.errors import JolliError, NotFound, Unauthorized
from jolli.events.status import RefusalReason

__all__ = ["BadSignature", "IntegrationNotFound", "LegacyJobError", "NoWebhooks"]


class IntegrationNotFound(NotFound):
    """A webhook URL naming no integration."""


class BadSignature(Unauthorized):
    """A webhook whose signature (or token) is missing or does not verify. Never says what was expected;
    ``check`` says which check failed (for the log, never the secret or the signature)."""

    def __init__(self, message: str, *, check: str = "signature missing or not matching",
                 reason: RefusalReason = RefusalReason.BAD_SIGNATURE) -> None:
        super().__init__(message)
        self.check = check
        self.reason = reason


class NoWebhooks(JolliError):
    """A delivery to an integration whose provider plugin does not verify webhooks."""

    status = 422
    title = "Webhooks not supported"


class LegacyJobError(JolliError):
    """A legacy per-space job that cannot be resolved to a source event (it is dead-lettered)."""

    status = 422
    title = "Unprocessable legacy job"
