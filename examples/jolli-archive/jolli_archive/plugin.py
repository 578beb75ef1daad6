"""The hooks jolli calls: this module is the ``archive`` entry point in the group ``jolli``.

Keep it cheap to import: jolli loads it for every command, so heavy imports (``requests``) wait until an
archive is actually fetched.
"""

from __future__ import annotations

from typing import Any

import jolli

from jolli_archive.source_type import ArchiveSourceType


@jolli.hookimpl
def jolli_register_source_types(registry: Any) -> None:
    """Contribute the ``archive`` source type."""
    registry.add(ArchiveSourceType())


@jolli.hookimpl
def jolli_register_commands(cli: Any) -> None:
    """Add ``jolli archive check <url>``."""
    from jolli_archive.cli import archive

    cli.add_command(archive)
