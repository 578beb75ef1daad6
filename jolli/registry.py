"""The plugin manager and the registries of contributed things (source types, providers).

Plugins are modules (or objects) registered under the entry-point group ``jolli``; the built-in
providers and source types are declared the same way in jolli's own ``setup.cfg``. Loading is lazy and
idempotent: nothing is imported until a registry or hook is first asked for. ``JOLLI_LOAD_PLUGINS``
(a comma list of entry-point names; empty loads none) restricts what is loaded.

A plugin that fails to import, implements a hook that does not exist (a misspelling), or contributes a
name another plugin already owns is not used, and the failure is kept in :attr:`Plugins.errors`, named
after the plugin, so the rest of jolli keeps working and ``jolli plugins`` can show what went wrong.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pluggy

from jolli import hookspecs
from jolli.errors import NotAvailable, PluginConflict
from jolli.provider import GitProvider
from jolli.source_type import SourceType

log = logging.getLogger("jolli.plugins")

ENTRY_POINT_GROUP = "jolli"
T = TypeVar("T")


@dataclass
class PluginError:
    """A plugin that could not be used, and why."""

    plugin: str
    distribution: str | None
    error: str


class _NamedRegistry(Generic[T]):
    """Things keyed by their ``name``, each remembered with the plugin that contributed it."""

    kind = "thing"
    base: type = object

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self.current_plugin = "?"

    def add(self, item: T) -> None:
        """Add one item; a name already taken is an error naming both plugins."""
        if not isinstance(item, self.base):
            raise PluginConflict(
                f"plugin {self.current_plugin!r} registered {item!r} as a {self.kind}, "
                f"but it is not a {self.base.__module__}.{self.base.__qualname__}"
            )
        name = getattr(item, "name", "")
        if not name:
            raise PluginConflict(f"plugin {self.current_plugin!r} registered a {self.kind} without a name")
        if name in self._items:
            raise PluginConflict(
                f"{self.kind} {name!r} is contributed by two plugins: "
                f"{self._owners[name]!r} and {self.current_plugin!r}; uninstall or block one of them"
            )
        self._items[name] = item
        self._owners[name] = self.current_plugin

    def get(self, name: str) -> T:
        """The item called ``name``, or :class:`NotAvailable` saying it may not be installed."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise NotAvailable(
                f"{self.kind} {name!r} is not available (plugin may not be installed); available: {known}",
                fields={"type" if self.kind == "source type" else "provider": [f"{name!r} is not available"]},
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items[name] for name in sorted(self._items))

    def names(self) -> list[str]:
        return sorted(self._items)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def by_plugin(self, plugin: str) -> list[str]:
        return sorted(n for n, owner in self._owners.items() if owner == plugin)


class SourceTypeRegistry(_NamedRegistry[SourceType]):
    """Source types by name (``git``, ``file`` ...)."""

    kind = "source type"
    base = SourceType


