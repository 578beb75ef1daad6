"""``jolli plugins [--json]``: in-process with Click's runner, and as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from jolli.cli.main import cli
from jolli.registry import Plugins, reset_plugins

DIST_SOURCE = Path(__file__).parents[1] / "fixtures" / "dists" / "jolli-testplugins"
JOLLI = str(Path(sys.executable).with_name("jolli"))


@pytest.fixture(scope="session")
def test_dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test plugin distribution, installed once per session (shared with tests/test_registry.py)."""
    base = tmp_path_factory.getbasetemp()
    target = base / "jolli-testplugins-site"
    if not (target / "jolli_testplugins-1.2.3.dist-info").is_dir():
        source = base / "jolli-testplugins-src"
        shutil.copytree(DIST_SOURCE, source, dirs_exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--target", str(target), str(source)],
            check=True,
        )
    return target


@pytest.fixture
def test_dist(test_dist_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(test_dist_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(test_dist_dir),
                                                                    os.environ.get("PYTHONPATH")])))
    return test_dist_dir


@pytest.fixture(autouse=True)
def fresh_plugins() -> Iterator[None]:
    """Each test gets its own process-wide plugin manager (loaded lazily with the test's environment)."""
    previous = reset_plugins(Plugins())
    try:
        yield
    finally:
        reset_plugins(previous)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([JOLLI, *args], capture_output=True, text=True, env=dict(os.environ), timeout=60)


def test_lists_builtins_with_distribution_and_contributions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,file")
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "CONTRIBUTES"]
    assert lines[1].split() == ["file", "jolli", "0.1.0", "source", "types:", "file"]
    assert lines[2].split() == ["git", "jolli", "0.1.0", "source", "types:", "git"]
    assert any(line.split() == ["jolli_register_source_types", "file,", "git"] for line in lines)
    assert result.stderr == ""


def test_json_lists_plugins_hooks_and_no_errors(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,testplug_archive")
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    archive = {p["name"]: p for p in info["plugins"]}["testplug_archive"]
    assert archive["distribution"] == "jolli-testplugins" and archive["version"] == "1.2.3"
    assert archive["sourceTypes"] == ["archive"]
    assert info["hooks"]["jolli_process_space"] == ["testplug_archive"]
    assert info["hooks"]["jolli_register_source_types"] == ["git", "testplug_archive"]
    assert info["errors"] == []


def test_plugin_errors_go_to_stderr_and_exit_1(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,testplug_archive,testplug_broken,testplug_typo")
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 1
    assert "testplug_archive" in result.stdout  # what did load is still listed
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("error: plugin 'testplug_broken' (from jolli-testplugins) not loaded: ")
    assert "RuntimeError: boom" in errors[0]
    assert "jolli_register_source_type (did you mean jolli_register_source_types?)" in errors[1]


def test_json_carries_the_errors_too(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,testplug_dupe")
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert error["plugin"] == "testplug_dupe" and "source type 'git'" in error["error"]


def test_nothing_loaded_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "")
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0
    assert result.stdout.startswith("no plugins loaded (JOLLI_LOAD_PLUGINS may exclude them)")


def test_real_subprocess_sees_an_installed_plugin(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,testplug_archive")
    done = run("plugins", "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert [p["name"] for p in info["plugins"]] == ["git", "testplug_archive"]
    assert {t["name"]: t["plugin"] for t in info["sourceTypes"]} == {"archive": "testplug_archive", "git": "git"}


def test_real_subprocess_fails_with_the_broken_plugin_named(test_dist: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git,testplug_broken")
    done = run("plugins")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: plugin 'testplug_broken' (from jolli-testplugins) not loaded: failed to import "
        "jolli_testplugins.broken: RuntimeError: boom: the broken test plugin cannot be imported"
    ]
    assert "git" in done.stdout
