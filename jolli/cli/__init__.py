"""The ``jolli`` command line."""
