"""Short-lived tokens (GitHub App installation tokens) cached per process until shortly before they expire.

One cache per process, shared by every client and thread: a token is minted once per key (one
installation) and reused until :attr:`TokenCache.margin` seconds before its expiry; threads asking for
the same key while it is being minted wait for that one request instead of sending their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

#: Seconds before its expiry that a token is replaced (a call never starts with a token about to die).
DEFAULT_MARGIN = 300.0


@dataclass(frozen=True)
class CachedToken:
    """A token and when it expires (Unix seconds). ``repr`` never shows the token."""

    token: str = field(repr=False)
    expires_at: float


class TokenCache:
    """Tokens by key, thread-safe, minted by the caller's function when missing or about to expire."""

    def __init__(self, margin: float = DEFAULT_MARGIN, clock: Callable[[], float] = time.time) -> None:
        self.margin = margin
        self.clock = clock
        self._tokens: dict[Hashable, CachedToken] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, key: Hashable) -> CachedToken | None:
        found = self._tokens.get(key)
        return found if found is not None and self.clock() < found.expires_at - self.margin else None

    def get(self, key: Hashable, mint: Callable[[], CachedToken]) -> CachedToken:
        """The cached token for ``key``, or a new one from ``mint`` (called by one thread at a time per key)."""
        found = self._fresh(key)
        if found is not None:
            return found
        with self._lock(key):
            found = self._fresh(key)
            if found is None:
                found = self._tokens[key] = mint()
            return found

    def peek(self, key: Hashable) -> CachedToken | None:
        """The token in use for ``key`` if it is still fresh (nothing is minted)."""
        return self._fresh(key)

    def drop(self, key: Hashable, token: str | None = None) -> None:
        """Forget ``key``'s token (only if it is still ``token``: a 401 seen by several threads mints once)."""
        with self._lock(key):
            found = self._tokens.get(key)
            if found is not None and (token is None or found.token == token):
                del self._tokens[key]

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()


#: The process's cache of installation tokens.
TOKENS = TokenCache()
