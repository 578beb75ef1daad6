"""Slow senders cannot starve the server: with the default ``jolli serve`` (on a loopback port), 50 connections
that send a request's headers and then stall leave ``/api/health`` and the API answered with p99 under 1 s,
and each stalled request is answered 408 once the body timeout has passed."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

from served import JolliServer

STALLED = 50
PROBES = 100


def stall(server: JolliServer, path: str, token: str) -> socket.socket:
    """A connection that sends a POST's headers announcing 100 bytes of body, and no body."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n".encode())
    return sock


def test_stalled_connections_leave_other_requests_answered(tmp_path: Path) -> None:
    server = JolliServer(tmp_path, "--workers", "5")  # the default on 2 cores: 2 x CPUs + 1
    server.env["JOLLI_BODY_TIMEOUT"] = "4"  # 10 by default: shorter, so the test sees the 408s soon
    server.start()
    stalled: list[socket.socket] = []
    try:
        org = server.new_org()
        integration = org.integration()
        for i in range(STALLED):
            path = f"/api/webhooks/{integration['id']}" if i % 2 == 0 else "/api/sources"
            stalled.append(stall(server, path, org.token))
        time.sleep(0.5)  # every stalled request has reached a worker thread
        started = time.monotonic()
        latencies = []
        for _ in range(PROBES):
            before = time.monotonic()
            with urllib.request.urlopen(server.url + "/api/health", timeout=10) as response:
                assert response.status == 200
            latencies.append(time.monotonic() - before)
        assert org.api("GET", "/api/sources")[0] == 200
        assert time.monotonic() - started < 4, "the probes must run while the senders are stalled"
        p99 = sorted(latencies)[int(PROBES * 0.99) - 1]
        print(f"p99 {p99:.3f}s, max {max(latencies):.3f}s with {STALLED} stalled connections")
        assert p99 < 1.0, f"p99 {p99:.3f}s with {STALLED} stalled connections"

        for sock in stalled[:4]:  # after the body timeout each one is answered, and its thread is free again
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    finally:
        for sock in stalled:
            sock.close()
        server.stop()
