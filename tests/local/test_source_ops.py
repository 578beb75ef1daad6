"""The source operations without the CLI: results as data, refusals as JolliError, notes through ``say``."""

from __future__ import annotations

from pathlib import Path

import pytest

from jolli.errors import InvalidInput
from jolli.local import source_ops
from jolli.local.sources_file import SourcesFile


def test_a_virtual_source_is_added_then_removed_with_notes_and_nothing_printed(tmp_path: Path) -> None:
    notes: list[str] = []
    say = source_ops.Say(note=notes.append, warn=notes.append)
    file = SourcesFile(tmp_path / ".jolli" / "sources.json")
    with file.edit() as edit:
        added = source_ops.add(file, edit, None, "docs", mount_path=str(tmp_path), type_="file", repo=None,
                               branch=None, integration_id=None, fields={}, virtual=True, say=say)
    assert added == {"name": "docs", "kind": "virtual", "sourceId": None}
    assert "docs" in file.load().config.virtual_sources and "--virtual: recorded 'docs'" in notes[0]
    with file.edit() as edit, pytest.raises(InvalidInput, match="already exists"):
        source_ops.add(file, edit, None, "docs", mount_path=str(tmp_path), type_="file", repo=None, branch=None,
                       integration_id=None, fields={}, virtual=True, say=say)

    def no_server() -> None:
        raise AssertionError("a virtual source is removed without asking the server")

    with file.edit() as edit:
        removed = source_ops.remove(file, edit, "docs", virtual_only=False, with_server=False, client=no_server,
                                    say=say)
    assert removed == {"name": "docs", "kind": "virtual", "sourceId": None, "serverDeleted": False,
                       "mountPath": None}
    assert file.load().config.virtual_sources == {}


def test_refusals_are_errors_that_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="source name 'a b' is not valid"):
        source_ops.check_name("a b")
    with pytest.raises(InvalidInput, match="--mount must be an absolute path"):
        source_ops.inspect_mount("relative/path", "file", None, None, source_ops.Say())
    file = SourcesFile(tmp_path / "sources.json")
    with pytest.raises(InvalidInput, match="no source named 'x': there is no"):
        source_ops.remove(file, None, "x", virtual_only=False, with_server=False, client=lambda: None,  # type: ignore[arg-type, return-value]
                          say=source_ops.Say())
