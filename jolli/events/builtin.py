"""Built-in per-space processing: records the files changed between the cursor and the pushed head.

Registered as the ``record_changes`` plugin. What it returns is stored as the space's outcome detail
(``GET /api/events/<id>`` and ``/api/spaces/<id>/audit`` show it). The change set comes from the
source type (git on a local clone) or the provider's compare API, computed once per event by the worker.
"""

from __future__ import annotations

from typing import Any

from jolli import hookimpl

#: At most this many file names are recorded per space; ``fileCount`` always holds the full count.
MAX_FILES = 1000


@hookimpl
def jolli_process_space(space_id: int, event: Any, changes: Any) -> dict[str, Any]:
    """The changes of ``event`` as seen by ``space_id``: relation to the cursor and the files."""
    files = list(getattr(changes, "files", ()) or ())
    return {
        "base": getattr(changes, "base", None),
        "head": getattr(changes, "head", getattr(event, "head_sha", None)),
        "relation": getattr(changes, "relation", "unknown"),
        "fileCount": len(files),
        "files": files[:MAX_FILES],
        "truncated": len(files) > MAX_FILES,
    }
