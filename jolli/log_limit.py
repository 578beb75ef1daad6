"""Log lines that repeat (a refused delivery, a database outage) at most once per interval per kind.

The first occurrence of a kind is logged at once; later ones within the interval are counted, and the next
line of that kind says how many were left out. So an outage or a misconfigured hook is seen, and a flood of
them costs a few lines, not a traceback per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from typing import Any


class RateLimitedLog:
    """``logger`` limited to one line per ``key`` per ``interval`` seconds."""

    def __init__(self, logger: logging.Logger, interval: float) -> None:
        self.logger = logger
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[Hashable, tuple[float, int]] = {}  # key -> (when logged, left out since)

    def log(self, level: int, key: Hashable, message: str, *args: Any, **kwargs: Any) -> bool:
        """Log unless ``key`` was logged less than ``interval`` ago; whether it was logged."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last[0] < self.interval:
                self._last[key] = (last[0], last[1] + 1)
                return False
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[key] = (now, 0)
        left_out = last[1] if last is not None else 0
        if left_out:
            message += f" ({left_out} more like it since the last such line not logged)"
        self.logger.log(level, message, *args, **kwargs)
        return True

    def warning(self, key: Hashable, message: str, *args: Any, **kwargs: Any) -> bool:
        return self.log(logging.WARNING, key, message, *args, **kwargs)

    def error(self, key: Hashable, message: str, *args: Any, **kwargs: Any) -> bool:
        return self.log(logging.ERROR, key, message, *args, **kwargs)
