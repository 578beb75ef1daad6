"""The hook contract: every hook documented and tested, fewer-argument hookimpls, deprecation warnings."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path
from typing import Any

import click
import pytest

import jolli
from jolli import hookspecs
from jolli.hookspecs import JolliDeprecationWarning
from jolli.provider import GitProvider
from jolli.registry import Plugins
from jolli.source_type import SourceType
from jolli.testing.helpers import PluginRefused

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "jolli_spec"))


def _doc_headings() -> list[str]:
    return [line for line in DOCS.read_text(encoding="utf-8").splitlines() if re.match(r"#{2,4} ", line)]


def _test_functions() -> set[str]:
    names = set()
    for path in [*(ROOT / "tests").rglob("test_*.py"), *(ROOT / "examples").glob("*/tests/test_*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef))
    return names


#: Every hook ever released; the versioning rule says none disappears before a major release.
RELEASED = {
    "jolli_process_space", "jolli_register_commands", "jolli_register_providers", "jolli_register_source_types",
    "jolli_source_types",
}


def test_no_released_hook_disappears() -> None:
    assert set(HOOKS) >= RELEASED, f"hooks removed without a major release: {RELEASED - set(HOOKS)}"


def _deprecation(hook: str) -> Warning | None:
    opts: dict[str, Any] = getattr(hookspecs, hook).jolli_spec
    return opts.get("warn_on_impl")


@pytest.mark.parametrize("hook", [h for h in HOOKS if _deprecation(h) is not None])
def test_deprecated_hooks_name_their_replacement_and_are_marked_in_the_docs(hook: str) -> None:
    warning = _deprecation(hook)
    assert isinstance(warning, JolliDeprecationWarning)
    replacements = [h for h in HOOKS if h != hook and h in str(warning)]
    assert replacements and all(_deprecation(r) is None for r in replacements)
    assert any(hook in h and "deprecated" in h for h in _doc_headings())


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_the_plugin_docs(hook: str) -> None:
    pattern = re.compile(rf"^#{{2,4}} .*\b{hook}\b")
    assert any(pattern.match(h) for h in _doc_headings()), (
        f"docs/plugins.md has no heading for {hook}; add a '### `{hook}(...)`' section to the hook reference"
    )


def test_docs_describe_no_hook_that_does_not_exist() -> None:
    documented = {m for h in _doc_headings() for m in re.findall(r"\bjolli_[a-z_]+(?=\()", h)}
    assert documented <= set(HOOKS), f"docs/plugins.md documents unknown hooks: {documented - set(HOOKS)}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    short = hook.removeprefix("jolli_")
    found = _test_functions()
    assert f"test_hook_{hook}" in found or f"test_hook_{short}" in found, (
        f"no test_hook_{short} (or test_hook_{hook}) function under tests/; every hook needs one"
    )


# --- each hook through the real caller -------------------------------------------------------------
class _Notes(SourceType):
    name = "notes"
    description = "test notes"


class _Forge(GitProvider):
    name = "forge"
    title = "Forge"
    hosts = ("forge.example",)


def test_hook_register_source_types(jolli_register_plugin: Any, jolli_plugins: Plugins) -> None:
    class Plugin:
        @jolli.hookimpl
        def jolli_register_source_types(self, registry: Any) -> None:
            registry.add(_Notes())

    jolli_register_plugin(Plugin(), "notes-plugin")
    assert isinstance(jolli_plugins.source_type("notes"), _Notes)
    assert jolli_plugins.source_types.owner("notes") == "notes-plugin"


def test_hook_register_providers(jolli_register_plugin: Any, jolli_plugins: Plugins) -> None:
    class Plugin:
        @jolli.hookimpl
        def jolli_register_providers(self, registry: Any) -> None:
            registry.add(_Forge())

    jolli_register_plugin(Plugin(), "forge-plugin")
    assert jolli_plugins.providers.for_host("FORGE.example").name == "forge"


def test_hook_register_commands(jolli_register_plugin: Any, jolli_cli_runner: Any) -> None:
    @click.command()
    @click.argument("who")
    def hello(who: str) -> None:
        """Say hello."""
        click.echo(f"hello {who}")

    class Plugin:
        @jolli.hookimpl
        def jolli_register_commands(self, cli: click.Group) -> None:
            cli.add_command(hello)

    jolli_register_plugin(Plugin(), "hello-plugin")
    result = jolli_cli_runner.invoke(["hello", "world"])
    assert (result.exit_code, result.stdout) == (0, "hello world\n")
    assert "hello" in jolli_cli_runner.invoke(["--help"]).stdout


def test_hook_source_types(jolli_plugins: Plugins) -> None:
    """The deprecated hook still contributes source types, and warns at the plugin's own code."""
    class Legacy:
        @jolli.hookimpl
        def jolli_source_types(self) -> list[SourceType]:
            return [_Notes()]

    with pytest.warns(JolliDeprecationWarning, match="use|instead") as record:
        assert jolli_plugins.register(Legacy(), "legacy-plugin")
    assert "jolli_register_source_types" in str(record[0].message)
    assert record[0].filename == __file__, "the warning points at the plugin's own code"
    assert jolli_plugins.source_types.owner("notes") == "legacy-plugin"


# --- compatibility rules ---------------------------------------------------------------------------
def test_hookimpl_may_take_fewer_arguments_than_the_spec() -> None:
    plugins = Plugins(load_entry_points=False)
    seen: list[int] = []

    class OnlySpaceId:
        @jolli.hookimpl
        def jolli_process_space(self, space_id: int) -> dict[str, Any]:
            seen.append(space_id)
            return {"space": space_id}

    class NoArguments:
        @jolli.hookimpl
        def jolli_process_space(self) -> None:
            seen.append(-1)

    assert plugins.register(OnlySpaceId(), "only-space-id")
    assert plugins.register(NoArguments(), "no-arguments")
    results = plugins.hook.jolli_process_space(space_id=7, event=object(), changes=object())
    assert results == [{"space": 7}]
    assert sorted(seen) == [-1, 7]


def test_hookimpl_asking_for_an_argument_the_spec_lacks_is_refused_by_name() -> None:
    plugins = Plugins(load_entry_points=False)

    class Wrong:
        @jolli.hookimpl
        def jolli_process_space(self, space_id: int, sandbox: Any) -> None:
            """``sandbox`` is not a parameter of the spec."""

    assert not plugins.register(Wrong(), "wrong-args")
    assert [e.plugin for e in plugins.errors] == ["wrong-args"]
    assert "sandbox" in plugins.errors[0].error
    assert plugins.hook.jolli_process_space.get_hookimpls() == []


def test_registering_a_current_hook_emits_no_deprecation_warning() -> None:
    class Current:
        @jolli.hookimpl
        def jolli_register_source_types(self, registry: Any) -> None:
            registry.add(_Notes())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Plugins(load_entry_points=False).register(Current(), "current")


def test_refused_plugin_fails_the_registering_test_with_jollis_reason(jolli_register_plugin: Any) -> None:
    class Clash:
        @jolli.hookimpl
        def jolli_register_source_types(self, registry: Any) -> None:
            registry.add(_Notes())

    jolli_register_plugin(Clash(), "first")
    with pytest.raises(PluginRefused, match="'notes' is contributed by two plugins"):
        jolli_register_plugin(Clash(), "second")
