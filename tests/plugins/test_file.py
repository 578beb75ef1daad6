"""The built-in ``file`` source type."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from jolli.errors import InvalidInput
from jolli.plugins.file import FileSourceType
from jolli.registry import Plugins

FILE = FileSourceType()


def test_file_is_registered_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "file")
    source_type = Plugins().source_type("file")
    assert isinstance(source_type, FileSourceType)
    assert source_type.uses_repo is False


def test_mount_is_an_absolute_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    os.symlink(tmp_path / "notes", tmp_path / "link")
    assert FILE.validate_mount(str(tmp_path / "notes")).path == os.path.realpath(tmp_path / "notes")
    info = FILE.validate_mount(str(tmp_path / "link"))
    assert info.path == os.path.realpath(tmp_path / "notes")
    assert info.repo is None and info.branch is None


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tmp: "notes", "absolute"),
        (lambda tmp: str(tmp / "missing"), "does not exist"),
        (lambda tmp: str(tmp / "a.txt"), "is not a directory"),
    ],
)
def test_bad_mounts_name_the_field_and_the_fix(tmp_path: Path, make: Callable[[Path], str], problem: str) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InvalidInput, match=problem) as excinfo:
        FILE.validate_mount(make(tmp_path))
    assert list(excinfo.value.fields) == ["mountPath"]


def test_a_git_work_tree_is_a_fine_file_mount(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert FILE.validate_mount(str(tmp_path)).path == os.path.realpath(tmp_path)


@pytest.mark.parametrize("value", ["2026-11-21T10:00:00Z", "sha256:9f86d081", "42", " padded "])
def test_cursor_is_any_non_empty_string_kept_as_given(value: str) -> None:
    assert FILE.validate_cursor(value) == value


@pytest.mark.parametrize("value", ["", "   ", "\n", "x" * 513])
def test_blank_or_oversized_cursors_are_rejected(value: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        FILE.validate_cursor(value)
    assert list(excinfo.value.fields) == ["value"]


def test_a_512_character_cursor_is_accepted() -> None:
    assert FILE.validate_cursor("x" * 512) == "x" * 512


def test_fields_without_repo_pass() -> None:
    assert FILE.validate_fields({"name": "notes", "repo": None}) == {"name": "notes", "repo": None}


def test_repo_branch_and_integration_are_rejected_each_on_its_field() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        FILE.validate_fields({"repo": "github.com/acme/docs", "branch": "main", "integrationId": 3})
    assert set(excinfo.value.fields) == {"repo", "branch", "integrationId"}
    assert "type 'git'" in excinfo.value.message


def test_staleness_only_knows_equal_cursors() -> None:
    assert FILE.is_stale("2026-11-21", "2026-11-21") is True
    assert FILE.is_stale("2026-11-20", "2026-11-21") is None
    assert FILE.is_stale(None, "2026-11-21") is False


def test_a_file_source_refuses_type_fields_it_does_not_have() -> None:
    from jolli.errors import InvalidInput
    from jolli.registry import get_plugins

    with pytest.raises(InvalidInput) as caught:
        get_plugins().source_type("file").validate_fields({"name": "n", "type": "file", "fields": {"x": 1}})
    assert "remove 'fields'" in caught.value.fields["fields"][0]
