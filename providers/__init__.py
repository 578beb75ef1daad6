"""Built-in git providers, registered through the ``jolli`` entry points like any plugin."""
