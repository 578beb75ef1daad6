"""Built-in source types (``git``, ``file``), registered through the ``jolli`` entry points."""
