"""``jolli source add/link/list/show/remove`` against a real ``jolli serve`` and real git work trees."""
# ruff: noqa: F811 - the fixtures imported from served.py are redefined as test parameters by design

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from served import Org, free_port, jolli_serve, logged_in, make_repo, org  # noqa: F401 - fixtures

from jolli.testing.helpers import CliRunner


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree of github.com/acme/backend on main; the current folder for the test."""
    repo = make_repo(tmp_path / "backend")
    monkeypatch.chdir(repo)
    return repo


def local_file(root: Path) -> dict:
    return json.loads((root / ".jolli" / "sources.json").read_text())


# --- add ---------------------------------------------------------------------------------------------------
def test_add_without_server_records_virtual_source_with_inferred_repo_and_branch(cli, workspace):
    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 0, result
    assert "inferred repo github.com/acme/backend from the origin remote" in result.stderr
    assert "inferred branch main" in result.stderr
    assert "no server configured" in result.stderr
    assert local_file(workspace) == {
        "version": 1,
        "mounts": {},
        "virtualSources": {
            "backend": {"mountPath": str(workspace), "type": "git", "repo": "github.com/acme/backend",
                        "branch": "main"},
        },
    }


def test_add_from_a_subfolder_creates_the_file_at_the_git_top_level(cli, workspace, monkeypatch):
    sub = workspace / "docs" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)

    result = cli.invoke(["source", "add", "backend", "--mount", str(sub)])

    assert result.exit_code == 0, result
    assert f"using the work tree's top level {workspace}" in result.stderr
    assert local_file(workspace)["virtualSources"]["backend"]["mountPath"] == str(workspace)
    assert not (sub / ".jolli").exists()


def test_add_keeps_explicit_repo_and_branch_and_warns_when_origin_differs(cli, workspace):
    result = cli.invoke(["source", "add", "site", "--mount", str(workspace), "--repo",
                         "https://github.com/acme/site.git", "--branch", "release"])

    assert result.exit_code == 0, result
    assert "origin remote is github.com/acme/backend, not github.com/acme/site" in result.stderr
    entry = local_file(workspace)["virtualSources"]["site"]
    assert (entry["repo"], entry["branch"]) == ("github.com/acme/site", "release")


@pytest.mark.parametrize(
    ("mount", "message"),
    [("relative/path", "--mount must be an absolute path"), ("/does/not/exist", "does not exist")],
)
def test_add_rejects_a_bad_mount_with_exit_2_and_writes_nothing(cli, workspace, mount, message):
    result = cli.invoke(["source", "add", "backend", "--mount", mount])

    assert result.exit_code == 2
    assert message in result.stderr
    assert not (workspace / ".jolli").exists()


def test_add_rejects_a_folder_that_is_not_a_git_work_tree(cli, tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)

    result = cli.invoke(["source", "add", "notes", "--mount", str(plain)])

    assert result.exit_code == 2
    assert "is not a git work tree" in result.stderr


def test_add_rejects_a_bad_name_and_a_taken_name(cli, workspace):
    bad = cli.invoke(["source", "add", "no spaces", "--mount", str(workspace)])
    assert bad.exit_code == 2 and "is not valid" in bad.stderr

    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    again = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])
    assert again.exit_code == 2
    assert "a virtual source named 'backend' already exists" in again.stderr


def test_add_creates_the_server_source_when_an_integration_covers_the_repo(cli, workspace, logged_in: Org):
    integration = logged_in.integration()

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace), "--json"])

    assert result.exit_code == 0, result
    (server,) = logged_in.sources()
    assert (server["name"], server["repo"], server["branch"], server["integrationId"]) == (
        "backend", "github.com/acme/backend", "main", integration["id"])
    assert result.json()["sourceId"] == server["id"]
    assert local_file(workspace)["mounts"] == {
        str(server["id"]): {"mountPath": str(workspace), "type": "git", "repo": "github.com/acme/backend",
                            "branch": "main", "name": "backend"},
    }
    assert local_file(workspace)["virtualSources"] == {}


def test_add_with_integration_id_uses_that_integration(cli, workspace, logged_in: Org):
    logged_in.integration(name="first")
    second = logged_in.integration(name="second")  # both cover acme: only the flag can choose

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace),
                         "--integration-id", str(second["id"])])

    assert result.exit_code == 0, result
    assert logged_in.sources()[0]["integrationId"] == second["id"]


def test_add_with_several_candidate_integrations_exits_2_listing_them(cli, workspace, logged_in: Org):
    first = logged_in.integration(name="first")
    second = logged_in.integration(name="second")

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 2
    assert f"{first['id']}: github github.com/acme 'first'" in result.stderr
    assert f"{second['id']}: github github.com/acme 'second'" in result.stderr
    assert "--integration-id" in result.stderr
    assert logged_in.sources() == []
    assert not (workspace / ".jolli" / "sources.json").exists()


def test_add_without_a_covering_integration_records_a_virtual_source_and_says_why(cli, workspace, logged_in):
    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 0, result
    assert "no integration on the server covers github.com/acme/backend" in result.stderr
    assert "jolli source link backend" in result.stderr
    assert "backend" in local_file(workspace)["virtualSources"]
    assert logged_in.sources() == []


def test_add_adopts_a_server_source_with_the_same_name_and_repo(cli, workspace, logged_in: Org):
    integration = logged_in.integration()
    existing = logged_in.source(name="backend", repo="github.com/acme/backend", branch="main")

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 0, result
    assert "adopted" in result.stderr
    (server,) = logged_in.sources()
    assert server["id"] == existing["id"] and server["integrationId"] == integration["id"]
    assert list(local_file(workspace)["mounts"]) == [str(existing["id"])]


def test_add_refuses_a_server_source_of_the_same_name_with_another_repo(cli, workspace, logged_in: Org):
    logged_in.integration()
    logged_in.source(name="backend", repo="github.com/acme/other")

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 2
    assert "following github.com/acme/other, but this one follows github.com/acme/backend" in result.stderr
    assert not (workspace / ".jolli" / "sources.json").exists()


def test_add_undoes_the_server_source_when_the_local_file_cannot_be_written(cli, workspace, logged_in, monkeypatch):
    logged_in.integration()
    real_replace = os.replace

    def disk_full(src, dst, *args, **kwargs):
        if str(dst).endswith("sources.json"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr("jolli.local.sources_file.os.replace", disk_full)

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert "the server change was undone" in result.stderr
    assert logged_in.sources() == []
    assert not (workspace / ".jolli" / "sources.json").exists()
    assert [p.name for p in (workspace / ".jolli").iterdir() if p.name.endswith(".tmp")] == []


# --- link --------------------------------------------------------------------------------------------------
def _add_virtual(cli: CliRunner, workspace: Path, name: str = "backend") -> None:
    result = cli.invoke(["source", "add", name, "--mount", str(workspace), "--virtual"])
    assert result.exit_code == 0, result


def test_link_promotes_a_virtual_source_without_reentering_repo_or_branch(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    integration = logged_in.integration()

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 0, result
    (server,) = logged_in.sources()
    assert (server["repo"], server["branch"], server["integrationId"]) == (
        "github.com/acme/backend", "main", integration["id"])
    data = local_file(workspace)
    assert data["virtualSources"] == {}
    assert data["mounts"][str(server["id"])]["mountPath"] == str(workspace)
    assert f"created server source {server['id']}" in result.stdout


def test_link_adopts_the_server_source_of_the_same_name_and_repo(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    integration = logged_in.integration()
    existing = logged_in.source(name="backend", repo="https://github.com/acme/backend.git", branch="main")

    result = cli.invoke(["source", "link", "backend", "--json"])

    assert result.exit_code == 0, result
    assert result.json()["sourceId"] == existing["id"]
    (server,) = logged_in.sources()
    assert server["integrationId"] == integration["id"]
    assert list(local_file(workspace)["mounts"]) == [str(existing["id"])]


def test_link_refuses_a_server_source_of_the_same_name_with_another_repo(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    logged_in.integration()
    logged_in.source(name="backend", repo="github.com/acme/legacy-backend")
    before = (workspace / ".jolli" / "sources.json").read_bytes()

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 2
    assert "github.com/acme/legacy-backend" in result.stderr and "wrong repository" in result.stderr
    assert (workspace / ".jolli" / "sources.json").read_bytes() == before
    assert len(logged_in.sources()) == 1


def test_link_with_several_candidates_exits_2_and_changes_nothing(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    logged_in.integration(name="one")
    logged_in.integration(name="two")

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 2
    assert "several integrations cover github.com/acme/backend" in result.stderr
    assert "backend" in local_file(workspace)["virtualSources"]
    assert logged_in.sources() == []


def test_link_leaves_the_file_alone_when_the_server_refuses(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    elsewhere = logged_in.integration(host="gitlab.com", owner="other", provider="gitlab")
    before = (workspace / ".jolli" / "sources.json").read_bytes()

    result = cli.invoke(["source", "link", "backend", "--integration-id", str(elsewhere["id"])])

    assert result.exit_code == 2
    assert (workspace / ".jolli" / "sources.json").read_bytes() == before
    assert logged_in.sources() == []


def test_link_undoes_the_server_source_when_the_local_write_fails(cli, workspace, logged_in, monkeypatch):
    _add_virtual(cli, workspace)
    logged_in.integration()
    before = (workspace / ".jolli" / "sources.json").read_bytes()
    real_replace = os.replace

    def failing(src, dst, *args, **kwargs):
        if str(dst).endswith("sources.json"):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr("jolli.local.sources_file.os.replace", failing)

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 2
    assert "Input/output error" in result.stderr
    assert logged_in.sources() == []
    assert (workspace / ".jolli" / "sources.json").read_bytes() == before


def test_link_undoes_an_adoption_patch_when_the_local_write_fails(cli, workspace, logged_in, monkeypatch):
    _add_virtual(cli, workspace)
    logged_in.integration()
    existing = logged_in.source(name="backend", repo="github.com/acme/backend")
    real_replace = os.replace
    monkeypatch.setattr(
        "jolli.local.sources_file.os.replace",
        lambda s, d, *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device"))
        if str(d).endswith("sources.json") else real_replace(s, d, *a, **k),
    )

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 2
    (server,) = logged_in.sources()
    assert server["id"] == existing["id"] and server["integrationId"] is None


def test_link_needs_a_server(cli, workspace):
    _add_virtual(cli, workspace)

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 2
    assert "needs a jolli server" in result.stderr


def test_link_of_an_already_linked_source_does_nothing(cli, workspace, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 0
    assert "already linked" in result.stderr
    assert len(logged_in.sources()) == 1


def test_link_with_the_server_down_exits_1_and_keeps_the_virtual_source(cli, workspace, monkeypatch):
    _add_virtual(cli, workspace)
    monkeypatch.setenv("JOLLI_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("JOLLI_TOKEN", "jt_not_a_real_token")

    result = cli.invoke(["source", "link", "backend"])

    assert result.exit_code == 1
    assert "cannot reach the jolli server" in result.stderr
    assert "jt_not_a_real_token" not in result.stderr
    assert "backend" in local_file(workspace)["virtualSources"]


# --- list and show -----------------------------------------------------------------------------------------
def test_list_shows_kind_and_status_of_each_source(cli, workspace, tmp_path, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    other = make_repo(tmp_path / "web", remote="https://gitlab.com/acme/web.git")
    assert cli.invoke(["source", "add", "web", "--mount", str(other)]).exit_code == 0  # no integration: virtual
    moved = make_repo(tmp_path / "moved", remote="git@github.com:acme/moved.git")
    assert cli.invoke(["source", "add", "moved", "--mount", str(moved), "--virtual"]).exit_code == 0
    drifted = make_repo(tmp_path / "drifted", remote="git@github.com:acme/drifted.git")
    assert cli.invoke(["source", "add", "drifted", "--mount", str(drifted), "--virtual"]).exit_code == 0
    (moved / ".git").rename(tmp_path / "moved-git")
    os.rename(moved, tmp_path / "gone")
    from served import git

    git(drifted, "remote", "set-url", "origin", "git@github.com:someone/else.git")

    result = cli.invoke(["source", "list", "--json"])

    assert result.exit_code == 0, result
    rows = {row["name"]: row for row in result.json()}
    assert rows["backend"]["kind"] == "mounted" and rows["backend"]["status"] == "ok"
    assert rows["backend"]["checks"]["integrationLinked"]["ok"] is True
    assert rows["backend"]["checks"]["onServer"]["ok"] is True
    assert rows["web"]["kind"] == "virtual" and rows["web"]["status"] == "ok"
    assert rows["moved"]["checks"]["mountPresent"]["ok"] is False
    assert "is missing" in rows["moved"]["status"]
    assert rows["drifted"]["checks"]["remoteMatchesRepo"]["ok"] is False
    assert "github.com/someone/else" in rows["drifted"]["status"]

    table = cli.invoke(["source", "list"])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "ID", "REPO", "BRANCH", "INTEGRATION", "MOUNT", "STATUS"]
    assert "\x1b[" not in table.stdout  # no colour when not on a terminal
    assert any(line.startswith("backend") and " mounted " in line for line in lines)


def test_list_reports_a_mount_whose_server_source_was_deleted(cli, workspace, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    (server,) = logged_in.sources()
    assert logged_in.api("DELETE", f"/api/sources/{server['id']}")[0] == 204

    (row,) = cli.invoke(["source", "list", "--json"]).json()

    assert row["checks"]["onServer"]["ok"] is False
    assert "does not exist" in row["status"] and "jolli source remove backend" in row["status"]


def test_list_reports_a_virtual_name_that_shadows_a_server_source(cli, workspace, logged_in: Org):
    _add_virtual(cli, workspace)
    logged_in.source(name="backend", repo="github.com/acme/backend")

    (row,) = cli.invoke(["source", "list", "--json"]).json()

    assert row["checks"]["nameUnique"]["ok"] is False
    (collision,) = row["collisions"]
    assert collision["where"] == "server"
    assert "jolli source link backend" in collision["resolve"]


def test_list_with_the_server_unreachable_still_lists_local_sources(cli, workspace, monkeypatch):
    _add_virtual(cli, workspace)
    monkeypatch.setenv("JOLLI_URL", f"http://127.0.0.1:{free_port()}")

    result = cli.invoke(["source", "list", "--json"])

    assert result.exit_code == 0
    assert "server not reachable" in result.stderr
    (row,) = result.json()
    assert row["checks"]["serverReachable"]["ok"] is False


def test_list_with_no_sources_says_how_to_add_one(cli, workspace):
    result = cli.invoke(["source", "list"])

    assert result.exit_code == 0
    assert result.stdout == ""
    assert "jolli source add" in result.stderr
    assert cli.invoke(["source", "list", "--json"]).json() == []


def test_show_reports_every_check_and_the_cursor(cli, workspace, logged_in: Org):
    from served import git

    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    (server,) = logged_in.sources()
    head = git(workspace, "rev-parse", "HEAD")
    status, _ = logged_in.api("PATCH", f"/api/sources/{server['id']}/cursor", {"value": head})
    assert status == 200

    shown = cli.invoke(["source", "show", "backend", "--json"])

    assert shown.exit_code == 0, shown
    data = shown.json()
    assert data["kind"] == "mounted" and data["sourceId"] == server["id"]
    assert data["cursor"]["value"] == head
    checks = data["checks"]
    for key in ("mountPresent", "gitWorkTree", "remoteMatchesRepo", "serverReachable", "onServer",
                "integrationLinked", "cursor"):
        assert checks[key]["ok"] is True, (key, checks[key])
    text = cli.invoke(["source", "show", "backend"]).stdout
    assert "kind:        mounted" in text and head in text


def test_show_checks_the_mount_with_real_git(cli, workspace, tmp_path):
    _add_virtual(cli, workspace)
    (workspace / ".git").rename(tmp_path / "stashed-git")

    data = cli.invoke(["source", "show", "backend", "--json"]).json()

    assert data["kind"] == "virtual"
    assert data["checks"]["gitWorkTree"]["ok"] is False
    assert data["checks"]["serverReachable"]["ok"] is None
    assert "not a git work tree" in data["status"]


def test_show_finds_a_server_source_that_is_not_mounted_here(cli, workspace, logged_in: Org):
    logged_in.source(name="api", repo="github.com/acme/api")

    data = cli.invoke(["source", "show", "api", "--json"]).json()

    assert data["kind"] == "server" and data["repo"] == "github.com/acme/api"


def test_show_gives_the_last_check_its_result_and_the_next_check(cli, workspace, logged_in: Org):
    notes = logged_in.source(name="notes", type="file")
    before = cli.invoke(["source", "show", "notes"])
    assert before.exit_code == 0, before
    assert "last check:  never" in before.stdout and "next check:  at the next sweep" in before.stdout
    status, synced = logged_in.api("POST", f"/api/sources/{notes['id']}/sync", {"cursor": "sha256:" + "a" * 64})
    assert status == 200 and synced["result"] == "changed"

    data = cli.invoke(["source", "show", "notes", "--json"]).json()
    text = cli.invoke(["source", "show", "notes"]).stdout

    check = data["check"]
    assert (check["result"], check["eventId"]) == ("changed", synced["eventId"])
    assert check["lastCheckedAt"] < check["nextCheckAt"]
    lines = dict(line.split(":  ", 1) for line in text.splitlines() if line.startswith(("last check", "next check")))
    assert lines["last check"].strip() == (f"{check['lastCheckedAt']} changed: {check['detail']} "
                                           f"(event {synced['eventId']})")
    assert lines["next check"].strip() == check["nextCheckAt"]


def test_show_of_an_unknown_name_exits_2(cli, workspace):
    result = cli.invoke(["source", "show", "nope"])

    assert result.exit_code == 2
    assert "no source named 'nope'" in result.stderr


# --- remove ------------------------------------------------------------------------------------------------
def test_remove_a_virtual_source(cli, workspace):
    _add_virtual(cli, workspace)

    result = cli.invoke(["source", "remove", "backend"])

    assert result.exit_code == 0
    assert local_file(workspace)["virtualSources"] == {}


def test_remove_a_mount_keeps_the_server_source_unless_asked(cli, workspace, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0

    result = cli.invoke(["source", "remove", "backend"])

    assert result.exit_code == 0
    assert "is kept" in result.stderr
    assert local_file(workspace)["mounts"] == {}
    assert len(logged_in.sources()) == 1

    gone = cli.invoke(["source", "remove", "backend", "--server"])  # found on the server by name
    assert gone.exit_code == 0, gone
    assert logged_in.sources() == []


def test_remove_with_server_deletes_both(cli, workspace, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0

    result = cli.invoke(["source", "remove", "backend", "--server", "--json"])

    assert result.exit_code == 0, result
    assert result.json()["serverDeleted"] is True
    assert logged_in.sources() == []
    assert local_file(workspace)["mounts"] == {}


def test_remove_with_server_keeps_the_mount_when_the_server_is_down(cli, workspace, logged_in, monkeypatch):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0
    before = local_file(workspace)
    monkeypatch.setenv("JOLLI_URL", f"http://127.0.0.1:{free_port()}")

    result = cli.invoke(["source", "remove", "backend", "--server"])

    assert result.exit_code == 1
    assert "the local mount was kept" in result.stderr
    assert local_file(workspace) == before


def test_remove_an_unknown_name_exits_2(cli, workspace):
    result = cli.invoke(["source", "remove", "nope"])

    assert result.exit_code == 2
    assert not (workspace / ".jolli").exists()


# --- legacy files meet the server --------------------------------------------------------------------------
def test_a_migrated_virtual_source_that_collides_with_the_server_is_shown_then_linked(cli, workspace, logged_in):
    integration = logged_in.integration()
    existing = logged_in.source(name="backend", repo="github.com/acme/backend")
    legacy = workspace / ".jolli" / "sources.json"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"version": 1, "sources": {
        "backend": {"type": "git", "path": str(workspace), "repo": "github.com/acme/backend"}}}))

    listed = cli.invoke(["source", "list", "--json"])

    assert listed.exit_code == 0, listed
    assert "upgraded" in listed.stderr
    (row,) = listed.json()
    assert row["kind"] == "virtual"
    assert row["collisions"][0]["problem"] == (
        f"virtual source 'backend' shadows server source {existing['id']} (github.com/acme/backend)")
    assert "jolli source link backend" in row["collisions"][0]["resolve"]

    linked = cli.invoke(["source", "link", "backend"])

    assert linked.exit_code == 0, linked
    assert f"adopted the existing server source {existing['id']}" in linked.stdout
    assert logged_in.sources()[0]["integrationId"] == integration["id"]
    (row,) = cli.invoke(["source", "list", "--json"]).json()
    assert (row["kind"], row["status"]) == ("mounted", "ok")


def test_a_legacy_mount_shows_the_server_source_it_points_at(cli, workspace, logged_in):
    logged_in.integration()
    existing = logged_in.source(name="backend-api", repo="github.com/acme/backend", branch="main")
    legacy = workspace / ".jolli" / "sources.json"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"version": 1, "sources": {
        "backend": {"type": "git", "path": str(workspace), "sourceId": existing["id"]}}}))

    (row,) = cli.invoke(["source", "list", "--json"]).json()

    assert row["name"] == "backend-api"  # the server's name wins over the legacy key
    assert row["sourceId"] == existing["id"] and row["checks"]["onServer"]["ok"] is True
    # not linked, but the integration covering its repo delivers its pushes: not a failure (issue 16, item 9)
    assert row["checks"]["integrationLinked"]["ok"] is None and row["status"] == "ok"
    shown = cli.invoke(["source", "show", "backend-api", "--json"]).json()
    assert shown["checks"]["integrationLinked"]["ok"] is True
    assert "covers github.com/acme/backend: pushes are received" in shown["checks"]["integrationLinked"]["detail"]


def test_end_to_end_in_subprocesses(workspace, org, tmp_path):
    from served import base_env, run_jolli

    integration = org.integration()
    env = base_env(tmp_path / "e2e")
    run_jolli(["login", "--server", org.server.url, "--token", org.token], env)

    added = run_jolli(["source", "add", "backend", "--mount", str(workspace), "--virtual"], env, cwd=workspace)
    assert "recorded 'backend' as a virtual source" in added.stderr
    linked = run_jolli(["source", "link", "backend", "--json"], env, cwd=workspace)
    assert json.loads(linked.stdout)["integrationId"] == integration["id"]
    shown = json.loads(run_jolli(["source", "show", "backend", "--json"], env, cwd=workspace).stdout)
    assert (shown["kind"], shown["status"]) == ("mounted", "ok")
    removed = run_jolli(["source", "remove", "backend", "--server"], env, cwd=workspace)
    assert removed.stdout.startswith("removed mounted source backend (") and "deleted server source" in removed.stdout
    assert org.sources() == []
    assert org.token not in added.stderr + linked.stdout + linked.stderr + removed.stdout + removed.stderr


def test_add_with_the_server_down_exits_1_and_suggests_virtual(cli, workspace, monkeypatch):
    monkeypatch.setenv("JOLLI_URL", f"http://127.0.0.1:{free_port()}")

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace)])

    assert result.exit_code == 1
    assert "cannot reach the jolli server" in result.stderr and "pass --virtual" in result.stderr
    assert not (workspace / ".jolli" / "sources.json").exists()


def test_add_of_a_file_source_takes_a_folder_and_no_repo(cli, workspace, tmp_path):
    folder = tmp_path / "handbook"
    folder.mkdir()

    refused = cli.invoke(["source", "add", "handbook", "--type", "file", "--mount", str(folder), "--repo",
                          "github.com/acme/handbook"])
    added = cli.invoke(["source", "add", "handbook", "--type", "file", "--mount", str(folder)])

    assert refused.exit_code == 2 and "a file source has no repo" in refused.stderr
    assert added.exit_code == 0, added
    assert local_file(workspace)["virtualSources"]["handbook"] == {"mountPath": str(folder), "type": "file"}
    (row,) = cli.invoke(["source", "list", "--json"]).json()
    assert row["status"] == "ok" and "gitWorkTree" not in row["checks"]


def test_an_unknown_source_type_says_it_may_not_be_installed(cli, workspace):
    result = cli.invoke(["source", "add", "x", "--type", "archive", "--mount", str(workspace)])

    assert result.exit_code == 2
    assert "'archive' is not available (plugin may not be installed)" in result.stderr


def test_remove_with_the_server_flag_before_the_name(cli, workspace, logged_in: Org):
    logged_in.integration()
    assert cli.invoke(["source", "add", "backend", "--mount", str(workspace)]).exit_code == 0

    result = cli.invoke(["source", "remove", "--server", "backend"])  # not a URL: the name, default server

    assert result.exit_code == 0, result
    assert logged_in.sources() == [] and local_file(workspace)["mounts"] == {}
    missing = cli.invoke(["source", "remove", "--server", "http://127.0.0.1:1"])
    assert missing.exit_code == 2 and "missing the source NAME" in missing.stderr
    assert cli.invoke(["source", "remove"]).exit_code == 2


# --- types that follow no repo, and --field --------------------------------------------------------------
def test_add_of_a_file_source_with_a_server_creates_it_without_an_integration(cli, workspace, tmp_path,
                                                                                  logged_in: Org):
    folder = tmp_path / "handbook"
    folder.mkdir()

    added = cli.invoke(["source", "add", "handbook", "--type", "file", "--mount", str(folder), "--json"])

    assert added.exit_code == 0, added
    assert added.json()["kind"] == "mounted"
    (server_source,) = logged_in.sources()
    assert (server_source["name"], server_source["type"], server_source["integrationId"]) == ("handbook", "file",
                                                                                              None)
    assert local_file(workspace)["mounts"][str(server_source["id"])]["mountPath"] == str(folder)


def test_link_of_a_virtual_file_source_needs_no_integration(cli, workspace, tmp_path, logged_in: Org):
    folder = tmp_path / "handbook"
    folder.mkdir()
    assert cli.invoke(["source", "add", "handbook", "--type", "file", "--mount", str(folder),
                       "--virtual"]).exit_code == 0

    linked = cli.invoke(["source", "link", "handbook", "--json"])

    assert linked.exit_code == 0, linked
    assert [(s["name"], s["integrationId"]) for s in logged_in.sources()] == [("handbook", None)]
    assert local_file(workspace)["virtualSources"] == {}


@pytest.mark.parametrize(("args", "message"), [
    (["--field", "url"], "--field expects KEY=VALUE"),
    (["--field", "=x"], "--field expects KEY=VALUE"),
    (["--field", "a=1", "--field", "a=2"], "--field a is given twice"),
    (["--field", "a=1", "--virtual"], "drop --virtual or --field"),
])
def test_add_refuses_bad_field_options_with_exit_2_and_writes_nothing(cli, workspace, args, message):
    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace), *args])
    assert result.exit_code == 2 and message in result.stderr, result
    assert not (workspace / ".jolli" / "sources.json").exists()


def test_add_with_fields_needs_a_server(cli, workspace):
    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace), "--field", "a=1"])
    assert result.exit_code == 2 and "--field needs a server" in result.stderr


def test_fields_a_type_does_not_have_are_refused_by_the_server_and_nothing_is_left(cli, workspace, logged_in: Org):
    logged_in.integration()

    result = cli.invoke(["source", "add", "backend", "--mount", str(workspace), "--field", "colour=blue"])

    assert result.exit_code == 2, result
    assert "colour" in result.stderr
    assert logged_in.sources() == []
    assert not (workspace / ".jolli" / "sources.json").exists() or local_file(workspace)["mounts"] == {}


# --- first-time-user defects (issue 16) ---------------------------------------------------------------------
def test_add_without_mount_creates_a_server_source_only(cli, workspace, logged_in):
    result = cli.invoke(["source", "add", "notes", "--type", "file"])

    assert result.exit_code == 0, result
    assert result.stdout.startswith("added source notes (server source ")
    assert result.stdout.endswith(", no integration) not mounted here\n")  # never "integration None"
    assert [s["name"] for s in logged_in.sources()] == ["notes"]
    assert not (workspace / ".jolli").exists()
    shown = cli.invoke(["source", "show", "notes", "--json"]).json()
    assert shown["checks"]["integrationLinked"] == {"ok": None, "detail": "not needed: a file source follows no repo"}

    removed = cli.invoke(["source", "remove", "notes", "--server"])
    assert removed.exit_code == 0, removed
    assert removed.stdout.startswith("deleted server source notes (id ") and "not mounted here" in removed.stdout


def test_add_without_mount_explains_what_it_needs(cli, workspace, logged_in):
    result = cli.invoke(["source", "add", "backend"])
    assert result.exit_code == 2 and "needs --repo HOST/OWNER/REPO without --mount" in result.stderr
    result = cli.invoke(["source", "add", "notes", "--type", "file", "--virtual"])
    assert result.exit_code == 2 and "pass --mount ABS-PATH" in result.stderr


def test_a_file_mount_is_not_checked_as_a_git_work_tree(cli, tmp_path, monkeypatch):
    folder = tmp_path / "notes"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert cli.invoke(["source", "add", "notes", "--type", "file", "--mount", str(folder)]).exit_code == 0
    checks = cli.invoke(["source", "show", "notes", "--json"]).json()["checks"]
    assert "gitWorkTree" not in checks and checks["mountValid"]["ok"] is True


def test_list_in_an_empty_folder_names_no_file_that_does_not_exist(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(["source", "list"])
    assert result.exit_code == 0
    assert "no sources in this folder or above (no .jolli/sources.json yet)" in result.stderr
    assert "sources.json;" not in result.stderr
