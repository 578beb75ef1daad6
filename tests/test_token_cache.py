"""Short-lived tokens cached per process: reused until shortly before they expire, minted once per key
whatever the number of threads, dropped after a 401 only if still the one that failed."""

from __future__ import annotations

import threading
import time

from jolli.token_cache import CachedToken, TokenCache


def test_a_token_is_reused_until_the_margin_before_its_expiry() -> None:
    now = [1000.0]
    cache = TokenCache(margin=300, clock=lambda: now[0])
    minted: list[str] = []

    def mint() -> CachedToken:
        minted.append(f"t{len(minted)}")
        return CachedToken(minted[-1], now[0] + 3600)

    assert cache.get("k", mint).token == "t0"
    now[0] += 3299
    assert cache.get("k", mint).token == "t0" and cache.peek("k") is not None
    now[0] += 1
    assert cache.peek("k") is None and cache.get("k", mint).token == "t1"
    assert cache.get("other", mint).token == "t2"  # one token per key


def test_drop_forgets_only_the_token_that_failed() -> None:
    cache = TokenCache()
    cache.get("k", lambda: CachedToken("old", time.time() + 3600))
    cache.drop("k", "older-still")  # another thread already replaced it: kept
    assert cache.peek("k") is not None
    cache.drop("k", "old")
    assert cache.peek("k") is None


def test_threads_wait_for_one_mint() -> None:
    cache = TokenCache()
    calls = []
    gate = threading.Event()

    def mint() -> CachedToken:
        calls.append(1)
        gate.wait(2)
        return CachedToken("shared", time.time() + 3600)

    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get("k", mint).token)) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and seen == ["shared"] * 16


def test_repr_never_shows_the_token() -> None:
    assert "s3cret" not in repr(CachedToken("s3cret", 1.0))
