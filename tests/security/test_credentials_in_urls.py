"""Credentials in URLs: refused in ``apiBaseUrl``; never sent, printed or logged by ``jolli integration match``."""

from __future__ import annotations

import pytest
from apihelp import Api, assert_problem
from served import JolliServer

from jolli.testing.helpers import CliRunner

PASSWORD = "PW-in-the-url-42"


@pytest.mark.parametrize("url", [f"https://user:{PASSWORD}@ghe.example.com/api/v3",
                                 f"https://{PASSWORD}@ghe.example.com/api/v3"])
def test_api_base_url_with_credentials_is_400_naming_the_field(api: Api, url: str) -> None:
    body = {"provider": "github", "host": "ghe.example.com", "owner": "acme", "apiBaseUrl": url}
    created = api.post("/api/integrations", body)
    problem = assert_problem(created, 400, "apiBaseUrl", "credentials")
    assert PASSWORD not in str(problem)
    ok = api.created("/api/integrations", {**body, "apiBaseUrl": "https://ghe.example.com/api/v3"})
    assert_problem(api.patch(f"/api/integrations/{ok['id']}", {"apiBaseUrl": url}), 400, "apiBaseUrl")
    assert api.get(f"/api/integrations/{ok['id']}").get_json()["apiBaseUrl"] == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize("pasted", [f"https://bob:{PASSWORD}@github.com/acme/app.git",
                                    f"https://bob:{PASSWORD}@git.example.com/a/b/c.git"])
def test_match_sends_and_prints_no_credentials(logged_server: JolliServer, pasted: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    org = logged_server.new_org()
    org.integration(name="gh")
    monkeypatch.setenv("JOLLI_URL", logged_server.url)
    monkeypatch.setenv("JOLLI_TOKEN", org.token)
    runner = CliRunner()
    for args in (["integration", "match", pasted], ["integration", "match", "--json", pasted]):
        result = runner.invoke(args)
        assert PASSWORD not in result.stdout + result.stderr, result
    assert runner.invoke(["integration", "match", "--json", pasted.replace("git.example.com/a/b/c",
                                                                          "github.com/acme/app")]).json()["repo"] \
        == "github.com/acme/app"
    log = logged_server.log.read_text()
    assert "GET /api/integrations?repo=" in log and PASSWORD not in log
