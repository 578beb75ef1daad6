"""Exception types shared by the core, the API and the CLI.

Each kind of client error is one class; the API turns them into RFC 9457 problem details and the CLI
into a message on stderr with exit code 2 (bad input) or 1 (a failed server call).
"""

from __future__ import annotations


class JolliError(Exception):
    """Base of every error jolli raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(JolliError):
    """Input that can never be accepted as given; ``fields`` maps each field to what is wrong."""


class InvalidCoordinate(InvalidInput):
    """A repo coordinate or URL that cannot be turned into ``host/owner/repo``."""


class NotFound(JolliError):
    """An object that does not exist, or belongs to another org (indistinguishable on purpose)."""

    status = 404
    title = "Not found"


class Conflict(JolliError):
    """The request clashes with what is stored: a taken name, an existing binding, a stale version."""

    status = 409
    title = "Conflict"


class Unauthorized(JolliError):
    """Missing or wrong credentials: a bearer token, or a webhook signature."""

    status = 401
    title = "Unauthorized"


class NotAvailable(JolliError):
    """A source type or provider that no loaded plugin contributes."""

    status = 422
    title = "Not available"


class PluginConflict(JolliError):
    """Two plugins contribute the same source type or provider name, or a plugin is malformed."""

    status = 500
    title = "Plugin conflict"


class NoMatch(JolliError):
    """No integration covers a coordinate."""

    status = 404
    title = "No integration"


class Ambiguous(JolliError):
    """Several candidates fit and nothing tells which one was meant."""

    status = 409
    title = "Ambiguous"

    def __init__(self, message: str, *, candidates: list[dict] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []
