"""The example third-party plugin ``examples/jolli-archive``, installed from its own folder like any outside
package (``pip install --target``, never imported from the source tree), driven through jolli's CLI, API
and worker; then "uninstalled" (left off ``sys.path`` or out of ``JOLLI_LOAD_PLUGINS``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

import jolli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "jolli-archive"
URL = "https://downloads.example.com/docs.zip"
NOT_AVAILABLE = "not available (plugin may not be installed)"
sys.path.insert(0, str(EXAMPLE / "tests"))  # the example's own helpers, as its authors use them

from archive_files import make_zip  # noqa: E402


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


V1 = make_zip({"README.md": b"hello", "guide/intro.md": b"one"})
V2 = make_zip({"README.md": b"hello", "guide/intro.md": b"two", "guide/new.md": b"new"})


# --- installing the example --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def archive_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``examples/jolli-archive`` (building in place would leave build files in the tree)."""
    src = tmp_path_factory.mktemp("jolli-archive-src") / "jolli-archive"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*cache"))
    return src


@pytest.fixture(scope="session")
def archive_site(archive_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example built from its own folder and installed into a temp dir (once per session)."""
    target = tmp_path_factory.mktemp("jolli-archive-site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(target), str(archive_src)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, f"pip install of examples/jolli-archive failed:\n{done.stdout}\n{done.stderr}"
    return target


def _forget_archive_modules() -> None:
    for name in [m for m in sys.modules if m == "jolli_archive" or m.startswith("jolli_archive.")]:
        del sys.modules[name]


@pytest.fixture
def installed(archive_site: Path, monkeypatch: pytest.MonkeyPatch, jolli_plugins: Any) -> Iterator[Path]:
    """The plugin on ``sys.path`` (and ``PYTHONPATH`` for subprocesses) for one test, with fresh plugins."""
    _forget_archive_modules()
    monkeypatch.syspath_prepend(str(archive_site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(archive_site), os.environ.get("PYTHONPATH")])))
    yield archive_site
    _forget_archive_modules()


@pytest.fixture
def uninstalled(jolli_plugins: Any) -> Iterator[None]:
    """The plugin not on ``sys.path``: as if ``pip uninstall jolli-archive`` had run."""
    _forget_archive_modules()
    yield
    _forget_archive_modules()


def _jolli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``jolli`` console script in a new process."""
    script = Path(sys.executable).with_name("jolli")
    return subprocess.run([str(script), *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          check=False, timeout=120)


# --- installed: discovery ----------------------------------------------------------------------------
def test_plugin_comes_from_its_installed_copy_not_the_source_tree(installed: Path) -> None:
    import importlib.metadata

    import jolli_archive

    assert Path(jolli_archive.__file__).resolve().is_relative_to(installed.resolve())
    assert importlib.metadata.distribution("jolli-archive").version == "0.1.0"


def test_jolli_plugins_json_shows_the_plugin_its_type_and_hooks(installed: Path) -> None:
    result = _jolli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    [plugin] = [p for p in info["plugins"] if p["name"] == "archive"]
    assert (plugin["distribution"], plugin["version"], plugin["module"]) == ("jolli-archive", "0.1.0",
                                                                            "jolli_archive.plugin")
    assert plugin["sourceTypes"] == ["archive"]
    assert plugin["hooks"] == ["jolli_register_commands", "jolli_register_source_types"]
    assert "archive" in info["hooks"]["jolli_register_source_types"]
    assert "archive" in info["hooks"]["jolli_register_commands"]
    assert info["errors"] == []


def test_jolli_plugins_lists_it_for_people(installed: Path) -> None:
    result = _jolli("plugins")
    line = next(line for line in result.stdout.splitlines() if line.startswith("archive "))
    assert "jolli-archive" in line and "0.1.0" in line and "source types: archive" in line


def test_load_plugins_without_it_hides_it_like_an_uninstall(installed: Path) -> None:
    result = _jolli("plugins", "--json", env={"JOLLI_LOAD_PLUGINS": "git,file,record_changes"})
    info = json.loads(result.stdout)
    assert "archive" not in [p["name"] for p in info["plugins"]]
    assert info["hooks"]["jolli_register_source_types"] == ["git", "file"]  # call order


def test_the_examples_own_suite_passes_against_the_installed_copy(installed: Path, archive_src: Path,
                                                                  tmp_path: Path) -> None:
    """The plugin's own tests (``responses`` + jolli's ``jolli_*`` fixtures), run as its author would."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-c", str(archive_src / "pyproject.toml"), str(archive_src / "tests")],
        capture_output=True, text=True, cwd=tmp_path, check=False, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


# --- installed: CLI ----------------------------------------------------------------------------------
@responses.activate
def test_archive_check_command_comes_from_the_plugin(installed: Path, jolli_cli_runner: Any) -> None:
    responses.add(responses.GET, URL, body=V1, headers={"ETag": '"v1"'})
    result = jolli_cli_runner.invoke(["archive", "check", URL, "--json"])
    assert result.exit_code == 0, result
    assert result.json()["cursor"] == digest(V1)
    assert result.json()["members"] == 2


def test_source_add_type_archive_records_the_mount(installed: Path, jolli_cli_runner: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mount = tmp_path / "docs-unpacked"
    mount.mkdir()
    monkeypatch.chdir(tmp_path)
    result = jolli_cli_runner.invoke(["source", "add", "docs", "--type", "archive", "--mount", str(mount),
                                      "--virtual", "--json"])
    assert result.exit_code == 0, result
    assert (result.json()["kind"], result.json()["type"]) == ("virtual", "archive")
    listed = jolli_cli_runner.invoke(["source", "list", "--local", "--json"])
    assert [(s["name"], s["type"]) for s in _items(listed.json())] == [("docs", "archive")]


@pytest.mark.parametrize(
    ("extra", "words"),
    [(["--repo", "github.com/a/b"], "repo"), ([], "must be an existing folder")],
)
def test_source_add_type_archive_is_checked_by_the_plugin(installed: Path, jolli_cli_runner: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, extra: list[str],
                                                          words: str) -> None:
    mount = tmp_path / ("docs" if extra else "missing")
    if extra:
        mount.mkdir()
    monkeypatch.chdir(tmp_path)
    result = jolli_cli_runner.invoke(["source", "add", "docs", "--type", "archive", "--mount", str(mount),
                                      "--virtual", *extra])
    assert result.exit_code == 2
    assert words in result.stderr


def test_source_add_and_link_send_an_archives_url_to_a_real_server(installed: Path, tmp_path: Path) -> None:
    """``--field url=...`` through the real ``jolli`` console script and a real ``jolli serve`` that both load
    the installed plugin; an archive needs no integration."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
    from served import JolliServer, run_jolli

    server = JolliServer(tmp_path / "server").start()
    try:
        org = server.new_org()
        env = {**server.env, "JOLLI_URL": server.url, "JOLLI_TOKEN": org.token}
        mount = tmp_path / "docs"
        mount.mkdir()
        add = ["source", "add", "docs", "--type", "archive", "--mount", str(mount)]
        refused = run_jolli([*add, "--field", "url=ftp://downloads.example.com/docs.zip"], env, cwd=tmp_path,
                            check=False)
        assert refused.returncode == 2 and "url" in refused.stderr, refused.stderr
        assert org.sources() == []
        missing = run_jolli(add, env, cwd=tmp_path, check=False)  # no url: the plugin on the server says which field
        assert missing.returncode == 2 and "url" in missing.stderr and org.sources() == []

        added = run_jolli([*add, "--field", f"url={URL}", "--json"], env, cwd=tmp_path, check=False)
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["kind"] == "mounted"
        (docs,) = org.sources()
        assert (docs["type"], docs["fields"]["url"], docs["integrationId"]) == ("archive", URL, None)

        other = tmp_path / "notes"
        other.mkdir()
        assert run_jolli(["source", "add", "notes", "--type", "archive", "--mount", str(other), "--virtual"],
                         env, cwd=tmp_path, check=False).returncode == 0
        linked = run_jolli(["source", "link", "notes", "--field", f"url={URL}"], env, cwd=tmp_path, check=False)
        assert linked.returncode == 0, linked.stderr
        assert sorted(s["name"] for s in org.sources()) == ["docs", "notes"]

        # no local copy: without --mount the archive is created on the server only (issue 16, item 6)
        remote = run_jolli(["source", "add", "remote-docs", "--type", "archive", "--field", f"url={URL}"], env,
                           cwd=tmp_path, check=False)
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout.endswith("no integration) not mounted here\n")
        assert sorted(s["name"] for s in org.sources()) == ["docs", "notes", "remote-docs"]
    finally:
        server.stop()


def _items(listing: Any) -> list[dict[str, Any]]:
    return listing["sources"] if isinstance(listing, dict) and "sources" in listing else listing


# --- installed: API ----------------------------------------------------------------------------------
def _create(client: Any, name: str = "docs", **fields: Any) -> Any:
    return client.post("/api/sources", json={"name": name, "type": "archive", "fields": fields or {"url": URL}})


def test_api_accepts_an_archive_source_and_normalises_its_fields(installed: Path, jolli_client: Any) -> None:
    response = _create(jolli_client, url="https://downloads.example.com/site.tgz")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["type"], body["repo"], body["fields"]) == (
        "archive", None, {"url": "https://downloads.example.com/site.tgz", "format": "tar.gz"})
    assert jolli_client.get(f"/api/sources/{body['id']}").get_json()["fields"]["format"] == "tar.gz"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": "http://downloads.example.com/a.zip"}, "fields.url", "https://"),
        ({"url": "https://me:pw@downloads.example.com/a.zip"}, "fields.url", "password"),
        ({"url": URL, "format": "rar"}, "fields.format", "one of"),
        ({"url": URL, "depth": 3}, "fields.depth", "unknown field"),
    ],
)
def test_api_rejects_bad_archive_fields_naming_them(installed: Path, jolli_client: Any, fields: dict[str, Any],
                                                     field: str, words: str) -> None:
    response = _create(jolli_client, **fields)
    assert response.status_code == 400
    problem = response.get_json()
    assert words in problem["errors"][field][0]
    assert "pw@" not in json.dumps(problem)


def test_api_rejects_an_archive_source_without_a_url(installed: Path, jolli_client: Any) -> None:
    response = jolli_client.post("/api/sources", json={"name": "docs", "type": "archive"})
    assert response.status_code == 400
    assert "is required" in response.get_json()["errors"]["fields.url"][0]


def test_api_rejects_a_repo_on_an_archive_source(installed: Path, jolli_client: Any) -> None:
    response = jolli_client.post("/api/sources", json={"name": "docs", "type": "archive", "repo": "github.com/a/b"})
    assert response.status_code == 400
    assert "repo" in response.get_json()["errors"]


def test_api_cursor_is_validated_by_the_plugin(installed: Path, jolli_client: Any, jolli_org: Any) -> None:
    source_id = _stored_source(jolli_org)
    ok = jolli_client.patch(f"/api/sources/{source_id}/cursor", json={"value": digest(V1).upper().replace("SHA256", "sha256")})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["cursor"]["value"] == digest(V1)
    bad = jolli_client.patch(f"/api/sources/{source_id}/cursor", json={"value": "deadbeef"})
    assert bad.status_code == 400
    assert "sha256" in bad.get_json()["errors"]["value"][0]


def _stored_source(org: Any, name: str = "docs", url: str = URL) -> int:
    """An archive source row, stored directly (as the API stores it once it accepts ``fields``)."""
    from jolli.store.models import Source

    return Source.create(org=org, name=name, type="archive", fields=json.dumps({"url": url, "format": "zip"})).id


# --- installed: worker -------------------------------------------------------------------------------
def _space_bound_to(client: Any, name: str, source_id: int) -> int:
    space = client.post("/api/spaces", json={"name": name})
    assert space.status_code == 201, space.get_json()
    bound = client.post(f"/api/spaces/{space.get_json()['id']}/sources", json={"sourceId": source_id})
    assert bound.status_code == 201, bound.get_json()
    return int(space.get_json()["id"])


_CLOCK = [0.0]


def _check(etag: str | None = None, *, answer_head: bool = True) -> Any:
    """One scheduled sweep of the checks, as ``jolli worker`` runs it (each call one interval later); with
    ``answer_head`` the archive answers ``HEAD`` with ``etag`` (else the test has set its answer)."""
    import time

    from jolli.events.checker import Checker
    from jolli.events.config import EventSettings

    if answer_head:
        responses.upsert(responses.HEAD, URL, headers={"ETag": etag} if etag else {})
    _CLOCK[0] = max(_CLOCK[0], time.time()) + 3600
    return Checker(EventSettings.from_env(), "test-checker", clock=lambda: _CLOCK[0]).sweep()


def _event(org: Any, source_id: int, head: str, before: str | None = None) -> int:
    """The event a scheduled check records for the archive's current version (there is no webhook for files)."""
    from jolli.events.tables import SourceEvent

    stats = _check()
    assert stats.results == {"changed": 1}, stats
    event = SourceEvent.get_by_id(stats.event_ids[0])
    assert (event.source_id, event.head_sha, event.before_sha, event.origin) == (source_id, head, before, "poll")
    return int(event.id)


