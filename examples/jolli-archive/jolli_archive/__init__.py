"""jolli-archive: the ``archive`` source type, a tarball or zip file at an HTTPS URL.

The plugin's hooks are in :mod:`jolli_archive.plugin` (the ``jolli`` entry point); the source type in
:mod:`jolli_archive.source_type`; downloading and hashing in :mod:`jolli_archive.fetch`.
"""

__version__ = "0.1.0"
