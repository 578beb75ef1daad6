"""Helpers for testing jolli plugins.

The ``pytest11`` plugin in :mod:`jolli.testing.pytest_plugin` gives the ``jolli_*`` fixtures (loaded
automatically once jolli is installed); :mod:`jolli.testing.helpers` has the same tools without pytest.
docs/plugins.md, "Test fixtures reference", lists them.
"""