class ProviderRegistry(_NamedRegistry[GitProvider]):
    """Git providers by name, and which provider owns a host."""

    kind = "provider"
    base = GitProvider

    def __init__(self) -> None:
        super().__init__()
        self._hosts: dict[str, GitProvider] = {}

    def add(self, item: GitProvider) -> None:
        super().add(item)
        for host in item.hosts:
            self._hosts.setdefault(host.lower(), item)

    def for_host(self, host: str, extra_hosts: dict[str, str] | None = None) -> GitProvider | None:
        """The provider of ``host``: a public host it owns, else a self-hosted one in ``extra_hosts``
        (host -> provider name, from registered integrations), else ``None`` (unknown)."""
        host = host.lower()
        found = self._hosts.get(host)
        if found is not None:
            return found
        if extra_hosts:
            name = extra_hosts.get(host)
            if name is not None and name in self._items:
                return self._items[name]
        return None


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
        self._source_types: SourceTypeRegistry | None = None
        self._providers: ProviderRegistry | None = None
        if os.environ.get("JOLLI_TRACE_PLUGINS"):
            self.enable_tracing()

    # --- loading ----------------------------------------------------------------------------------
    def load(self) -> Plugins:
        """Import and register the plugins named by entry points (once)."""
        with self._lock:
            if self._loaded:
                return self
            self._loaded = True
            if self._load_entry_points:
                self._load_from_entry_points()
        return self

    def _load_from_entry_points(self) -> None:
        import importlib.metadata

        wanted = _wanted_plugins()
        found = []
        for dist in importlib.metadata.distributions():
            for ep in dist.entry_points:
                if ep.group == ENTRY_POINT_GROUP and (wanted is None or ep.name in wanted):
                    found.append((dist.metadata["Name"] or "?", dist.version, ep))
        # jolli's own plugins first, so a third party cannot take over a built-in name.
        found.sort(key=lambda f: (f[0] != "jolli", f[0], f[2].name))
        seen = set()
        for dist_name, version, ep in found:
            if ep.name in seen or self.pm.is_blocked(ep.name):
                continue
            seen.add(ep.name)
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
                self._fail(ep.name, dist_name, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name, distribution=(dist_name, version))

    def register(self, plugin: Any, name: str, distribution: tuple[str, str] | None = None) -> bool:
        """Register one plugin object or module; return whether it was accepted."""
        with self._lock:
            try:
                self.pm.register(plugin, name=name)
            except Exception as exc:  # noqa: BLE001 - pluggy validation errors name the hook
                self._fail(name, distribution and distribution[0], f"{type(exc).__name__}: {exc}")
                return False
            unknown = [
                caller.name
                for caller in self.pm.get_hookcallers(plugin) or []
                if caller.spec is None
            ]
            if unknown:
                self.pm.unregister(plugin)
                self._fail(
                    name,
                    distribution and distribution[0],
                    "implements unknown hook(s) " + ", ".join(sorted(unknown))
                    + "; check the spelling against docs/plugins.md",
                )
                return False
            if distribution:
                self._dists[name] = distribution
            self._invalidate()
            return True

    def unregister(self, name: str) -> None:
        with self._lock:
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin)
            self._dists.pop(name, None)
            self._invalidate()

    def _fail(self, name: str, dist: str | None, error: str) -> None:
        log.warning("plugin %s not loaded: %s", name, error)
        self.errors.append(PluginError(plugin=name, distribution=dist, error=error))

    def _invalidate(self) -> None:
        self._source_types = None
        self._providers = None

    # --- registries -------------------------------------------------------------------------------
    @property
    def source_types(self) -> SourceTypeRegistry:
        self.load()
        with self._lock:
            if self._source_types is None:
                registry = SourceTypeRegistry()
                self._collect("jolli_register_source_types", registry)
                self._source_types = registry
            return self._source_types

    @property
    def providers(self) -> ProviderRegistry:
        self.load()
        with self._lock:
            if self._providers is None:
                registry = ProviderRegistry()
                self._collect("jolli_register_providers", registry)
                self._providers = registry
            return self._providers

    def _collect(self, hook_name: str, registry: _NamedRegistry[Any]) -> None:
        """Call a registration hook plugin by plugin, so each contribution is tied to its plugin."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):  # registration order
            registry.current_plugin = impl.plugin_name
            try:
                impl.function(**{arg: registry for arg in impl.argnames})
            except PluginConflict as exc:
                self._fail(impl.plugin_name, self._dists.get(impl.plugin_name, (None,))[0], str(exc))
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break jolli
                self._fail(
                    impl.plugin_name,
                    self._dists.get(impl.plugin_name, (None,))[0],
                    f"{hook_name} raised {type(exc).__name__}: {exc}",
                )
        registry.current_plugin = "?"

    @property
    def hook(self) -> Any:
        """pluggy's hook relay, after loading (``plugins.hook.jolli_process_space(...)``)."""
        self.load()
        return self.pm.hook

    def source_type(self, name: str) -> SourceType:
        return self.source_types.get(name)

    def provider(self, name: str) -> GitProvider:
        return self.providers.get(name)

    # --- diagnostics ------------------------------------------------------------------------------
    def enable_tracing(self, writer: Callable[[str], None] | None = None) -> None:
        """Log every hook call and result (``JOLLI_TRACE_PLUGINS=1``)."""
        trace_log = logging.getLogger("jolli.plugins.trace")

        def before(hook_name: str, impls: Any, kwargs: dict[str, Any]) -> None:
            (writer or trace_log.info)(
                f"call {hook_name}({', '.join(sorted(kwargs))}) -> {[i.plugin_name for i in impls]}"
            )

        def after(outcome: Any, hook_name: str, impls: Any, kwargs: dict[str, Any]) -> None:
            exc = outcome.exception
            (writer or trace_log.info)(
                f"done {hook_name}" + (f" raised {type(exc).__name__}: {exc}" if exc else "")
            )

        self.pm.add_hookcall_monitoring(before, after)

    def describe(self) -> dict[str, Any]:
        """Everything ``jolli plugins --json`` shows."""
        source_types = self.source_types
        providers = self.providers
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
        hooks = {
            name: [impl.plugin_name for impl in reversed(getattr(self.pm.hook, name).get_hookimpls())]
            for name in sorted(n for n in dir(hookspecs) if n.startswith("jolli_"))
        }
        return {
            "plugins": plugins,
            "hooks": hooks,
            "errors": [e.__dict__ for e in self.errors],
        }


def _wanted_plugins() -> set[str] | None:
    raw = os.environ.get("JOLLI_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


_plugins: Plugins | None = None
_plugins_lock = threading.Lock()


def get_plugins() -> Plugins:
    """The process-wide plugin manager (created on first use; loads lazily)."""
    global _plugins
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
