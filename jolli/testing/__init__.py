"""Helpers for testing jolli plugins (the ``pytest11`` plugin lives in :mod:`jolli.testing.pytest_plugin`)."""
