"""The CLI's local state: ``.jolli/sources.json`` (found like git finds ``.git``) and the user config.

- :mod:`jolli.local.discovery`: where the sources file is, or where a new one goes.
- :mod:`jolli.local.schema`: reading and checking the version 1 shape; :mod:`jolli.local.upgrade` upgrades
  the older single-map shape.
- :mod:`jolli.local.sources_file`: atomic, locked reads and writes.
- :mod:`jolli.local.collisions`: a virtual name that shadows a true source, in the file or on the server.
- :mod:`jolli.local.worktree`: cheap checks of a mount (no ``git`` process).
- :mod:`jolli.local.user_config`: server URL and tokens saved by ``jolli login``.
"""
