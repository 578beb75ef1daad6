"""``jolli integration list`` and ``match`` against a real ``jolli serve``."""
# ruff: noqa: F811 - the fixtures imported from served.py are redefined as test parameters by design

from __future__ import annotations

import pytest
from served import Org, free_port, jolli_serve, logged_in, org  # noqa: F401 - fixtures

from jolli.testing.helpers import CliRunner


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_list_shows_a_table_and_json(cli, logged_in: Org):
    acme = logged_in.integration(name="acme-gh")
    gitlab = logged_in.integration(provider="gitlab", host="gitlab.com", owner="group/sub",
                                   repos=["gitlab.com/group/sub/app"])

    table = cli.invoke(["integration", "list"])
    data = cli.invoke(["integration", "list", "--json"])

    assert table.exit_code == 0, table
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "PROVIDER", "HOST", "OWNER", "REPOS", "NAME", "WEBHOOK", "LAST", "DELIVERY"]
    assert rows[0].split() == [str(acme["id"]), "github", "github.com", "acme", "(all)", "acme-gh", "ok", "never"]
    assert rows[1].split()[:5] == [str(gitlab["id"]), "gitlab", "gitlab.com", "group/sub", "gitlab.com/group/sub/app"]
    assert [i["id"] for i in data.json()] == [acme["id"], gitlab["id"]]
    assert all("webhookSecret" not in i for i in data.json())


def test_show_gives_the_webhook_health_and_the_url_to_deliver_to(cli, logged_in: Org):
    acme = logged_in.integration(name="acme-gh")

    shown = cli.invoke(["integration", "show", str(acme["id"])])
    data = cli.invoke(["integration", "show", str(acme["id"]), "--json"]).json()

    assert shown.exit_code == 0, shown
    lines = dict(line.split(":", 1) for line in shown.stdout.splitlines() if ":" in line and not line.startswith(" "))
    assert lines["webhook"].strip() == "ok" and lines["last delivery"].strip() == "never"
    assert lines["webhook url"].strip() == acme["webhookUrl"]
    assert lines["credential"].strip() == "token"
    assert data["webhookHealth"]["webhookGaps24h"] == 0 and "webhookSecret" not in data
    missing = cli.invoke(["integration", "show", "999999"])
    assert missing.exit_code == 2 and "no integration 999999" in missing.stderr


def test_list_and_show_count_the_refused_deliveries_of_the_last_24_hours_by_reason(cli, logged_in: Org):
    import time

    acme = logged_in.integration(name="acme-gh")
    for _ in range(2):
        status, problem = logged_in.api("POST", f"/api/webhooks/{acme['id']}", {"forged": True})
        assert status == 401, problem
    deadline = time.monotonic() + 5
    while True:  # written at once, or within a second during a burst
        data = cli.invoke(["integration", "show", str(acme["id"]), "--json"]).json()
        if data["webhookHealth"]["refusedDeliveries24h"] == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert data["webhookHealth"]["refusedByReason24h"] == {"bad-signature": 2}

    shown = cli.invoke(["integration", "show", str(acme["id"])])
    listed = cli.invoke(["integration", "list"])

    lines = dict(line.split(":", 1) for line in shown.stdout.splitlines() if ":" in line and not line.startswith(" "))
    assert lines["refused (24 h)"].strip() == "2 (bad-signature 2)"
    assert lines["webhook"].strip() == "ok, 2 refused"
    assert "ok, 2 refused" in listed.stdout.splitlines()[1]


