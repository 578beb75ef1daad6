"""Azure DevOps service hooks end to end: the documented ``git.push`` sample delivered to a real
``jolli serve`` with the Basic credentials of the service hook, then ``jolli worker --once``."""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from served import Org, base_env, jolli_serve, org, run_jolli  # noqa: F401

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))
from webhook_fixtures import body  # noqa: E402

REPO = "dev.azure.com/fabrikam-fiber-inc/Fabrikam-Fiber-Git/Fabrikam-Fiber-Git"
HEAD = "33b55f7cb7e7e245323987634f960cf4a6e6bc74"


def deliver(org: Org, integration_id: int, data: bytes, password: str = "test-secret") -> tuple[int, Any]:  # noqa: F811
    """POST one delivery as Azure DevOps' Web Hooks consumer sends it (Basic credentials, no signature)."""
    credentials = base64.b64encode(f"azure-devops:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{org.server.url}/api/webhooks/{integration_id}", data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Basic {credentials}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_git_push_accepted_duplicate_refused_ignored_then_processed(org: Org, tmp_path: Path) -> None:  # noqa: F811
    integration = org.integration(provider="azure-devops", host="dev.azure.com", owner="fabrikam-fiber-inc")
    source = org.source(name="fiber", repo="https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/"
                        "Fabrikam-Fiber-Git", branch="master", integrationId=integration["id"])
    assert source["repo"] == REPO
    status, space = org.api("POST", "/api/spaces", {"name": "docs"})
    assert status == 201, space
    status, binding = org.api("POST", f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    assert status == 201, binding

    push = body("azure-devops-git-push.json")
    status, answer = deliver(org, integration["id"], push)
    assert status == 202 and answer["status"] == "accepted" and len(answer["eventIds"]) == 1
    status, again = deliver(org, integration["id"], push)  # Azure DevOps retrying the same event
    assert status == 202 and again["status"] == "duplicate" and again["duplicateEventIds"] == answer["eventIds"]

    status, problem = deliver(org, integration["id"], push, password="wrong-secret")
    assert status == 401 and "wrong-secret" not in json.dumps(problem)

    other = json.loads(push)
    other["id"] = "5e2f1e5c-0000-4000-8000-000000000001"
    other["resource"]["refUpdates"][0]["name"] = "refs/heads/untracked"
    status, ignored = deliver(org, integration["id"], json.dumps(other).encode())
    assert status == 200 and ignored["status"] == "ignored"

    other["eventType"] = "git.pullrequest.created"
    status, ignored = deliver(org, integration["id"], json.dumps(other).encode())
    assert status == 200 and ignored["status"] == "ignored" and "not a push" in ignored["reason"]

    env = {**org.server.env, "JOLLI_LOAD_PLUGINS": "git,record_changes,azure_devops"}
    run_jolli(["worker", "--once"], env)
    cli_env = {**base_env(tmp_path), "JOLLI_URL": org.server.url, "JOLLI_TOKEN": org.token}
    events = json.loads(run_jolli(["events", "list", "--json", "--source", str(source["id"])], cli_env).stdout)
    assert [(e["id"], e["status"], e["affectedSpaceIds"]) for e in events] == [
        (answer["eventIds"][0], "processed", [space["id"]])]
    shown = json.loads(run_jolli(["events", "show", str(events[0]["id"]), "--json"], cli_env).stdout)
    assert shown["spaces"][0]["detail"]["head"] == HEAD
