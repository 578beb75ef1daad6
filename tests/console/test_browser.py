"""The console in a real Chromium against a real ``jolli serve`` and a real ``jolli worker``: sign in, watch a
webhook's event appear without reloading, retry a failed space and see it processed, sign out; signed-out
redirects, CSRF, org isolation; axe-core on every page, and screenshots at desktop and phone widths.

One server, one worker and one browser for the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    JolliServer,
    artifacts_dir,
    chromium,
    deliver_push,
    install_failing_plugin,
    org_with_source,
    start_worker,
    stop,
)

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: How long a live update may take to show (the pages poll every 2 to 5 seconds).
LIVE_MS = 15000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``jolli serve``, ``jolli worker`` with the failing plugin, two orgs, and Chromium."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("console")
    server = JolliServer(tmp).start()
    flag = tmp / "fail-spaces"
    org, integration, source = org_with_source(server, "acme", "handbook")
    other, _, other_source = org_with_source(server, "rival", "secret-plans")
    worker = start_worker(server.database_url, install_failing_plugin(tmp / "plugins"), tmp / "worker.log", lease=5,
                          extra_env={**server.env, "JOLLI_LOAD_PLUGINS": "git,record_changes,console_fail",
                                     "JOLLI_TEST_FAIL_FLAG": str(flag), "JOLLI_MAX_ATTEMPTS": "1",
                                     "JOLLI_COALESCE_SECONDS": "0.05"})
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
    try:
        yield {"server": server, "org": org, "integration": integration, "source": source, "other": other,
               "other_source": other_source, "flag": flag, "browser": browser, "worker": worker,
               "artifacts": artifacts_dir(tmp_path_factory), "log": tmp / "worker.log", "console_errors": []}
    finally:
        browser.close()
        playwright.stop()
        stop([worker])
        server.stop()


def signed_in_page(stack: dict[str, Any], org: Any, viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
    context = stack["browser"].new_context(viewport=viewport, **options)
    page = context.new_page()
    page.on("console", lambda message: stack["console_errors"].append(message.text)
            if message.type == "error" else None)
    page.goto(stack["server"].url + "/console/")
    assert "/console/sign-in" in page.url
    page.get_by_label("API token").fill(org.token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/console/$"))
    return page


def test_webhook_event_appears_live_fails_is_retried_and_processed(stack: dict[str, Any]) -> None:
    page = signed_in_page(stack, stack["org"])
    assert page.get_by_role("heading", name="Overview").is_visible()
    page.get_by_role("link", name="Events").click()
    page.wait_for_url(re.compile(r".*/console/events$"))
    page.evaluate("window.stillTheSamePage = true")
    stack["flag"].write_text("fail")
    answer = deliver_push(stack["org"], stack["integration"]["id"], stack["source"]["repo"], "main", "d" * 40)
    event_id = answer["eventIds"][0]
    link = page.get_by_role("link", name=f"#{event_id}", exact=True)
    link.wait_for(timeout=LIVE_MS)  # the list polled it in: no reload
    assert page.evaluate("window.stillTheSamePage") is True
    link.click()
    page.wait_for_url(re.compile(rf".*/console/events/{event_id}$"))
    spaces = page.locator("#event-spaces")
    spaces.get_by_role("cell", name=re.compile("the test plugin was told to fail")).first.wait_for(timeout=LIVE_MS)
    stack["flag"].unlink()
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation
    page.get_by_role("button", name=re.compile(r"^Retry space")).click()
    spaces.get_by_text("Retry queued for space").wait_for(timeout=LIVE_MS)
    page.locator("#event-status").get_by_text("processed").wait_for(timeout=LIVE_MS)
    assert page.locator("#event-spaces .s-processed").count() >= 1
    assert not stack["console_errors"], stack["console_errors"]  # no script or style the CSP refused, no error
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/console/sign-in$"))
    page.goto(stack["server"].url + f"/console/events/{event_id}")
    assert "/console/sign-in" in page.url
    page.context.close()


def test_signed_out_every_console_url_goes_to_sign_in(stack: dict[str, Any]) -> None:
    context = stack["browser"].new_context()
    page = context.new_page()
    source_id = stack["source"]["id"]
    for path in ("/console/", "/console/sources", f"/console/sources/{source_id}", "/console/events",
                 "/console/events/1", "/console/integrations", "/console/events/rows", "/console/overview/live"):
        page.goto(stack["server"].url + path)
        assert "/console/sign-in" in page.url, path
        assert page.get_by_label("API token").is_visible()
    context.close()


def test_an_action_without_the_csrf_token_is_refused(stack: dict[str, Any]) -> None:
    page = signed_in_page(stack, stack["org"])
    response = page.request.post(stack["server"].url + "/console/events/1/retry", form={"spaceId": "1"},
                                 max_redirects=0)
    assert response.status == 403
    assert "CSRF" in response.text()
    page.context.close()


def test_an_orgs_token_sees_none_of_another_orgs_sources(stack: dict[str, Any]) -> None:
    page = signed_in_page(stack, stack["other"])
    page.goto(stack["server"].url + "/console/sources")
    assert page.get_by_role("link", name="secret-plans", exact=True).is_visible()
    assert "handbook" not in page.content()
    response = page.goto(stack["server"].url + f"/console/sources/{stack['source']['id']}")
    assert response is not None and response.status == 404
    page.goto(stack["server"].url + "/console/sources?q=handbook")
    assert "No sources match" in page.content()
    page.context.close()


def test_the_webhook_url_is_copied_with_one_click(stack: dict[str, Any]) -> None:
    page = signed_in_page(stack, stack["org"], permissions=["clipboard-read", "clipboard-write"])
    page.get_by_role("link", name="Integrations").click()
    card = page.locator(f"#integration-{stack['integration']['id']}")
    url = card.get_by_label("Webhook URL").input_value()
    assert url == f"{stack['server'].url}/api/webhooks/{stack['integration']['id']}"
    card.get_by_role("button", name="Copy").click()
    card.get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.get_by_text("Set up the github webhook").click()
    assert card.get_by_text("Just the push event").is_visible()
    page.context.close()


def test_every_page_passes_axe_and_is_photographed(stack: dict[str, Any]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    events = stack["org"].api("GET", "/api/events?limit=1")[1]["items"]
    assert events, "the first test delivers an event"
    pages = {"overview": "/console/", "sources": "/console/sources",
             "source": f"/console/sources/{stack['source']['id']}", "events": "/console/events",
             "event": f"/console/events/{events[0]['id']}", "integrations": "/console/integrations"}
    problems: list[str] = []
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = stack["browser"].new_context(viewport=viewport)
        page = context.new_page()
        page.goto(stack["server"].url + "/console/sign-in")
        shots: dict[str, Path] = {"sign-in": stack["artifacts"] / f"sign-in-{width_name}.png"}
        page.screenshot(path=str(shots["sign-in"]), full_page=True)
        problems += _serious(axe.run(page), f"sign-in ({width_name})")
        page.get_by_label("API token").fill(stack["org"].token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/console/$"))
        for name, path in pages.items():
            page.goto(stack["server"].url + path)
            shot = stack["artifacts"] / f"{name}-{width_name}.png"
            page.screenshot(path=str(shot), full_page=True)
            problems += _serious(axe.run(page), f"{name} ({width_name})")
            page.keyboard.press("Tab")  # keyboard first: the skip link, then the navigation
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"
            if width_name == "phone":  # usable on a narrow screen: nothing wider than the screen but tables
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= viewport["width"] + 1, (name, wide)
        context.close()
    assert not problems, "\n".join(problems)
    assert len(list(stack["artifacts"].glob("*.png"))) >= 14


def _serious(results: Any, where: str) -> list[str]:
    return [f"{where}: {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
