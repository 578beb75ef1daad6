"""The text formats the contracts check, as plain patterns: defined once, importable without marshmallow.

The schemas (:mod:`jolli.contracts`, :mod:`jolli.local.schema`) validate with them, and so do the paths
that must stay light (the CLI's quick read of ``.jolli/sources.json``, ``jolli source add``). A canonical
repo coordinate's pattern is :data:`jolli.repo_coordinate.COORDINATE_RE`.
"""

from __future__ import annotations

#: A source or org name.
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z"
NAME_HINT = "1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
#: A server source id as text (a key of the sources file's ``mounts``).
SOURCE_ID_RE = r"^[1-9][0-9]{0,18}\Z"
