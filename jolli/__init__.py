"""jolli: a registry of sources bound to spaces, fed by provider push webhooks."""

import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations: ``@jolli.hookimpl``.
hookimpl = pluggy.HookimplMarker("jolli")

__all__ = ["__version__", "hookimpl"]
