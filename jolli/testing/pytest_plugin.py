"""pytest fixtures for jolli plugin authors, loaded automatically through the ``pytest11`` entry point."""
