"""Validation of the archive fields and cursors: what the API answers 400 for."""

from __future__ import annotations

import pytest
from jolli.errors import InvalidInput

from jolli_archive.fields import validate_cursor, validate_fields


def test_https_url_is_accepted_and_format_inferred_from_its_suffix() -> None:
    assert validate_fields({"url": "https://example.com/r/v1.tar.gz"}) == {
        "url": "https://example.com/r/v1.tar.gz",
        "format": "tar.gz",
    }
    assert validate_fields({"url": "https://example.com/a.ZIP?x=1"})["format"] == "zip"


def test_explicit_format_wins_and_unknown_suffix_leaves_format_out() -> None:
    assert validate_fields({"url": "https://example.com/download?id=3", "format": "zip"})["format"] == "zip"
    assert validate_fields({"url": "https://example.com/download?id=3"}) == {
        "url": "https://example.com/download?id=3"
    }


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({}, "url", "is required"),
        ({"url": ""}, "url", "is required"),
        ({"url": 42}, "url", "is required"),
        ({"url": "http://example.com/a.zip"}, "url", "https://"),
        ({"url": "ftp://example.com/a.zip"}, "url", "https://"),
        ({"url": "https://user:secret@example.com/a.zip"}, "url", "password"),
        ({"url": "https:///a.zip"}, "url", "host"),
        ({"url": "https://example.com:99999/a.zip"}, "url", "not a valid URL"),
        ({"url": "https://example.com/a.zip#top"}, "url", "fragment"),
        ({"url": "https://example.com/a.zip", "format": "rar"}, "format", "one of"),
        ({"url": "https://example.com/a.zip", "mountPath": "/tmp"}, "mountPath", "unknown field"),
    ],
)
def test_bad_fields_name_the_field(fields: dict, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_fields(fields)
    assert list(caught.value.fields) == [field]
    assert words in caught.value.fields[field][0]


def test_a_password_in_the_url_is_never_echoed() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_fields({"url": "https://user:hunter2@example.com/a.zip"})
    assert "hunter2" not in str(caught.value) and "hunter2" not in str(caught.value.fields)


def test_cursor_accepts_digests_lowercased_and_etags() -> None:
    digest = "sha256:" + "AB" * 32
    assert validate_cursor(digest) == digest.lower()
    assert validate_cursor('"5f3-abc"') == '"5f3-abc"'
    assert validate_cursor('W/"weak"') == 'W/"weak"'


@pytest.mark.parametrize("value", ["sha256:1234", "abc", '"unterminated', "md5:" + "a" * 32, ""])
def test_cursor_rejects_anything_else(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_cursor(value)
    assert "value" in caught.value.fields


def test_a_whole_source_body_has_its_archive_fields_normalised_under_fields() -> None:
    body = {"name": "docs", "type": "archive", "enabled": True, "repo": None, "fields": {"url": "https://e.com/d.tgz"}}
    assert validate_fields(body) == {**body, "fields": {"url": "https://e.com/d.tgz", "format": "tar.gz"}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "docs", "type": "archive"}, "fields.url"),
        ({"name": "docs", "type": "archive", "fields": {"url": "http://e.com/a.zip"}}, "fields.url"),
        ({"name": "docs", "type": "archive", "fields": {"url": "https://e.com/a.zip", "x": 1}}, "fields.x"),
        ({"name": "docs", "type": "archive", "fields": "https://e.com/a.zip"}, "fields"),
        ({"name": "docs", "type": "archive", "repo": "github.com/a/b", "fields": {"url": "https://e.com/a"}}, "repo"),
        ({"type": "archive", "integration_id": 3, "fields": {"url": "https://e.com/a"}}, "integration_id"),
    ],
)
def test_a_whole_source_body_names_the_bad_field_with_its_path(body: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_fields(body)
    assert list(caught.value.fields) == [field]