def _work() -> list[Any]:
    from jolli.events.config import EventSettings
    from jolli.events.worker import Worker

    # No wait for a burst: each change here is worked off before the next one is made.
    return Worker(EventSettings.from_env(lease_seconds=30, coalesce_seconds=0.0)).drain()


@responses.activate
def test_worker_records_the_changed_member_files_and_advances_the_cursor(installed: Path, jolli_client: Any,
                                                                       jolli_org: Any) -> None:
    source_id = _stored_source(jolli_org)
    spaces = [_space_bound_to(jolli_client, name, source_id) for name in ("handbook", "site")]
    responses.add(responses.GET, URL, body=V1)
    first = _event(jolli_org, source_id, digest(V1))
    assert [r.state for r in _work()] == ["done"]
    responses.replace(responses.GET, URL, body=V2)
    second = _event(jolli_org, source_id, digest(V2), before=digest(V1))
    assert [r.state for r in _work()] == ["done"]

    event = jolli_client.get(f"/api/events/{second}").get_json()
    assert event["status"] == "processed"
    outcomes = [a for a in event["audit"] if a["outcome"] == "processed"]
    assert sorted(a["spaceId"] for a in outcomes) == spaces
    detail = outcomes[0]["detail"]
    assert (detail["base"], detail["head"], detail["relation"]) == (digest(V1), digest(V2), "ahead")
    assert detail["files"] == ["guide/intro.md", "guide/new.md"]
    assert jolli_client.get(f"/api/events/{first}").get_json()["status"] == "processed"
    assert jolli_client.get(f"/api/sources/{source_id}").get_json()["cursor"]["value"] == digest(V2)


@responses.activate
def test_a_check_of_a_version_already_at_the_cursor_stores_nothing(installed: Path, jolli_client: Any,
                                                                  jolli_org: Any) -> None:
    source_id = _stored_source(jolli_org)
    assert jolli_client.patch(f"/api/sources/{source_id}/cursor", json={"value": digest(V1)}).status_code == 200
    responses.add(responses.GET, URL, body=V1)
    assert _check().results == {"unchanged": 1}
    assert jolli_client.get("/api/events").get_json()["items"] == []


@responses.activate
def test_an_unchanged_etag_costs_one_head_and_a_new_version_is_downloaded(installed: Path, jolli_client: Any,
                                                                         jolli_org: Any) -> None:
    source_id = _stored_source(jolli_org)
    responses.add(responses.GET, URL, body=V1)
    assert _check('"v1"').results == {"changed": 1}
    responses.upsert(responses.HEAD, URL, status=304, headers={"ETag": '"v1"'},
                     match=[responses.matchers.header_matcher({"If-None-Match": '"v1"'})])
    before = len(responses.calls)
    assert _check(answer_head=False).results == {"unchanged": 1}
    assert [c.request.method for c in responses.calls[before:]] == ["HEAD"]
    responses.replace(responses.GET, URL, body=V2)
    responses.upsert(responses.HEAD, URL, headers={"ETag": '"v2"'})
    assert _check(answer_head=False).results == {"changed": 1}
    events = jolli_client.get(f"/api/events?sourceId={source_id}").get_json()["items"]
    assert sorted(e["headSha"] for e in events) == sorted([digest(V1), digest(V2)])