def test_a_push_only_a_check_found_makes_the_webhook_degraded_with_the_fix(cli, logged_in: Org):
    import sqlite3

    acme = logged_in.integration(name="acme-gh")
    app = logged_in.source(name="app", repo="github.com/acme/app", branch="main", integrationId=acme["id"])
    head = "a" * 40
    status, synced = logged_in.api("POST", f"/api/sources/{app['id']}/sync", {"cursor": head})
    assert status == 200 and synced["result"] == "changed", synced
    with sqlite3.connect(logged_in.server.database_url[len("sqlite:///"):]) as db:  # found 20 minutes ago
        db.execute("UPDATE source_event SET received_at = datetime(received_at, '-20 minutes') WHERE id = ?",
                   (synced["eventId"],))

    listed = cli.invoke(["integration", "list"])
    shown = cli.invoke(["integration", "show", str(acme["id"])])

    row = next(line for line in listed.stdout.splitlines() if line.split()[0] == str(acme["id"]))
    assert "degraded (1 gaps)" in row
    assert f"integration {acme['id']}: 1 push(es) in the last 24 h reached jolli only through its own checks" in listed.stderr
    assert "webhook:       degraded (1 gaps)" in shown.stdout
    assert f"gap: github.com/acme/app main {head}" in shown.stdout and f"(event {synced['eventId']})" in shown.stdout
    fix = next(line for line in shown.stdout.splitlines() if line.startswith("fix: "))
    assert acme["webhookUrl"] in fix and "secret" in fix and "test-secret" not in shown.stdout


def test_list_with_no_integrations(cli, logged_in: Org):
    result = cli.invoke(["integration", "list"])

    assert result.exit_code == 0 and result.stdout == ""
    assert "no integrations" in result.stderr


def test_match_names_the_covering_integration_from_any_url_form(cli, logged_in: Org):
    acme = logged_in.integration(name="acme-gh")

    result = cli.invoke(["integration", "match", "git@github.com:acme/backend.git"])
    as_json = cli.invoke(["integration", "match", "https://github.com/acme/backend/tree/main", "--json"])

    assert result.exit_code == 0, result
    assert result.stdout.strip() == f"{acme['id']}: github github.com/acme 'acme-gh'"
    assert as_json.json()["integration"]["id"] == acme["id"]


def test_match_with_none_exits_1(cli, logged_in: Org):
    logged_in.integration()

    result = cli.invoke(["integration", "match", "github.com/someone/else"])

    assert result.exit_code == 1
    assert "no integration covers github.com/someone/else" in result.stderr


def test_match_with_several_exits_2_listing_candidates(cli, logged_in: Org):
    one = logged_in.integration(name="one")
    two = logged_in.integration(name="two")

    result = cli.invoke(["integration", "match", "github.com/acme/backend"])
    as_json = cli.invoke(["integration", "match", "github.com/acme/backend", "--json"])

    assert result.exit_code == 2
    assert f"{one['id']}: github github.com/acme 'one'" in result.stderr
    assert f"{two['id']}: github github.com/acme 'two'" in result.stderr
    assert "pick one with 'jolli source add NAME --integration-id <id>'" in result.stderr  # options that exist
    assert as_json.exit_code == 2
    assert [c["id"] for c in as_json.json()["candidates"]] == [one["id"], two["id"]]


def test_match_of_a_bare_owner_repo_exits_2(cli, logged_in: Org):
    result = cli.invoke(["integration", "match", "acme/backend"])

    assert result.exit_code == 2
    assert "host" in result.stderr


def test_without_a_server_exits_2_saying_how_to_set_one(cli):
    result = cli.invoke(["integration", "list"])

    assert result.exit_code == 2
    assert "--server URL" in result.stderr and "jolli login" in result.stderr


def test_an_unreachable_server_exits_1(cli, monkeypatch):
    monkeypatch.setenv("JOLLI_URL", f"http://127.0.0.1:{free_port()}")

    result = cli.invoke(["integration", "list"])

    assert result.exit_code == 1
    assert "cannot reach the jolli server" in result.stderr


def test_a_revoked_or_wrong_token_exits_1(cli, logged_in: Org, monkeypatch):
    monkeypatch.setenv("JOLLI_TOKEN", "jt_wrong")

    result = cli.invoke(["integration", "list", "--server", logged_in.server.url])

    assert result.exit_code == 1
    assert "refused the token" in result.stderr and "jt_wrong" not in result.stderr


