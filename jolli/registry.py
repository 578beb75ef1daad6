"""The plugin manager: loads the plugins, builds the registries (:mod:`jolli.registries`), calls the hooks.

Plugins are modules (or objects) registered under the entry-point group ``jolli``; the built-in
providers and source types are declared the same way in jolli's own ``setup.cfg``. Loading is lazy and
idempotent: nothing is imported until a registry or hook is first asked for. ``JOLLI_LOAD_PLUGINS``
(a comma list of entry-point names; empty loads none) restricts what is loaded.

Every hook, the registration hooks included, is called through pluggy, in pluggy's order (the last
registered first), which is the order ``jolli plugins`` lists and ``JOLLI_TRACE_PLUGINS`` logs.

Who gets a name never depends on the order plugins load in (see docs/plugins.md, "Name clashes"):

- a plugin that fails to import, implements a hook that does not exist (a misspelling) or none at all,
  raises while registering, or contributes a name or host of jolli's own plugins is not used at all
  (it is unregistered), and the failure is kept in :attr:`Plugins.errors`, named after the plugin;
- a name (or host) that two plugins not shipped with jolli both contribute goes to neither: both are
  reported, both keep everything else, and using the name is an error naming both, until one is
  uninstalled or left out of ``JOLLI_LOAD_PLUGINS``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from jolli import hookspecs
from jolli.errors import PluginConflict
from jolli.provider import GitProvider
from jolli.registries import NamedRegistry, ProviderRegistry, SourceTypeRegistry
from jolli.settings import text
from jolli.source_type import SourceType

__all__ = ["ENTRY_POINT_GROUP", "JOLLI_DIST", "PluginError", "Plugins", "ProviderRegistry", "SourceTypeRegistry",
           "get_plugins", "reset_plugins"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "jolli"
#: The distribution whose plugins are jolli's own (the built-ins); on PyPI ``jolli`` is another project.
JOLLI_DIST = "jolli-sources"


@dataclass
class PluginError:
    """A plugin that could not be used, in whole or (a contested name) in part, and why."""

    plugin: str
    distribution: str | None
    error: str


class Plugins:
    """jolli's plugin manager: loads entry points once and builds the registries from the hooks."""

    def __init__(self, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager("jolli")
        self.pm.add_hookspecs(hookspecs)
        self.errors: list[PluginError] = []
        self._dists: dict[str, tuple[str, str]] = {}
        self._load_entry_points = load_entry_points
        self._loaded = False
        self._lock = threading.RLock()
        self._built: tuple[SourceTypeRegistry, ProviderRegistry] | None = None
        if text("JOLLI_TRACE_PLUGINS"):
            self.enable_tracing()

    # --- loading ----------------------------------------------------------------------------------
    def load(self) -> Plugins:
        """Import and register the plugins named by entry points (once), then build the registries, so
        :attr:`errors` holds every failure, name conflicts included."""
        with self._lock:
            if self._loaded:
                return self
            self._loaded = True
            if self._load_entry_points:
                self._load_from_entry_points()
            self._check_pending()
            self._registries()
        return self

    def _load_from_entry_points(self) -> None:
        import importlib.metadata

        wanted = _wanted_plugins()
        found = []
        described: dict[int, tuple[str, str]] = {}
        # entry_points() skips second copies of a distribution further down sys.path and reads only
        # entry_points.txt; METADATA (an e-mail parse, the slow part) is read for plugin dists only.
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = ep.dist
            if dist is None:
                found.append(("?", "?", ep))
                continue
            if id(dist) not in described:
                meta = dist.metadata
                described[id(dist)] = (_canonical(meta["Name"] or "?"), meta["Version"] or "?")
            found.append((*described[id(dist)], ep))
        # jolli's own plugins first, then by distribution: registration order (pluggy calls the last first)
        found.sort(key=lambda f: (f[0] != JOLLI_DIST, f[0].lower(), f[2].name))
        declared: dict[str, list[str]] = {}
        for dist_name, _, ep in found:
            declared.setdefault(ep.name, []).append(dist_name)
        for dist_name, version, ep in found:
            dists = declared[ep.name]
            if JOLLI_DIST in dists and dist_name != JOLLI_DIST:
                self._fail(ep.name, dist_name, f"entry point {ep.name!r} ({ep.value}) is ignored: the name is "
                           f"already taken by distribution {JOLLI_DIST!r}; rename the entry point")
                continue
            if len(dists) > 1 and JOLLI_DIST not in dists:
                self._fail(ep.name, dist_name, f"entry point {ep.name!r} ({ep.value}) is declared by distributions "
                           + " and ".join(map(repr, dists)) + "; neither is loaded until one is uninstalled")
                continue
            if self.pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
                self._fail(ep.name, dist_name, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name, distribution=(dist_name, version))
        for name in sorted((wanted or set()) - set(declared)):
            self._fail(name, None, "named in JOLLI_LOAD_PLUGINS but not available (plugin may not be installed)")

    def register(self, plugin: Any, name: str, distribution: tuple[str, str] | None = None) -> bool:
        """Register one plugin object or module; return whether it was accepted.

        Registering does not trigger entry-point loading; built-ins still win name clashes when loaded later.
        A plugin object must be hashable (a module, or an instance of a class that does not define ``__eq__``).
        """
        dist = distribution[0] if distribution else None
        with self._lock:
            try:
                hash(plugin)
            except TypeError:
                self._fail(name, dist, f"a plugin must be hashable (a module, or an instance of a class that "
                           f"does not define __eq__), not a {type(plugin).__name__}")
                return False
            try:
                self.pm.register(plugin, name=name)
            except Exception as exc:  # noqa: BLE001 - pluggy validation errors name the hook
                if isinstance(exc, pluggy.PluginValidationError) and self.pm.get_plugin(name) is plugin:
                    self.pm.unregister(plugin)  # pluggy keeps the hooks it added before the bad one
                self._fail(name, dist, f"{type(exc).__name__}: {exc}")
                return False
            unknown = [
                caller.name
                for caller in self.pm.get_hookcallers(plugin) or []
                if caller.spec is None
                and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls())
            ]
            if unknown or not self.pm.get_hookcallers(plugin):
                self.pm.unregister(plugin)
                self._fail(name, dist, _unknown_hooks_message(unknown) if unknown else _no_hooks_message(plugin))
                return False
            if distribution:
                self._dists[name] = distribution
            self._built = None
            return True

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (its contributions disappear from the registries)."""
        with self._lock:
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin)
            self._dists.pop(name, None)
            self._built = None

    def _check_pending(self) -> None:
        """pluggy's ``check_pending``, for plugins registered on ``pm`` directly: drop and report them."""
        while True:
            try:
                self.pm.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self.pm.get_name(exc.plugin) or repr(exc.plugin)
                self.pm.unregister(exc.plugin)
                self._fail(name, self._dists.pop(name, (None,))[0], str(exc))

    def _fail(self, name: str, dist: str | None, error: str) -> None:
        failure = PluginError(plugin=name, distribution=dist, error=error)
        if failure not in self.errors:  # a contested name is found again on every rebuild
            log.warning("plugin %s: %s", name, error)
            self.errors.append(failure)

    def _is_builtin(self, name: str) -> bool:
        return self._dists.get(name, ("",))[0] == JOLLI_DIST

    def _label(self, name: str) -> str:
        dist = self._dists.get(name)
        return f"{name!r} ({dist[0]} {dist[1]})" if dist else repr(name)

    # --- registries -------------------------------------------------------------------------------
    def _registries(self) -> tuple[SourceTypeRegistry, ProviderRegistry]:
        """Build both registries; plugins whose registration fails are dropped and the build restarts."""
        self.load()
        with self._lock:
            while self._built is None:
                source_types, providers = SourceTypeRegistry(self._label), ProviderRegistry(self._label)
                failure = (
                    self._collect("jolli_register_source_types", source_types)
                    or self._collect("jolli_source_types", source_types, legacy=True)
                    or self._collect("jolli_register_providers", providers)
                )
                failures = [failure] if failure else source_types.settle(self._is_builtin) + providers.settle(
                    self._is_builtin)
                for name, error in failures:
                    dist = self._dists.get(name, (None,))[0]
                    self.unregister(name)
                    self._fail(name, dist, error)
                if failures:
                    continue
                for registry in (source_types, providers):
                    for name, owners in registry.contested.items():
                        for owner in owners:
                            self._fail(owner, self._dists.get(owner, (None,))[0], registry.contested_message(name))
                for host, owners in providers.contested_hosts.items():
                    for owner in owners:
                        self._fail(owner, self._dists.get(owner, (None,))[0], providers.contested_host_message(host))
                source_types.failed_plugins = providers.failed_plugins = len({e.plugin for e in self.errors})
                self._built = (source_types, providers)
            return self._built

    def _collect(self, hook_name: str, registry: NamedRegistry[Any], legacy: bool = False) -> tuple[str, str] | None:
        """Call a registration hook plugin by plugin; return ``(plugin, error)`` of the first that fails.

        ``legacy``: the deprecated list-returning form (``jolli_source_types() -> list``).
        """
        for plugin_name, call in self._implementations(hook_name):
            registry.current_plugin = plugin_name
            try:
                if legacy:
                    for result in call():
                        for item in result or ():
                            registry.add(item)
                else:
                    call(registry=registry)
            except PluginConflict as exc:
                return plugin_name, str(exc)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break jolli
                return plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}"
        registry.current_plugin = "?"
        return None

    def implementations(self, hook_name: str) -> list[tuple[str, Callable[..., list[Any]]]]:
        """Each plugin's implementation of ``hook_name`` on its own, in call order, as ``(plugin, caller)``.

        ``caller(**kwargs)`` calls that one implementation through pluggy (so ``JOLLI_TRACE_PLUGINS``
        logs it) and returns pluggy's list of results; for hooks whose callers need to know which plugin
        did what (``jolli_register_commands``).
        """
        self._registries()
        return self._implementations(hook_name)

    def _implementations(self, hook_name: str) -> list[tuple[str, Callable[..., list[Any]]]]:
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        return [
            (impl.plugin_name,
             self.pm.subset_hook_caller(hook_name, [i.plugin for i in impls if i.plugin is not impl.plugin]))
            for impl in reversed(impls)  # pluggy calls the last registered first
        ]

    def call_order(self, hook_name: str) -> list[str]:
        """The plugins implementing ``hook_name``, in the order pluggy calls them (the last registered first)."""
        return [impl.plugin_name for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls())]

    @property
    def source_types(self) -> SourceTypeRegistry:
        built = self._built  # lock-free once built: this sits on hot paths such as normalize()
        return built[0] if built is not None else self._registries()[0]

    @property
    def providers(self) -> ProviderRegistry:
        built = self._built
        return built[1] if built is not None else self._registries()[1]

    @property
    def hook(self) -> Any:
        """pluggy's hook relay, after loading (``plugins.hook.jolli_process_space(...)``).

        The registries are built first, so a plugin dropped for a name conflict never has its hooks called.
        """
        self._registries()
        return self.pm.hook

    # --- hooks, typed (callers and mypy see a real API instead of ``hook.jolli_*``) -----------------
    def process_space(self, *, space_id: int, event: Any, changes: Any) -> list[dict[str, Any] | None]:
        """Call every ``jolli_process_space`` implementation for one space, the last registered first;
        their results in call order (an exception from one propagates: the space failed)."""
        if self._built is None:
            self._registries()
        results: list[dict[str, Any] | None] = self.pm.hook.jolli_process_space(
            space_id=space_id, event=event, changes=changes)
        return results

    def source_type(self, name: str) -> SourceType:
        """The source type ``name`` or :class:`NotAvailable`."""
        return self.source_types.get(name)

    def provider(self, name: str) -> GitProvider:
        """The provider ``name`` or :class:`NotAvailable`."""
        return self.providers.get(name)

    # --- diagnostics ------------------------------------------------------------------------------
    def enable_tracing(self, writer: Callable[[str], None] | None = None) -> None:
        """Log every hook call and result (``JOLLI_TRACE_PLUGINS=1``)."""
        trace_log = logging.getLogger("jolli.plugins.trace")  # a named channel, documented in docs/plugins.md

        def before(hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
            (writer or trace_log.info)(  # pluggy calls the last of ``impls`` first
                f"call {hook_name}({', '.join(sorted(kwargs))}) -> {[i.plugin_name for i in reversed(impls)]}"
            )

        def after(outcome: Any, hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
            exc = outcome.exception
            (writer or trace_log.info)(
                f"done {hook_name}" + (f" raised {type(exc).__name__}: {exc}" if exc else "")
            )

        self.pm.add_hookcall_monitoring(before, after)

    def describe(self) -> dict[str, Any]:
        """Everything ``jolli plugins --json`` shows."""
        source_types, providers = self._registries()
        plugins = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda p: p[0]):
            dist, version = self._dists.get(name, (None, None))
            plugins.append(
                {
                    "name": name,
                    "distribution": dist,
                    "version": version,
                    "module": getattr(plugin, "__name__", type(plugin).__name__),
                    "sourceTypes": source_types.by_plugin(name),
                    "providers": providers.by_plugin(name),
                    "hooks": sorted(c.name for c in self.pm.get_hookcallers(plugin) or []),
                }
            )
        return {
            "plugins": plugins,
            "hooks": {name: self.call_order(name) for name in _hook_names()},
            "sourceTypes": [
                {"name": t.name, "plugin": source_types.owner(t.name), "description": t.description,
                 "usesRepo": t.uses_repo}
                for t in source_types
            ],
            "providers": [
                {"name": p.name, "plugin": providers.owner(p.name), "title": p.title, "hosts": list(p.hosts),
                 "credentialKinds": [k.describe() for k in p.credential_kinds]}
                for p in providers
            ],
            "errors": [{"plugin": e.plugin, "distribution": e.distribution, "error": e.error} for e in self.errors],
        }


def _unknown_hooks_message(unknown: list[str]) -> str:
    import difflib

    hints = []
    for hook in sorted(unknown):
        close = difflib.get_close_matches(hook, _hook_names(), n=1)
        hints.append(f"{hook} (did you mean {close[0]}?)" if close else hook)
    return (
        "implements unknown hook(s) " + ", ".join(hints)
        + f"; known hooks: {', '.join(_hook_names())} (see docs/plugins.md)"
    )


def _canonical(dist_name: str) -> str:
    """A distribution name as packaging normalises it (``Jolli_Sources`` -> ``jolli-sources``)."""
    return re.sub(r"[-_.]+", "-", dist_name).lower()


def _no_hooks_message(plugin: Any) -> str:
    unmarked = sorted(n for n in dir(plugin) if n.startswith("jolli_") and callable(getattr(plugin, n, None)))
    hint = f" ({', '.join(unmarked)} lack(s) the decorator)" if unmarked else ""
    return (f"implements no hook: no function is marked @jolli.hookimpl{hint}, so it would contribute nothing; "
            "see docs/plugins.md")


def _hook_names() -> list[str]:
    return sorted(n for n in vars(hookspecs) if n.startswith("jolli_"))


def _wanted_plugins() -> set[str] | None:
    raw = text("JOLLI_LOAD_PLUGINS", empty_is_set=True)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


_plugins: Plugins | None = None
_plugins_lock = threading.Lock()


def get_plugins() -> Plugins:
    """The process-wide plugin manager (created on first use; loads lazily)."""
    global _plugins
    current = _plugins
    if current is not None:
        return current
    with _plugins_lock:
        if _plugins is None:
            _plugins = Plugins()
        return _plugins


def reset_plugins(plugins: Plugins | None = None) -> Plugins | None:
    """Replace the process-wide manager (tests); return the previous one."""
    global _plugins
    with _plugins_lock:
        previous, _plugins = _plugins, plugins
        return previous
