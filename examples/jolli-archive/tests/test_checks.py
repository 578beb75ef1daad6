"""jolli's scheduled checks and ``jolli source sync`` give an archive source events, and the worker compares
them with this plugin's ``detect_changes`` as it does for git (the real app, store, checker and worker)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jolli
import pytest
import responses
from archive_files import make_zip

URL = "https://downloads.example.com/docs.zip"
V1 = make_zip({"a.md": b"1", "b.md": b"2"})
V2 = make_zip({"a.md": b"1", "b.md": b"3", "c.md": b"new"})
V3 = make_zip({"a.md": b"1", "c.md": b"new"})


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def publish(body: bytes, etag: str) -> None:
    """The archive server: ``body`` with its ETag, a 304 to a ``HEAD`` that sends that ETag back."""
    def head(request: Any) -> tuple[int, dict[str, str], str]:
        if request.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, ""
        return 200, {"ETag": etag, "Content-Length": str(len(body))}, ""

    responses.remove(responses.HEAD, URL)
    responses.add_callback(responses.HEAD, URL, callback=head)
    responses.upsert(responses.GET, URL, body=body, headers={"ETag": etag})


class Spaces:
    """A ``jolli_process_space`` plugin recording the changed files each space is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple[str, ...]]] = []

    @jolli.hookimpl
    def jolli_process_space(self, space_id: int, event: Any, changes: Any) -> None:
        self.seen.append((event.head_sha, tuple(sorted(changes.files))))


@pytest.fixture
def docs(jolli_client: Any, jolli_register_plugin: Any) -> tuple[int, Spaces]:
    spaces = Spaces()
    jolli_register_plugin(spaces, name="spaces")
    created = jolli_client.post("/api/sources", json={"name": "docs", "type": "archive", "fields": {"url": URL}})
    assert created.status_code == 201, created.get_json()
    space = jolli_client.post("/api/spaces", json={"name": "handbook"}).get_json()
    bound = jolli_client.post(f"/api/spaces/{space['id']}/sources", json={"sourceId": created.get_json()["id"]})
    assert bound.status_code in (200, 201), bound.get_json()
    return created.get_json()["id"], spaces


def _worker() -> Any:
    from jolli.events.config import EventSettings
    from jolli.events.worker import Worker

    return Worker(EventSettings.from_env(coalesce_seconds=0.0))


@responses.activate
def test_a_scheduled_check_makes_one_poll_event_and_the_worker_compares_with_detect_changes(
        jolli_client: Any, docs: tuple[int, Spaces]) -> None:
    from jolli.events.checker import Checker
    from jolli.events.config import EventSettings

    source_id, spaces = docs
    settings = EventSettings.from_env(coalesce_seconds=0.0)
    clock = [1_800_000_000.0]
    checker = Checker(settings, "test", clock=lambda: clock[0])
    publish(V1, '"v1"')
    assert checker.sweep().results == {"changed": 1}
    assert [r.state for r in _worker().drain()] == ["done"]

    clock[0] += 3600
    assert checker.sweep().results == {"unchanged": 1}  # a 304: nothing downloaded
    assert [(c.request.method, c.response.status_code) for c in responses.calls][-1] == ("HEAD", 304)
    publish(V2, '"v2"')
    clock[0] += 3600
    assert checker.sweep().results == {"changed": 1}
    assert [r.state for r in _worker().drain()] == ["done"]

    events = jolli_client.get(f"/api/sources/{source_id}/events").get_json()["items"]
    assert sorted((e["origin"], e["headSha"]) for e in events) == sorted([("poll", digest(V1)), ("poll", digest(V2))])
    assert spaces.seen == [(digest(V1), ("a.md", "b.md")), (digest(V2), ("b.md", "c.md"))]
    check = jolli_client.get(f"/api/sources/{source_id}").get_json()["check"]
    assert (check["result"], check["lastValue"]) == ("changed", digest(V2))


@responses.activate
def test_jolli_source_sync_asks_the_server_which_checks_the_archive(
        jolli_server: str, jolli_cli_runner: Any, docs: tuple[int, Spaces], tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    responses.add_passthru(jolli_server)
    monkeypatch.chdir(tmp_path)
    source_id, spaces = docs
    publish(V1, '"v1"')
    first = jolli_cli_runner.invoke(["source", "sync", "docs", "--json"])
    assert first.exit_code == 0, first.stderr
    assert (first.json()["result"], first.json()["head"], first.json()["origin"]) == ("changed", digest(V1), "manual")
    same = jolli_cli_runner.invoke(["source", "sync", "docs", "--json"]).json()
    assert (same["result"], same["eventId"]) == ("unchanged", None)
    publish(V3, '"v3"')
    third = jolli_cli_runner.invoke(["source", "sync", "docs"])
    assert third.exit_code == 0 and digest(V3) in third.stdout
    assert [r.state for r in _worker().drain()] == ["done", "done"]
    assert spaces.seen == [(digest(V1), ("a.md", "b.md")), (digest(V3), ("b.md", "c.md"))]
    shown = jolli_cli_runner.invoke(["source", "show", "docs", "--json"]).json()
    assert shown["check"]["result"] == "changed" and json.dumps(shown).count(digest(V3)) >= 1
