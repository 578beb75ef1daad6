"""Hook specifications: the contract between jolli and its plugins.

Every hook is prefixed ``jolli_``. A plugin implements any subset of them with ``@jolli.hookimpl``
and may accept fewer arguments than the spec names (pluggy passes only those it asks for).
Each hook has a section in ``docs/plugins.md`` and a ``test_hook_<name>`` test; ``tests/test_hookspecs.py``
checks both.

Versioning rule (the full text is in ``docs/plugins.md``, "Versioning and deprecation"):

- jolli always calls hooks with keyword arguments, so adding a parameter to a hook, or adding a hook,
  is compatible: existing implementations keep working. It happens in a minor release.
- A parameter or hook is never renamed, removed or given another meaning in place. It is first
  deprecated (``warn_on_impl`` / ``warn_on_impl_args`` with a :class:`JolliDeprecationWarning` naming
  the replacement and the release that removes it), keeps working for at least two minor releases,
  and is removed only in a major release (``1.0`` for hooks deprecated during ``0.x``).
- ``firstresult`` and ``historic`` never change for an existing hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from jolli.registries import ProviderRegistry, SourceTypeRegistry
    from jolli.source_type import SourceType

hookspec = pluggy.HookspecMarker("jolli")


class JolliDeprecationWarning(DeprecationWarning):
    """A plugin uses a hook or a hook parameter that will be removed; the message names the replacement."""


@hookspec
def jolli_register_source_types(registry: SourceTypeRegistry) -> None:
    """Add source types (``git``, ``file``, ``archive`` ...) to the registry.

    Called once per plugin manager, the first time a source type is looked up.

    :param registry: call ``registry.add(instance)`` with a :class:`jolli.source_type.SourceType`.
    """


@hookspec
def jolli_register_providers(registry: ProviderRegistry) -> None:
    """Add git providers (GitHub, GitLab, ...) to the registry.

    Called once per plugin manager, the first time a provider is looked up.

    :param registry: call ``registry.add(instance)`` with a :class:`jolli.provider.GitProvider`.
    """


@hookspec
def jolli_register_commands(cli: click.Group) -> None:
    """Add commands to the ``jolli`` command line.

    Called once per process, when the command line first needs a command it does not know itself.

    :param cli: a Click group of the plugin's own; call ``cli.add_command(...)`` or decorate with
        ``@cli.command()``. Its commands are added to ``jolli`` unless a built-in or another plugin has the name.
    """


@hookspec
def jolli_process_space(space_id: int, event: Any, changes: Any) -> dict[str, Any] | None:
    """Do the work of one source event for one affected space.

    Called by the worker once per (event, space), spaces in ascending id; the implementations in the
    order ``jolli plugins`` lists (the last registered first). Raising marks the space as
    failed (it is retried with backoff); returning a dict records it as that space's outcome detail.

    :param space_id: the space being processed.
    :param event: the :class:`jolli.events.view.SourceEventView` (sourceId, eventJrn, headSha, ...).
    :param changes: the :class:`jolli.source_type.ChangeSet` between the source cursor and the head.
    :return: a JSON-serialisable dict recorded in the audit row, or ``None``.
    """


@hookspec(
    warn_on_impl=JolliDeprecationWarning(
        "jolli_source_types is deprecated since jolli 0.1 and will be removed in jolli 1.0; "
        "implement jolli_register_source_types(registry) and call registry.add(...) instead"
    )
)
def jolli_source_types() -> list[SourceType] | None:
    """Deprecated: return a list of source types. Use :func:`jolli_register_source_types`.

    Kept so plugins written against the first preview keep working; registering a plugin that
    implements it emits a :class:`JolliDeprecationWarning` pointing at the implementation.

    :return: a list of :class:`jolli.source_type.SourceType` instances (``None``: none).
    """
