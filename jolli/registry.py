"""The plugin manager and the registries of contributed things (source types, providers).

Plugins are modules (or objects) registered under the entry-point group ``jolli``; the built-in
providers and source types are declared the same way in jolli's own ``setup.cfg``. Loading is lazy and
idempotent: nothing is imported until a registry or hook is first asked for. ``JOLLI_LOAD_PLUGINS``
(a comma list of entry-point names; empty loads none) restricts what is loaded.

A plugin that fails to import, implements a hook that does not exist (a misspelling), raises while
registering, or contributes a name another plugin already owns is not used at all (it is unregistered),
and the failure is kept in :attr:`Plugins.errors`, named after the plugin, so the rest of jolli keeps
working and ``jolli plugins`` can show what went wrong. jolli's own plugins are registered and collected
first, so a third party can never take over a built-in name.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pluggy

from jolli import hookspecs
from jolli.errors import NotAvailable, PluginConflict
from jolli.provider import GitProvider
from jolli.source_type import SourceType

log = logging.getLogger("jolli.plugins")

ENTRY_POINT_GROUP = "jolli"
JOLLI_DIST = "jolli"
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
    field = "name"
    base: type = object

    def __init__(self, label: Callable[[str], str] = repr) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._label = label
        self.current_plugin = "?"
        #: How many plugins failed to load (mentioned when a name is not available).
        self.failed_plugins = 0

    def add(self, item: T) -> None:
        """Add one instance; a name already taken is an error naming both plugins."""
        self._check(item)
        self._items[item.name] = item  # type: ignore[attr-defined]
        self._owners[item.name] = self.current_plugin  # type: ignore[attr-defined]

    def _check(self, item: Any) -> None:
        where = f"plugin {self._label(self.current_plugin)}"
        if isinstance(item, type) and issubclass(item, self.base):
            raise PluginConflict(f"{where} registered the class {item.__name__}; pass an instance: "
                                 f"registry.add({item.__name__}())")
        if not isinstance(item, self.base):
            raise PluginConflict(
                f"{where} registered {item!r} as a {self.kind}, "
                f"but it is not a {self.base.__module__}.{self.base.__qualname__}"
            )
        name = getattr(item, "name", "")
        if not name or not isinstance(name, str):
            raise PluginConflict(f"{where} registered a {self.kind} without a name")
        if name in self._items:
            raise PluginConflict(
                f"{self.kind} {name!r} is contributed by two plugins: {self._label(self._owners[name])} "
                f"and {self._label(self.current_plugin)}; {self._label(self.current_plugin)} is not used "
                "(uninstall one of them, or leave it out of JOLLI_LOAD_PLUGINS)"
            )

    def get(self, name: str) -> T:
        """The item called ``name``, or :class:`NotAvailable` saying it may not be installed."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            broken = f"; {self.failed_plugins} plugin(s) failed to load: see 'jolli plugins'" if self.failed_plugins else ""
            raise NotAvailable(
                f"{self.kind} {name!r} is not available (plugin may not be installed); available: {known}{broken}",
                fields={self.field: [f"{name!r} is not available (plugin may not be installed)"]},
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items[name] for name in sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return sorted(self._items)

    def owner(self, name: str) -> str:
        """The plugin that contributed ``name``."""
        return self._owners[name]

    def by_plugin(self, plugin: str) -> list[str]:
        return sorted(n for n, owner in self._owners.items() if owner == plugin)


class SourceTypeRegistry(_NamedRegistry[SourceType]):
    """Source types by name (``git``, ``file`` ...)."""

    kind = "source type"
    field = "type"
    base = SourceType


class ProviderRegistry(_NamedRegistry[GitProvider]):
    """Git providers by name, and which provider owns a host."""

    kind = "provider"
    field = "provider"
    base = GitProvider

    def __init__(self, label: Callable[[str], str] = repr) -> None:
        super().__init__(label)
        self._hosts: dict[str, GitProvider] = {}

    def add(self, item: GitProvider) -> None:
        """Add a provider; a public host another provider already owns is an error naming both."""
        self._check(item)
        for host in item.hosts:
            other = self._hosts.get(host.lower())
            if other is not None:
                raise PluginConflict(
                    f"host {host.lower()!r} is claimed by providers {other.name!r} "
                    f"({self._label(self._owners[other.name])}) and {item.name!r} "
                    f"({self._label(self.current_plugin)}); {self._label(self.current_plugin)} is not used"
                )
        super().add(item)
        for host in item.hosts:
            self._hosts[host.lower()] = item

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
        self._order: dict[str, int] = {}  # plugin name -> registration sequence number
        self._registered = 0
        self._load_entry_points = load_entry_points
        self._loaded = False
        self._lock = threading.RLock()
        self._built: tuple[SourceTypeRegistry, ProviderRegistry] | None = None
        if os.environ.get("JOLLI_TRACE_PLUGINS"):
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
                described[id(dist)] = (meta["Name"] or "?", meta["Version"] or "?")
            found.append((*described[id(dist)], ep))
        # jolli's own plugins first, so a third party cannot take over a built-in name.
        found.sort(key=lambda f: (f[0] != JOLLI_DIST, f[0].lower(), f[2].name))
        taken: dict[str, str] = {}
        for dist_name, version, ep in found:
            if ep.name in taken:
                self._fail(ep.name, dist_name, f"entry point {ep.name!r} ({ep.value}) is ignored: the name is "
                           f"already taken by distribution {taken[ep.name]!r}; rename the entry point")
                continue
            taken[ep.name] = dist_name
            if self.pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure is reported, not fatal
                self._fail(ep.name, dist_name, f"failed to import {ep.value}: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name, distribution=(dist_name, version))
        for name in sorted((wanted or set()) - set(taken)):
            self._fail(name, None, "named in JOLLI_LOAD_PLUGINS but not available (plugin may not be installed)")

    def register(self, plugin: Any, name: str, distribution: tuple[str, str] | None = None) -> bool:
        """Register one plugin object or module; return whether it was accepted.

        Registering does not trigger entry-point loading; built-ins still win name clashes when loaded later.
        """
        dist = distribution[0] if distribution else None
        with self._lock:
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
            if unknown:
                self.pm.unregister(plugin)
                self._fail(name, dist, _unknown_hooks_message(unknown))
                return False
            if distribution:
                self._dists[name] = distribution
            self._order[name] = self._registered = self._registered + 1
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
        log.warning("plugin %s not loaded: %s", name, error)
        self.errors.append(PluginError(plugin=name, distribution=dist, error=error))

    def _label(self, name: str) -> str:
        dist = self._dists.get(name)
        return f"{name!r} ({dist[0]} {dist[1]})" if dist else repr(name)

    # --- registries -------------------------------------------------------------------------------
    def _registries(self) -> tuple[SourceTypeRegistry, ProviderRegistry]:
        """Build both registries; a plugin whose registration fails is dropped and the build restarts."""
        self.load()
        with self._lock:
            while self._built is None:
                source_types, providers = SourceTypeRegistry(self._label), ProviderRegistry(self._label)
                failure = (
                    self._collect("jolli_register_source_types", source_types)
                    or self._collect("jolli_source_types", source_types, legacy=True)
                    or self._collect("jolli_register_providers", providers)
                )
                if failure is None:
                    source_types.failed_plugins = providers.failed_plugins = len({e.plugin for e in self.errors})
                    self._built = (source_types, providers)
                else:
                    name, error = failure
                    dist = self._dists.get(name, (None,))[0]
                    self.unregister(name)
                    self._fail(name, dist, error)
            return self._built

    def _collect(self, hook_name: str, registry: _NamedRegistry[Any], legacy: bool = False) -> tuple[str, str] | None:
        """Call a registration hook plugin by plugin; return ``(plugin, error)`` of the first that fails.

        ``legacy``: the deprecated list-returning form (``jolli_source_types() -> list``).
        """
        for impl in self._ordered_impls(hook_name):
            registry.current_plugin = impl.plugin_name
            try:
                if legacy:
                    for item in impl.function() or ():
                        registry.add(item)
                else:
                    impl.function(**{arg: registry for arg in impl.argnames})
            except PluginConflict as exc:
                return impl.plugin_name, str(exc)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break jolli
                return impl.plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}"
        registry.current_plugin = "?"
        return None

    def _ordered_impls(self, hook_name: str) -> list[Any]:
        """A hook's implementations: jolli's own first, then in registration order."""
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        return sorted(impls, key=lambda i: (self._dists.get(i.plugin_name, ("",))[0] != JOLLI_DIST,
                                            self._order.get(i.plugin_name, 0)))

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

    def source_type(self, name: str) -> SourceType:
        """The source type ``name`` or :class:`NotAvailable`."""
        return self.source_types.get(name)

    def provider(self, name: str) -> GitProvider:
        """The provider ``name`` or :class:`NotAvailable`."""
        return self.providers.get(name)

    # --- diagnostics ------------------------------------------------------------------------------
    def enable_tracing(self, writer: Callable[[str], None] | None = None) -> None:
        """Log every hook call and result (``JOLLI_TRACE_PLUGINS=1``)."""
        trace_log = logging.getLogger("jolli.plugins.trace")

        def before(hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
            (writer or trace_log.info)(
                f"call {hook_name}({', '.join(sorted(kwargs))}) -> {[i.plugin_name for i in impls]}"
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
            "hooks": {name: [i.plugin_name for i in self._ordered_impls(name)] for name in _hook_names()},
            "sourceTypes": [
                {"name": t.name, "plugin": source_types.owner(t.name), "description": t.description,
                 "usesRepo": t.uses_repo}
                for t in source_types
            ],
            "providers": [
                {"name": p.name, "plugin": providers.owner(p.name), "title": p.title, "hosts": list(p.hosts)}
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


def _hook_names() -> list[str]:
    return sorted(n for n in vars(hookspecs) if n.startswith("jolli_"))


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
