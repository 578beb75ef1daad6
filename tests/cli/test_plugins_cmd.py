"""``jolli plugins [--json]``: in-process with Click's runner, and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from click.testing import CliRunner

import jolli
from jolli.cli.main import cli
from jolli.registry import Plugins, reset_plugins

JOLLI = str(Path(sys.executable).with_name("jolli"))


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
    assert lines[1].split() == ["file", "jolli-sources", "0.1.0", "source", "types:", "file"]
    assert lines[2].split() == ["git", "jolli-sources", "0.1.0", "source", "types:", "git"]
    assert any(line.split() == ["jolli_register_source_types", "git,", "file"] for line in lines)  # call order
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
    assert info["hooks"]["jolli_register_source_types"] == ["testplug_archive", "git"]  # call order
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


def test_plugin_commands_that_cannot_be_used_are_errors(jolli_register_plugin: Any, jolli_cli_runner: Any) -> None:
    @click.command("source")
    def impostor() -> None:
        """Would replace 'jolli source'."""

    @click.command("hello")
    def hello() -> None:
        """Two plugins add it."""

    def adding(command: click.Command) -> ModuleType:
        module = ModuleType("commands_plugin")
        module.jolli_register_commands = jolli.hookimpl(lambda cli: cli.add_command(command))  # type: ignore[attr-defined]
        return module

    jolli_register_plugin(adding(impostor), "impostor")
    jolli_register_plugin(adding(hello), "hello-a")
    jolli_register_plugin(adding(hello), "hello-b")
    result = jolli_cli_runner.invoke(["plugins", "--json"], env={"JOLLI_LOAD_PLUGINS": ""})
    assert result.exit_code == 1
    errors = {e["plugin"]: e["error"] for e in result.json()["errors"]}
    assert errors["impostor"] == "adds the command 'source', which is built in: not used (rename it)"
    assert errors["hello-a"] == errors["hello-b"] == (
        "the command 'hello' is added by plugins 'hello-b' and 'hello-a': neither is used until one is "
        "uninstalled or left out of JOLLI_LOAD_PLUGINS")
    assert "Sources mounted here" in jolli_cli_runner.invoke(["source", "--help"]).stdout