@responses.activate
def test_sync_asks_the_archive_now_and_the_worker_lists_its_changed_files(installed: Path, jolli_client: Any,
                                                                         jolli_org: Any) -> None:
    source_id = _stored_source(jolli_org)
    space = _space_bound_to(jolli_client, "handbook", source_id)
    responses.add(responses.HEAD, URL)
    responses.add(responses.GET, URL, body=V1)
    synced = jolli_client.post(f"/api/sources/{source_id}/sync").get_json()
    assert (synced["result"], synced["head"], synced["origin"]) == ("changed", digest(V1), "manual")
    assert [r.state for r in _work()] == ["done"]
    event = jolli_client.get(f"/api/events/{synced['eventId']}").get_json()
    assert [(a["spaceId"], a["outcome"]) for a in event["audit"]] == [(space, "processed")]
    assert jolli_client.post(f"/api/sources/{source_id}/sync").get_json()["result"] == "unchanged"


@responses.activate
def test_hook_process_space(installed: Path, jolli_client: Any, jolli_org: Any, jolli_register_plugin: Any) -> None:
    """A plugin's ``jolli_process_space`` (with fewer arguments than the spec) runs once per space, in
    ascending space id, with the archive type's change set; its return value is the audit detail."""
    calls: list[tuple[int, tuple[str, ...]]] = []

    class Indexer:
        @jolli.hookimpl
        def jolli_process_space(self, space_id: int, changes: Any) -> dict[str, Any]:
            calls.append((space_id, changes.files))
            return {"indexed": len(changes.files)}

    jolli_register_plugin(Indexer(), "indexer")
    source_id = _stored_source(jolli_org)
    spaces = [_space_bound_to(jolli_client, name, source_id) for name in ("zeta", "alpha", "mid")]
    responses.add(responses.GET, URL, body=V1)
    event_id = _event(jolli_org, source_id, digest(V1))
    _work()
    assert calls == [(space, ("README.md", "guide/intro.md")) for space in sorted(spaces)]
    audit = jolli_client.get(f"/api/events/{event_id}").get_json()["audit"]
    assert [a["spaceId"] for a in audit] == sorted(spaces)
    assert all({"indexed": 2} in a["detail"] for a in audit)


@responses.activate
def test_jolli_worker_once_processes_an_archive_event(installed: Path, jolli_client: Any, jolli_org: Any,
                                                      jolli_cli_runner: Any) -> None:
    source_id = _stored_source(jolli_org)
    space = _space_bound_to(jolli_client, "handbook", source_id)
    responses.add(responses.GET, URL, body=V2)
    event_id = _event(jolli_org, source_id, digest(V2))
    result = jolli_cli_runner.invoke(["worker", "--once", "--log-level", "warning"])
    assert result.exit_code == 0, result
    event = jolli_client.get(f"/api/events/{event_id}").get_json()
    assert [(a["spaceId"], a["outcome"], a["detail"]["fileCount"]) for a in event["audit"]] == [(space, "processed", 3)]
    assert jolli_client.get(f"/api/sources/{source_id}").get_json()["cursor"]["value"] == digest(V2)


