"""Load generation shared by the HTTP benchmarks: sender processes on loopback, counting good answers.

Each sender is a forked process with one keep-alive connection (reopened whenever the server closes it,
as gunicorn's sync workers do after every request) sending ``make_request(seed, n)`` for ``n = 1, 2, ...``
until the time is up.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from typing import Any

#: ``(seed, n) -> (method, path, body, headers)``: the n-th request of the sender with this seed.
MakeRequest = Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sender(port: int, make_request: MakeRequest, ok: int, seconds: float, seed: int, out: Any) -> None:
    done = errors = n = 0
    conn: http.client.HTTPConnection | None = None
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        n += 1
        method, path, body, headers = make_request(seed, n)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == ok:
                done += 1
            else:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except OSError:
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
    out.put((done, errors))


def load(port: int, make_request: MakeRequest, ok: int, clients: int, seconds: float) -> tuple[float, int]:
    """``clients`` senders for ``seconds``: good answers per second, and how many answers were not ``ok``."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    seeds = [int.from_bytes(os.urandom(4), "big") for _ in range(clients)]
    procs = [ctx.Process(target=sender, args=(port, make_request, ok, seconds, seed, queue)) for seed in seeds]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    return sum(r[0] for r in results) / elapsed, sum(r[1] for r in results)


def wait_up(port: int, path: str, headers: dict[str, str] | None = None, status: int | None = 200) -> None:
    """Poll ``GET path`` until it answers ``status`` (any answer when ``None``)."""
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path, headers=headers or {})
            if status is None or conn.getresponse().status == status:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not answer {path}")
