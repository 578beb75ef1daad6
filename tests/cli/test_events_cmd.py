"""End to end as a user: ``jolli serve``, a signed GitHub webhook over HTTP, ``jolli worker --once``, then
``jolli events list|show|audit|retry`` against the server."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from served import JolliServer, Org, jolli_serve, org, run_jolli  # noqa: F401

HEAD = "a" * 40


def deliver(server: JolliServer, integration_id: int, payload: dict[str, Any], secret: str = "test-secret") -> Any:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{server.url}/api/webhooks/{integration_id}", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
                 "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def processed(org: Org, tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    """A source bound to two spaces, one push delivered as a real webhook and processed by ``jolli worker``."""
    integration = org.integration(host="github.com", owner="acme")
    source = org.source(name="backend", repo="github.com/acme/backend", branch="main",
                        integrationId=integration["id"])
    spaces = []
    for name in ("docs", "site"):
        status, space = org.api("POST", "/api/spaces", {"name": name})
        assert status == 201, space
        status, binding = org.api("POST", f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
        assert status == 201, binding
        spaces.append(space["id"])
    payload = {"ref": "refs/heads/main", "before": "0" * 40, "after": HEAD, "created": True,
               "repository": {"full_name": "acme/backend", "html_url": "https://github.com/acme/backend"}}
    status, answer = deliver(org.server, integration["id"], payload)
    assert status == 202 and answer["status"] == "accepted"
    env = {**org.server.env, "JOLLI_LOAD_PLUGINS": "git,record_changes"}  # no provider API calls from here
    run_jolli(["worker", "--once"], env)
    return {"source": source, "spaces": spaces, "event_id": answer["eventIds"][0], "env": cli_env(org, tmp_path)}


def cli_env(org: Org, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    from served import base_env

    return {**base_env(tmp_path), "JOLLI_URL": org.server.url, "JOLLI_TOKEN": org.token}


def test_events_list_shows_the_processed_push(processed: dict[str, Any]) -> None:
    out = run_jolli(["events", "list", "--source", str(processed["source"]["id"])], processed["env"]).stdout
    assert "processed" in out and HEAD[:12] in out and str(processed["event_id"]) in out
    items = json.loads(run_jolli(["events", "list", "--json"], processed["env"]).stdout)
    assert [(e["id"], e["status"], e["affectedSpaceIds"]) for e in items] == [
        (processed["event_id"], "processed", processed["spaces"])]
    assert "webhook" in out  # the origin column
    items = json.loads(run_jolli(["events", "list", "--origin", "webhook", "--json"], processed["env"]).stdout)
    assert [(e["id"], e["origin"], e["orderAssumed"]) for e in items] == [(processed["event_id"], "webhook", False)]
    assert json.loads(run_jolli(["events", "list", "--origin", "poll", "--json"], processed["env"]).stdout) == []


def test_events_show_lists_each_space(processed: dict[str, Any]) -> None:
    out = run_jolli(["events", "show", str(processed["event_id"])], processed["env"]).stdout
    assert f"head     {HEAD}" in out and "jrn::path:/home/" in out and "origin webhook" in out
    for space in processed["spaces"]:
        assert any(line.split()[:2] == [str(space), "processed"] for line in out.splitlines())
    event = json.loads(run_jolli(["events", "show", str(processed["event_id"]), "--json"], processed["env"]).stdout)
    detail = event["spaces"][0]["detail"]
    assert detail["head"] == HEAD and detail["relation"] == "unknown"  # what record_changes saw


def test_events_audit_and_retry(processed: dict[str, Any]) -> None:
    space = processed["spaces"][0]
    out = run_jolli(["events", "audit", str(space)], processed["env"]).stdout
    assert "processed" in out and HEAD[:12] in out
    result = run_jolli(["events", "retry", str(processed["event_id"])], processed["env"], check=False)
    assert result.returncode == 2 and "no failed space" in result.stderr
    missing = run_jolli(["events", "show", "999999"], processed["env"], check=False)
    assert missing.returncode == 2 and "no event 999999" in missing.stderr
