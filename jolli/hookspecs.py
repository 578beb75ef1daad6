"""Hook specifications: the contract between jolli and its plugins.

Every hook is prefixed ``jolli_``. A plugin implements any subset of them with ``@jolli.hookimpl``
and may accept fewer arguments than the spec names (pluggy passes only those it asks for).
Each hook has a section in ``docs/plugins.md``; ``tests/test_hookspecs_documented.py`` checks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from jolli.registry import ProviderRegistry, SourceTypeRegistry

hookspec = pluggy.HookspecMarker("jolli")


@hookspec
def jolli_register_source_types(registry: SourceTypeRegistry) -> None:
    """Add source types (``git``, ``file``, ``archive`` ...) to the registry.

    :param registry: call ``registry.add(instance)`` with a :class:`jolli.source_type.SourceType`.
    """


@hookspec
def jolli_register_providers(registry: ProviderRegistry) -> None:
    """Add git providers (GitHub, GitLab, ...) to the registry.

    :param registry: call ``registry.add(instance)`` with a :class:`jolli.provider.GitProvider`.
    """


@hookspec
def jolli_register_commands(cli: click.Group) -> None:
    """Add commands to the ``jolli`` command line.

    :param cli: the top-level Click group; call ``cli.add_command(...)`` or decorate with ``@cli.command()``.
    """


@hookspec
def jolli_process_space(space_id: int, event: Any, changes: Any) -> dict[str, Any] | None:
    """Do the work of one source event for one affected space.

    Called by the worker once per (event, space), spaces in ascending id. Raising marks the space as
    failed (it is retried with backoff); returning a dict records it as that space's outcome detail.

    :param space_id: the space being processed.
    :param event: the :class:`jolli.events.model.SourceEventView` (sourceId, eventJrn, headSha, ...).
    :param changes: the :class:`jolli.source_type.ChangeSet` between the source cursor and the head.
    :return: a JSON-serialisable dict recorded in the audit row, or ``None``.
    """
