"""The registries plugins add to: source types and git providers, each name with the plugin that gave it.

Plugins first ``add`` what they contribute; ``settle`` then decides who owns each name and public host,
the same whatever order the plugins were called in: jolli's own plugins keep theirs, and a name two
other plugins both contribute goes to neither (it is *contested*). :class:`jolli.registry.Plugins`
builds both registries and reports the plugins to drop or to name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from jolli.errors import NotAvailable, PluginConflict
from jolli.provider import GitProvider
from jolli.source_type import SourceType

T = TypeVar("T")


class NamedRegistry(Generic[T]):
    """Things keyed by their ``name``, each remembered with the plugin that contributed it.

    Plugins first :meth:`add` what they contribute; :meth:`settle` then decides who owns each name, the
    same whatever order the plugins were called in.
    """

    kind = "thing"
    field = "name"
    base: type = object

    def __init__(self, label: Callable[[str], str] = repr) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._claims: dict[str, list[tuple[str, T]]] = {}
        #: name -> the plugins that all contribute it (none of them gets it).
        self.contested: dict[str, list[str]] = {}
        self._label = label
        self.current_plugin = "?"
        #: How many plugins failed to load (mentioned when a name is not available).
        self.failed_plugins = 0

    def add(self, item: T) -> None:
        """Add one instance (who owns its name is decided once every plugin has added its own)."""
        self._check(item)
        name: str = item.name  # type: ignore[attr-defined]
        claims = self._claims.setdefault(name, [])
        if any(owner == self.current_plugin for owner, _ in claims):
            raise PluginConflict(f"plugin {self._label(self.current_plugin)} added two {self.kind}s named {name!r}")
        claims.append((self.current_plugin, item))

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

    def settle(self, builtin: Callable[[str], bool]) -> list[tuple[str, str]]:
        """Give each name its owner; return ``(plugin, error)`` for each plugin to drop as a whole.

        A name of jolli's own plugins (``builtin(plugin)``) stays theirs and whoever else claims it is
        dropped; a name two other plugins claim goes to neither (:attr:`contested`).
        """
        drop: list[tuple[str, str]] = []
        for name, claims in self._claims.items():
            owners = [owner for owner, _ in claims]
            ours = [claim for claim in claims if builtin(claim[0])]
            if len(claims) == 1 or len(ours) == 1:
                owner, item = claims[0] if len(claims) == 1 else ours[0]
                self._items[name], self._owners[name] = item, owner
                drop.extend((other, self._clash(name, [owner, other]) + f"; {self._label(other)} is not used "
                             "(jolli's own names cannot be taken: uninstall it, or leave it out of JOLLI_LOAD_PLUGINS)")
                            for other in owners if other != owner)
            else:
                self.contested[name] = owners
        return drop

    def _clash(self, name: str, owners: list[str]) -> str:
        count = "two" if len(owners) == 2 else str(len(owners))
        return f"{self.kind} {name!r} is contributed by {count} plugins: " + " and ".join(map(self._label, owners))

    def contested_message(self, name: str) -> str:
        """Why a contested name is not available, and how to make it so."""
        return (self._clash(name, self.contested[name]) + "; neither is used until one is uninstalled or "
                "left out of JOLLI_LOAD_PLUGINS")

    def get(self, name: str) -> T:
        """The item called ``name``, or :class:`NotAvailable` saying it may not be installed."""
        try:
            return self._items[name]
        except KeyError:
            pass
        if name in self.contested:
            message = self.contested_message(name)
            raise NotAvailable(message, fields={self.field: [message]})
        known = ", ".join(sorted(self._items)) or "none"
        broken = f"; {self.failed_plugins} plugin(s) failed to load: see 'jolli plugins'" if self.failed_plugins else ""
        raise NotAvailable(
            f"{self.kind} {name!r} is not available (plugin may not be installed); available: {known}{broken}",
            fields={self.field: [f"{name!r} is not available (plugin may not be installed)"]},
        )

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


class SourceTypeRegistry(NamedRegistry[SourceType]):
    """Source types by name (``git``, ``file`` ...)."""

    kind = "source type"
    field = "type"
    base = SourceType


class ProviderRegistry(NamedRegistry[GitProvider]):
    """Git providers by name, and which provider owns a host."""

    kind = "provider"
    field = "provider"
    base = GitProvider

    def __init__(self, label: Callable[[str], str] = repr) -> None:
        super().__init__(label)
        self._hosts: dict[str, GitProvider] = {}
        #: public host -> the providers that all claim it (none of them gets it).
        self.contested_hosts: dict[str, list[str]] = {}

    def settle(self, builtin: Callable[[str], bool]) -> list[tuple[str, str]]:
        """Names as for every registry, then public hosts by the same rule."""
        drop = super().settle(builtin)
        claims: dict[str, list[GitProvider]] = {}
        for provider in self._items.values():
            for host in provider.hosts:
                claims.setdefault(host.lower(), []).append(provider)
        for host, providers in claims.items():
            ours = [p for p in providers if builtin(self._owners[p.name])]
            if len(providers) == 1 or len(ours) == 1:
                owner = providers[0] if len(providers) == 1 else ours[0]
                self._hosts[host] = owner
                drop.extend((self._owners[p.name], self._host_clash(host, [owner, p])
                             + f"; {self._label(self._owners[p.name])} is not used") for p in providers if p is not owner)
            else:
                self.contested_hosts[host] = [self._owners[p.name] for p in providers]
        return drop

    def contested_host_message(self, host: str) -> str:
        """Why a public host two plugins' providers claim belongs to neither."""
        providers = [p for p in self._items.values() if host in (h.lower() for h in p.hosts)]
        return (self._host_clash(host, providers) + "; the host belongs to neither until one is uninstalled or "
                "left out of JOLLI_LOAD_PLUGINS")

    def _host_clash(self, host: str, providers: list[GitProvider]) -> str:
        return f"host {host!r} is claimed by providers " + " and ".join(
            f"{p.name!r} ({self._label(self._owners[p.name])})" for p in providers)

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