@responses.activate
def test_trace_plugins_logs_the_workers_hook_calls(installed: Path, jolli_client: Any, jolli_org: Any,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from jolli.testing.helpers import isolated_plugins

    source_id = _stored_source(jolli_org)
    _space_bound_to(jolli_client, "handbook", source_id)
    responses.add(responses.GET, URL, body=V1)
    _event(jolli_org, source_id, digest(V1))
    monkeypatch.setenv("JOLLI_TRACE_PLUGINS", "1")
    with caplog.at_level("INFO", logger="jolli.plugins.trace"), isolated_plugins():
        _work()
    traced = [r.getMessage() for r in caplog.records if r.name == "jolli.plugins.trace"]
    assert "call jolli_process_space(changes, event, space_id) -> ['record_changes']" in traced
    assert "done jolli_process_space" in traced


# --- uninstalled -------------------------------------------------------------------------------------
def test_uninstalled_plugin_is_absent_from_jolli_plugins(uninstalled: None) -> None:
    info = json.loads(_jolli("plugins", "--json").stdout)
    assert "archive" not in [p["name"] for p in info["plugins"]]
    assert info["errors"] == []


def test_uninstalled_api_says_not_available_for_new_sources_and_cursors(uninstalled: None, jolli_client: Any,
                                                                      jolli_org: Any) -> None:
    created = jolli_client.post("/api/sources", json={"name": "docs", "type": "archive"})
    assert created.status_code == 422
    assert NOT_AVAILABLE in created.get_json()["detail"]
    assert NOT_AVAILABLE in created.get_json()["errors"]["type"][0]

    source_id = _stored_source(jolli_org, "kept")
    listed = jolli_client.get("/api/sources").get_json()["items"]
    assert [(s["name"], s["type"]) for s in listed] == [("kept", "archive")]
    assert jolli_client.get(f"/api/sources/{source_id}").status_code == 200
    cursor = jolli_client.patch(f"/api/sources/{source_id}/cursor", json={"value": digest(V1)})
    assert cursor.status_code == 422
    assert NOT_AVAILABLE in cursor.get_json()["detail"]
    renamed = jolli_client.patch(f"/api/sources/{source_id}", json={"name": "renamed"})
    assert renamed.status_code == 422
    assert NOT_AVAILABLE in renamed.get_json()["detail"]


def test_uninstalled_cli_says_not_available(uninstalled: None, jolli_cli_runner: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = jolli_cli_runner.invoke(["source", "add", "docs", "--type", "archive", "--mount", str(tmp_path),
                                      "--virtual"])
    assert result.exit_code == 2
    assert NOT_AVAILABLE in result.stderr
    assert jolli_cli_runner.invoke(["archive", "check", URL]).exit_code == 2


def test_uninstalled_cli_still_lists_and_shows_an_archive_source_added_before(
    installed: Path, jolli_cli_runner: Any, jolli_plugins: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert jolli_cli_runner.invoke(["source", "add", "docs", "--type", "archive", "--mount", str(tmp_path),
                                    "--virtual"]).exit_code == 0
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,file")
    from jolli.testing.helpers import isolated_plugins

    with isolated_plugins():
        listed = jolli_cli_runner.invoke(["source", "list", "--local", "--json"])
        assert listed.exit_code == 0, listed
        shown = jolli_cli_runner.invoke(["source", "show", "docs"])
    assert shown.exit_code == 0, shown
    assert NOT_AVAILABLE in shown.stdout


def test_uninstalled_worker_reports_not_available_instead_of_processing(uninstalled: None, jolli_client: Any,
                                                                        jolli_org: Any) -> None:
    from jolli.events.status import Origin
    from jolli.events.store import ObservedChange, Producer, store_changes

    source_id = _stored_source(jolli_org)
    _space_bound_to(jolli_client, "handbook", source_id)
    assert _check().results == {"error": 1}  # a check cannot ask a type that is not installed
    # an event a check stored while the plugin was installed
    event_id = store_changes(Producer(jolli_org.id, jolli_org.name), [ObservedChange(
        ref="", head=digest(V1), origin=Origin.POLL, source_id=source_id,
        event_jrn=f"jrn::path:/home/{jolli_org.name}/sources/archive/{source_id}")]).event_ids[0]
    results = _work()
    assert [r.state for r in results] in (["retry"], ["dead"])
    event = jolli_client.get(f"/api/events/{event_id}").get_json()
    assert event["status"] != "processed"
    assert NOT_AVAILABLE in json.dumps(event)
    assert jolli_client.get(f"/api/sources/{source_id}").get_json()["cursor"] is None
