"""The plugin manager: loading from real entry points, JOLLI_LOAD_PLUGINS, and every way a plugin can fail.

``tests/fixtures/dists/jolli-testplugins`` and ``jolli-aaa-srht`` are real distributions installed once per
session with ``pip install --target`` (the ``install_dist`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from jolli import hookimpl
from jolli.errors import NotAvailable
from jolli.provider import GitProvider
from jolli.registry import Plugins, ProviderRegistry
from jolli.source_type import SourceType

EVERYTHING = "git,file,testplug_archive,testplug_dupe,testplug_typo,testplug_broken"


def plugin_of(**hooks: object) -> ModuleType:
    """A plugin made of the given hook functions (a module, as an entry point would give)."""
    module = ModuleType("inline_plugin")
    module.__dict__.update(hooks)
    return module


def loaded(monkeypatch: pytest.MonkeyPatch, names: str) -> Plugins:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", names)
    return Plugins().load()


def errors_of(plugins: Plugins, name: str) -> list[str]:
    return [e.error for e in plugins.errors if e.plugin == name]


def run_python(code: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return done.stdout.strip()


# --- loading ----------------------------------------------------------------------------------------
def test_builtins_come_from_jolli_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,file")
    assert plugins.source_types.names() == ["file", "git"]
    described = {p["name"]: p for p in plugins.describe()["plugins"]}
    assert described["git"]["distribution"] == "jolli-sources"
    assert described["git"]["module"] == "jolli.plugins.git"
    assert plugins.errors == []


def test_a_third_party_dist_is_loaded_with_its_name_and_version(test_dist: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,testplug_archive")
    assert plugins.source_types.names() == ["archive", "git"]
    assert plugins.source_types.owner("archive") == "testplug_archive"
    info = {p["name"]: p for p in plugins.describe()["plugins"]}["testplug_archive"]
    assert (info["distribution"], info["version"]) == ("jolli-testplugins", "1.2.3")
    assert info["hooks"] == ["jolli_process_space", "jolli_register_source_types"]
    assert plugins.hook.jolli_process_space(space_id=3, event=None, changes=None) == [{"archived": 3}]


def test_loading_is_lazy() -> None:
    code = (
        "import sys; from jolli.registry import Plugins; p = Plugins();"
        "print('jolli.plugins.git' in sys.modules);"
        "p.source_types; print('jolli.plugins.git' in sys.modules)"
    )
    assert run_python(code, JOLLI_LOAD_PLUGINS="git").split() == ["False", "True"]


def test_loading_is_idempotent(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, EVERYTHING)
    errors = list(plugins.errors)
    registry = plugins.source_types
    assert plugins.load() is plugins
    plugins.load()
    assert plugins.source_types is registry
    assert plugins.errors == errors
    assert len(plugins.pm.get_plugins()) == 3  # git, file, testplug_archive


def test_loading_plugins_imports_no_flask_peewee_or_requests() -> None:
    code = (
        "import sys; from jolli.registry import get_plugins; p = get_plugins(); p.providers; p.source_types;"
        "print(sorted(m for m in ('flask', 'peewee', 'requests') if m in sys.modules))"
    )
    assert run_python(code) == "[]"


# --- JOLLI_LOAD_PLUGINS -----------------------------------------------------------------------------
def test_load_plugins_selects_a_subset(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, " testplug_archive , ")
    assert plugins.source_types.names() == ["archive"]
    assert [name for name, _ in plugins.pm.list_name_plugin()] == ["testplug_archive"]


def test_empty_load_plugins_loads_none(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "")
    assert plugins.pm.get_plugins() == set()
    assert plugins.errors == []
    with pytest.raises(NotAvailable, match="not available"):
        plugins.source_type("git")


def test_a_name_in_load_plugins_that_is_not_installed_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,gti")
    assert errors_of(plugins, "gti") == [
        "named in JOLLI_LOAD_PLUGINS but not available (plugin may not be installed)"
    ]
    assert plugins.source_types.names() == ["git"]


# --- failures ---------------------------------------------------------------------------------------
def test_duplicate_source_type_is_refused_naming_both_plugins(test_dist: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,testplug_dupe")
    assert type(plugins.source_type("git")).__module__ == "jolli.plugins.git"
    [error] = errors_of(plugins, "testplug_dupe")
    assert "source type 'git' is contributed by two plugins" in error
    assert "'git' (jolli-sources 0.1.0)" in error and "'testplug_dupe' (jolli-testplugins 1.2.3)" in error
    # refused as a whole: its other source type and its other hooks are gone too
    assert "dupe-extra" not in plugins.source_types
    assert plugins.hook.jolli_process_space(space_id=1, event=None, changes=None) == []


def test_a_builtin_keeps_its_name_even_when_the_other_plugin_registered_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Impostor(SourceType):
        name = "git"

    early = plugin_of(jolli_register_source_types=hookimpl(lambda registry: registry.add(Impostor())))
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")
    plugins = Plugins()
    assert plugins.register(early, "early")
    assert type(plugins.source_type("git")).__module__ == "jolli.plugins.git"
    assert "two plugins: 'git' (jolli-sources 0.1.0) and 'early'" in errors_of(plugins, "early")[0]


def test_a_misspelled_hook_is_an_error(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,testplug_typo")
    [error] = errors_of(plugins, "testplug_typo")
    assert "unknown hook(s) jolli_register_source_type (did you mean jolli_register_source_types?)" in error
    assert plugins.pm.get_plugin("testplug_typo") is None
    assert "typo" not in plugins.source_types


def test_an_optional_unknown_hook_is_allowed() -> None:
    plugin = plugin_of(jolli_future_hook=hookimpl(optionalhook=True)(lambda: None))
    plugins = Plugins(load_entry_points=False)
    assert plugins.register(plugin, "future")
    assert plugins.errors == []


def test_a_plugin_registered_behind_the_managers_back_is_still_checked() -> None:
    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(plugin_of(jolli_regster_providers=hookimpl(lambda registry: None)), "sneaky")
    plugins.load()
    assert plugins.pm.get_plugin("sneaky") is None
    assert "unknown hook 'jolli_regster_providers'" in errors_of(plugins, "sneaky")[0]


def test_a_plugin_failing_at_import_is_reported_and_the_rest_works(test_dist: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, EVERYTHING)
    [error] = errors_of(plugins, "testplug_broken")
    assert "failed to import jolli_testplugins.broken: RuntimeError: boom" in error
    assert plugins.source_types.names() == ["archive", "file", "git"]
    failed = {e.plugin for e in plugins.errors}
    assert failed == {"testplug_broken", "testplug_dupe", "testplug_typo", "file"}  # file: the shadowing entry point


def test_an_entry_point_reusing_a_builtin_name_is_ignored(test_dist: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "file")
    [error] = errors_of(plugins, "file")
    assert "jolli_testplugins.shadow" in error and "already taken by distribution 'jolli-sources'" in error
    assert plugins.source_types.names() == ["file"]
    assert [e.distribution for e in plugins.errors] == ["jolli-testplugins"]


def test_a_registration_hook_that_raises_is_reported() -> None:
    def explode(registry: object) -> None:
        raise KeyError("oops")

    plugins = Plugins(load_entry_points=False)
    plugins.register(plugin_of(jolli_register_providers=hookimpl(explode)), "explosive")
    assert plugins.providers.names() == []
    assert errors_of(plugins, "explosive") == ["jolli_register_providers raised KeyError: 'oops'"]


def test_registering_a_class_instead_of_an_instance_says_so() -> None:
    class Notes(SourceType):
        name = "notes"

    plugins = Plugins(load_entry_points=False)
    plugins.register(plugin_of(jolli_register_source_types=hookimpl(lambda registry: registry.add(Notes))),
                     "classy")
    assert "notes" not in plugins.source_types
    assert "pass an instance: registry.add(Notes())" in errors_of(plugins, "classy")[0]


def test_deprecated_list_hook_still_registers_and_warns() -> None:
    class Notes(SourceType):
        name = "notes"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins = Plugins(load_entry_points=False)
        assert plugins.register(plugin_of(jolli_source_types=hookimpl(lambda: [Notes()])), "old")
    assert any("jolli_register_source_types" in str(w.message) for w in caught)
    assert plugins.source_types.owner("notes") == "old"


# --- unknown names and providers --------------------------------------------------------------------
def test_an_unknown_source_type_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,file")
    with pytest.raises(NotAvailable) as excinfo:
        plugins.source_type("archive")
    assert excinfo.value.message == (
        "source type 'archive' is not available (plugin may not be installed); available: file, git"
    )
    assert list(excinfo.value.fields) == ["type"]


def test_not_available_mentions_plugins_that_failed(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,testplug_broken")
    with pytest.raises(NotAvailable, match="1 plugin\\(s\\) failed to load: see 'jolli plugins'"):
        plugins.source_type("archive")


class Forge(GitProvider):
    def __init__(self, name: str, hosts: tuple[str, ...]) -> None:
        self.name, self.hosts = name, hosts


def test_providers_by_name_and_host() -> None:
    registry = ProviderRegistry()
    registry.add(Forge("forge", ("forge.example",)))
    registry.add(Forge("selfhosted", ()))
    assert registry.settle(lambda plugin: False) == []
    assert registry.for_host("Forge.Example").name == "forge"
    assert registry.for_host("git.acme.internal", {"git.acme.internal": "selfhosted"}).name == "selfhosted"
    assert registry.for_host("git.acme.internal") is None
    with pytest.raises(NotAvailable) as excinfo:
        registry.get("gitee")
    assert list(excinfo.value.fields) == ["provider"]


def test_two_providers_claiming_one_host_get_neither_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "github")
    plugins = Plugins()
    plugins.register(plugin_of(
        jolli_register_providers=hookimpl(lambda registry: registry.add(Forge("one", ("forge.example",))))), "p1")
    plugins.register(plugin_of(
        jolli_register_providers=hookimpl(lambda registry: registry.add(Forge("two", ("FORGE.example",))))), "p2")
    plugins.register(plugin_of(
        jolli_register_providers=hookimpl(lambda registry: registry.add(Forge("mine", ("github.com",))))), "p3")
    assert plugins.providers.names() == ["github", "one", "two"]  # p3 took a built-in's host: not used
    assert plugins.providers.for_host("forge.example") is None
    assert "host 'github.com' is claimed by providers 'github'" in errors_of(plugins, "p3")[0]
    [first], [second] = errors_of(plugins, "p1"), errors_of(plugins, "p2")
    assert first == second and "host 'forge.example' is claimed by providers" in first
    assert "the host belongs to neither until one is uninstalled or left out of JOLLI_LOAD_PLUGINS" in first


def test_tracing_reports_each_hook_call_and_its_implementers(test_dist: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "testplug_archive")
    lines: list[str] = []
    plugins.enable_tracing(lines.append)
    plugins.hook.jolli_process_space(space_id=1, event=None, changes=None)
    assert lines == ["call jolli_process_space(changes, event, space_id) -> ['testplug_archive']",
                     "done jolli_process_space"]


# --- call order and tracing -------------------------------------------------------------------------
def test_hooks_are_listed_and_traced_in_the_order_they_are_called() -> None:
    called: list[str] = []

    def recorder(name: str) -> ModuleType:
        return plugin_of(jolli_process_space=hookimpl(lambda space_id: called.append(name)))

    plugins = Plugins(load_entry_points=False)
    assert plugins.register(recorder("first"), "first") and plugins.register(recorder("second"), "second")
    lines: list[str] = []
    plugins.enable_tracing(lines.append)
    plugins.hook.jolli_process_space(space_id=1, event=None, changes=None)

    assert called == ["second", "first"]  # pluggy: the last registered first
    assert plugins.describe()["hooks"]["jolli_process_space"] == called
    assert plugins.call_order("jolli_process_space") == called
    assert lines[0] == "call jolli_process_space(changes, event, space_id) -> ['second', 'first']"


def test_registration_hooks_go_through_pluggy_and_are_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    class Notes(SourceType):
        name = "notes"

    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")
    plugins = Plugins()
    plugins.register(plugin_of(jolli_register_source_types=hookimpl(lambda registry: registry.add(Notes()))), "notes")
    lines: list[str] = []
    plugins.enable_tracing(lines.append)
    assert plugins.source_types.names() == ["git", "notes"]
    calls = [line for line in lines if line.startswith("call jolli_register_source_types")]
    # git's entry point is loaded after 'notes' was registered, so it is the last registered: called first
    assert calls == ["call jolli_register_source_types(registry) -> ['git']",
                     "call jolli_register_source_types(registry) -> ['notes']"]
    assert plugins.describe()["hooks"]["jolli_register_source_types"] == ["git", "notes"]


# --- typed hook calls --------------------------------------------------------------------------------
def test_process_space_calls_every_implementation_the_last_registered_first() -> None:
    plugins = Plugins(load_entry_points=False)

    @hookimpl
    def jolli_process_space(space_id: int) -> dict[str, int]:
        return {"first": space_id}

    @hookimpl
    def second(space_id: int, changes: object) -> dict[str, object]:
        return {"second": space_id, "changes": changes}

    assert plugins.register(plugin_of(jolli_process_space=jolli_process_space), "first")
    assert plugins.register(plugin_of(jolli_process_space=second), "second")
    assert plugins.process_space(space_id=5, event=None, changes="c") == [{"second": 5, "changes": "c"}, {"first": 5}]


# --- name clashes between third-party plugins -----------------------------------------------------------
def test_two_third_party_plugins_with_one_name_get_neither(test_dist: Path, srht_dist: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "github,testplug_srht,aaa_srht")
    with pytest.raises(NotAvailable) as excinfo:
        plugins.provider("sourcehut")
    message = excinfo.value.message
    assert message == ("provider 'sourcehut' is contributed by two plugins: 'testplug_srht' (jolli-testplugins "
                       "1.2.3) and 'aaa_srht' (jolli-aaa-srht 0.9.0); neither is used until one is uninstalled "
                       "or left out of JOLLI_LOAD_PLUGINS")
    assert errors_of(plugins, "aaa_srht") == [message] and errors_of(plugins, "testplug_srht") == [message]
    # both keep everything else they contribute, and their other hooks are called
    assert plugins.source_types.names() == ["aaa-todo", "srht-wiki"]
    assert plugins.hook.jolli_process_space(space_id=4, event=None, changes=None) == [{"aaa": 4}]


@pytest.mark.parametrize("chosen", ["testplug_srht", "aaa_srht"])
def test_load_plugins_picks_one_of_two_clashing_plugins(test_dist: Path, srht_dist: Path, chosen: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, chosen)
    assert plugins.providers.owner("sourcehut") == chosen
    assert plugins.providers.for_host("git.sr.ht").name == "sourcehut"
    assert plugins.errors == []


def test_an_entry_point_name_two_third_party_dists_declare_loads_neither(test_dist: Path, srht_dist: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "testplug_archive")
    assert plugins.pm.get_plugins() == set()
    errors = {e.distribution: e.error for e in plugins.errors}
    assert set(errors) == {"jolli-aaa-srht", "jolli-testplugins"}
    assert all("declared by distributions 'jolli-aaa-srht' and 'jolli-testplugins'; neither is loaded" in e
               for e in errors.values())


# --- plugins that would do nothing ----------------------------------------------------------------------
def test_a_plugin_without_any_hookimpl_is_an_error(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "testplug_nohooks")
    [error] = errors_of(plugins, "testplug_nohooks")
    assert error.startswith("implements no hook: no function is marked @jolli.hookimpl "
                            "(jolli_register_source_types lack(s) the decorator)")
    assert plugins.pm.get_plugin("testplug_nohooks") is None


def test_an_unhashable_plugin_object_is_refused_with_the_reason() -> None:
    from types import SimpleNamespace

    plugins = Plugins(load_entry_points=False)
    assert not plugins.register(SimpleNamespace(jolli_process_space=hookimpl(lambda space_id: None)), "ns")
    assert "a plugin must be hashable (a module, or an instance of a class" in errors_of(plugins, "ns")[0]
