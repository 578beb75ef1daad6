"""The plugin manager: loading from real entry points, JOLLI_LOAD_PLUGINS, and every way a plugin can fail.

``tests/fixtures/dists/jolli-testplugins`` is a real distribution installed once per session with
``pip install --target`` into a temp folder; putting that folder on ``sys.path`` makes its dist-info (and
its entry points in the group ``jolli``) visible to ``importlib.metadata``, exactly as for a user's plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from jolli import hookimpl
from jolli.errors import NotAvailable
from jolli.provider import GitProvider
from jolli.registry import Plugins, ProviderRegistry
from jolli.source_type import SourceType

DIST_SOURCE = Path(__file__).parent / "fixtures" / "dists" / "jolli-testplugins"
EVERYTHING = "git,file,testplug_archive,testplug_dupe,testplug_typo,testplug_broken"


def install_test_dist(base: Path) -> Path:
    """Install the test distribution under ``base`` once (later calls reuse it); return the target dir."""
    target = base / "jolli-testplugins-site"
    if not (target / "jolli_testplugins-1.2.3.dist-info").is_dir():
        source = base / "jolli-testplugins-src"  # a copy: building writes build/ and *.egg-info next to it
        shutil.copytree(DIST_SOURCE, source, dirs_exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--target", str(target), str(source)],
            check=True,
        )
    return target


@pytest.fixture(scope="session")
def test_dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_test_dist(tmp_path_factory.getbasetemp())


@pytest.fixture
def test_dist(test_dist_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test distribution visible to this test (and to subprocesses through PYTHONPATH)."""
    monkeypatch.syspath_prepend(str(test_dist_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(test_dist_dir),
                                                                    os.environ.get("PYTHONPATH")])))
    return test_dist_dir


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
    assert described["git"]["distribution"] == "jolli"
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
    assert "'git' (jolli 0.1.0)" in error and "'testplug_dupe' (jolli-testplugins 1.2.3)" in error
    # refused as a whole: its other source type and its other hooks are gone too
    assert "dupe-extra" not in plugins.source_types
    assert plugins.hook.jolli_process_space(space_id=1, event=None, changes=None) == []


def test_a_builtin_keeps_its_name_even_when_the_other_plugin_registered_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Impostor(SourceType):
        name = "git"

    early = SimpleNamespace(jolli_register_source_types=hookimpl(lambda registry: registry.add(Impostor())))
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")
    plugins = Plugins()
    assert plugins.register(early, "early")
    assert type(plugins.source_type("git")).__module__ == "jolli.plugins.git"
    assert "two plugins: 'git' (jolli 0.1.0) and 'early'" in errors_of(plugins, "early")[0]


def test_a_misspelled_hook_is_an_error(test_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "git,testplug_typo")
    [error] = errors_of(plugins, "testplug_typo")
    assert "unknown hook(s) jolli_register_source_type (did you mean jolli_register_source_types?)" in error
    assert plugins.pm.get_plugin("testplug_typo") is None
    assert "typo" not in plugins.source_types


def test_an_optional_unknown_hook_is_allowed() -> None:
    plugin = SimpleNamespace(jolli_future_hook=hookimpl(optionalhook=True)(lambda: None))
    plugins = Plugins(load_entry_points=False)
    assert plugins.register(plugin, "future")
    assert plugins.errors == []


def test_a_plugin_registered_behind_the_managers_back_is_still_checked() -> None:
    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(SimpleNamespace(jolli_regster_providers=hookimpl(lambda registry: None)), "sneaky")
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
    assert "jolli_testplugins.shadow" in error and "already taken by distribution 'jolli'" in error
    assert plugins.source_types.names() == ["file"]
    assert [e.distribution for e in plugins.errors] == ["jolli-testplugins"]


def test_a_registration_hook_that_raises_is_reported() -> None:
    def explode(registry: object) -> None:
        raise KeyError("oops")

    plugins = Plugins(load_entry_points=False)
    plugins.register(SimpleNamespace(jolli_register_providers=hookimpl(explode)), "explosive")
    assert plugins.providers.names() == []
    assert errors_of(plugins, "explosive") == ["jolli_register_providers raised KeyError: 'oops'"]


def test_registering_a_class_instead_of_an_instance_says_so() -> None:
    class Notes(SourceType):
        name = "notes"

    plugins = Plugins(load_entry_points=False)
    plugins.register(SimpleNamespace(jolli_register_source_types=hookimpl(lambda registry: registry.add(Notes))),
                     "classy")
    assert "notes" not in plugins.source_types
    assert "pass an instance: registry.add(Notes())" in errors_of(plugins, "classy")[0]


def test_deprecated_list_hook_still_registers_and_warns() -> None:
    class Notes(SourceType):
        name = "notes"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins = Plugins(load_entry_points=False)
        assert plugins.register(SimpleNamespace(jolli_source_types=hookimpl(lambda: [Notes()])), "old")
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
    assert registry.for_host("Forge.Example").name == "forge"
    assert registry.for_host("git.acme.internal", {"git.acme.internal": "selfhosted"}).name == "selfhosted"
    assert registry.for_host("git.acme.internal") is None
    with pytest.raises(NotAvailable) as excinfo:
        registry.get("gitee")
    assert list(excinfo.value.fields) == ["provider"]


def test_two_providers_claiming_one_host_conflict() -> None:
    plugins = Plugins(load_entry_points=False)
    plugins.register(SimpleNamespace(
        jolli_register_providers=hookimpl(lambda registry: registry.add(Forge("one", ("forge.example",))))), "p1")
    plugins.register(SimpleNamespace(
        jolli_register_providers=hookimpl(lambda registry: registry.add(Forge("two", ("FORGE.example",))))), "p2")
    assert plugins.providers.names() == ["one"]
    assert "host 'forge.example' is claimed by providers 'one'" in errors_of(plugins, "p2")[0]


def test_tracing_reports_each_hook_call_and_its_implementers(test_dist: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = loaded(monkeypatch, "testplug_archive")
    lines: list[str] = []
    plugins.enable_tracing(lines.append)
    plugins.hook.jolli_process_space(space_id=1, event=None, changes=None)
    assert lines == ["call jolli_process_space(changes, event, space_id) -> ['testplug_archive']",
                     "done jolli_process_space"]