# --- explain ---------------------------------------------------------------------------------------
def _groups(org: Org) -> dict[str, dict]:
    made = {}
    for name, owner, token in (("platform", "platform", "glpat-platform-secret"),
                               ("infra", "platform/infra", "glpat-infra-secret"),
                               ("k8s", "platform/infra/k8s", "glpat-k8s-secret")):
        status, made[name] = org.api("POST", "/api/integrations", {
            "provider": "gitlab", "host": "gitlab.com", "owner": owner, "name": name,
            "credentialKind": "group-token", "accessToken": token, "tokenExpiresAt": "2027-03-01T00:00:00Z"})
        assert status == 201, made[name]
    return made


def test_explain_says_which_integration_and_credential_and_why_the_others_not(cli, logged_in: Org):
    groups = _groups(logged_in)
    logged_in.integration(name="acme-gh")

    result = cli.invoke(["integration", "explain", "https://gitlab.com/platform/infra/k8s/charts/-/tree/main"])
    as_json = cli.invoke(["integration", "explain", "gitlab.com/platform/infra/k8s/charts", "--json"])

    assert result.exit_code == 0, result
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line and not line.startswith(" "))
    assert lines["repo"].strip() == "gitlab.com/platform/infra/k8s/charts"
    assert lines["integration"].strip().startswith(f"{groups['k8s']['id']}: gitlab gitlab.com/platform/infra/k8s")
    assert lines["credential"].strip() == "group-token, owner platform/infra/k8s, expires 2027-03-01T00:00:00+00:00"
    assert lines["webhook url"].strip() == groups["k8s"]["webhookUrl"]
    assert f"#{groups['infra']['id']} 'infra' (gitlab, owner platform/infra, all repos): set-aside: covers it, " \
           f"but #{groups['k8s']['id']} is more specific" in result.stdout
    assert "(1 integration(s) on other hosts not considered)" in result.stdout
    assert as_json.exit_code == 0 and as_json.json()["integration"]["id"] == groups["k8s"]["id"]
    for secret in ("glpat-", "test-secret"):
        assert secret not in result.stdout + result.stderr + as_json.stdout


def test_explain_exits_1_when_none_covers_and_2_when_two_tie_or_the_repo_is_bad(cli, logged_in: Org):
    _groups(logged_in)
    logged_in.integration(provider="gitlab", host="gitlab.com", owner="platform/infra", name="infra-twin")

    none = cli.invoke(["integration", "explain", "gitlab.com/other/x"])
    tied = cli.invoke(["integration", "explain", "gitlab.com/platform/infra/terraform"])
    bad = cli.invoke(["integration", "explain", "backend"])

    assert none.exit_code == 1 and "no integration covers gitlab.com/other/x" in none.stderr
    assert tied.exit_code == 2 and "equally specifically" in tied.stderr and "tied" in tied.stdout
    assert bad.exit_code == 2 and "host" in bad.stderr


def test_explain_of_a_github_app_repo_checked_against_github_over_a_real_socket(cli, logged_in: Org):
    from github_app_fake import FakeApp, served

    app = FakeApp(app_id=31, slug="docs-app", installations={"acme": 5}, organizations={"acme"})
    with served(app) as api_root:  # jolli serve (another process) asks this GitHub about the App
        body = {"provider": "github", "host": "github.com", "owner": "acme", "credentialKind": "app", "appId": "31",
                "privateKey": app.pem, "apiBaseUrl": api_root, "webhookSecret": "app-secret", "name": "docs-app"}
        status, created = logged_in.api("POST", "/api/integrations", body)
        refused, problem = logged_in.api("POST", "/api/integrations", {**body, "owner": "globex", "name": "other"})
    assert status == 201 and created["installationId"] == "5", created
    assert refused == 400 and "owner" in problem["errors"] and "docs-app" in problem["detail"]

    result = cli.invoke(["integration", "explain", "git@github.com:acme/backend.git"])

    assert result.exit_code == 0, result
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line and not line.startswith(" "))
    assert lines["credential"].strip() == "app, owner acme, App 31 installation 5, tokens of one hour, minted on demand"
    assert "installation 5" in lines["webhook"] and lines["webhook url"].strip() == created["webhookUrl"]
    seen = result.stdout + result.stderr + logged_in.server.log.read_text()
    assert all(line not in seen for line in app.pem.splitlines()[1:-1]) and app.jwts
