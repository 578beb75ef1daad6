"""Real parts for the console's browser tests: Debian's Chromium driven by Playwright, ``jolli serve`` and
``jolli worker`` in subprocesses (the helpers of ``tests/cli/served.py`` and ``tests/events/procs.py``), a
plugin that makes spaces fail while a flag file exists, and signed GitHub deliveries.

Chromium missing: a failure with ``CI=true`` (``.ci/run`` installs it), else a skip that says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE.parent / "cli"), str(HERE.parent / "events")]

from procs import install_plugin_dist, start_worker, stop  # noqa: E402, F401 - a real `jolli worker` process
from served import JolliServer, Org  # noqa: E402, F401 - a real `jolli serve` process

FAILING_PLUGIN = '''
"""Fails every space while the file named by JOLLI_TEST_FAIL_FLAG exists."""
import os

from jolli import hookimpl


@hookimpl
def jolli_process_space(space_id, event, changes):
    if os.path.exists(os.environ["JOLLI_TEST_FAIL_FLAG"]):
        raise RuntimeError("the test plugin was told to fail")
'''


def install_failing_plugin(root: Path) -> Path:
    """Install the plugin as a distribution (entry point ``console_fail``); return its folder."""
    return install_plugin_dist(root, "jolli_console_fail", FAILING_PLUGIN, "console_fail")


def chromium() -> str:
    """The path of Debian's Chromium; fail in CI, skip elsewhere, when there is none."""
    found = os.environ.get("JOLLI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if not found:
        message = ("no Chromium (apt-get install -y chromium) or no Playwright (pip install -e '.[test]'): "
                   "the console's browser tests need both")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "; CI=true requires them", pytrace=False)
        pytest.skip(message)
    return found


def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$JOLLI_CONSOLE_ARTIFACTS``, else ``console-artifacts`` in pytest's temp folder."""
    chosen = os.environ.get("JOLLI_CONSOLE_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "console-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def deliver_push(org: Org, integration_id: int, repo: str, branch: str, head: str, secret: str = "test-secret") -> Any:
    """A signed GitHub push delivery to ``jolli serve``; the answer's JSON."""
    owner, name = repo.split("/")[1:]
    body = json.dumps({"ref": f"refs/heads/{branch}", "before": "0" * 40, "after": head, "created": True,
                       "repository": {"full_name": f"{owner}/{name}",
                                      "html_url": f"https://github.com/{owner}/{name}"}}).encode()
    request = urllib.request.Request(
        f"{org.server.url}/api/webhooks/{integration_id}", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-GitHub-Event": "push",
                 "X-GitHub-Delivery": str(uuid.uuid4()),
                 "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def org_with_source(server: JolliServer, owner: str, name: str) -> tuple[Org, dict[str, Any], dict[str, Any]]:
    """An org with a GitHub integration and one source bound to one space; (org, integration, source)."""
    org = server.new_org()
    integration = org.integration(host="github.com", owner=owner, name=f"github-{owner}")
    source = org.source(name=name, repo=f"github.com/{owner}/{name}", branch="main", integrationId=integration["id"])
    status, space = org.api("POST", "/api/spaces", {"name": f"docs-{name}"})
    assert status == 201, space
    status, binding = org.api("POST", f"/api/spaces/{space['id']}/sources", {"sourceId": source["id"]})
    assert status == 201, binding
    return org, integration, source
