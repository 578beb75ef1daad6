"""The real webhook deliveries of ``../shared/fixtures/webhooks`` (byte for byte) and their vectors.

The folder is found through ``JOLLI_WEBHOOK_FIXTURES``, else ``tests/fixtures/webhooks``, else the
shared folder next to the checkout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve()
_CANDIDATES = [
    Path(os.environ["JOLLI_WEBHOOK_FIXTURES"]) if os.environ.get("JOLLI_WEBHOOK_FIXTURES") else None,
    _HERE.parents[1] / "fixtures" / "webhooks",
    _HERE.parents[3] / "shared" / "fixtures" / "webhooks",
]


@cache
def fixture_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate is not None and (candidate / "signature-vectors.json").is_file():
            return candidate
    raise FileNotFoundError(
        "webhook fixtures not found; set JOLLI_WEBHOOK_FIXTURES to the folder holding signature-vectors.json"
    )


def body(name: str) -> bytes:
    """The exact bytes of a fixture file."""
    return (fixture_dir() / name).read_bytes()


def vector(provider: str) -> dict:
    """The signature vector for ``provider`` from ``signature-vectors.json``."""
    vectors = json.loads((fixture_dir() / "signature-vectors.json").read_bytes())["vectors"]
    return next(v for v in vectors if v["provider"] == provider)


def sign(secret: str, data: bytes) -> str:
    """Hex HMAC-SHA256, computed independently of the code under test."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
