"""Change detection between two cursors, against an HTTPS server mocked with ``responses``."""

from __future__ import annotations

import hashlib
import json

import pytest
import responses
from archive_files import make_tar, make_zip
from jolli.errors import InvalidInput
from jolli.source_type import ChangeSet

from jolli_archive.fetch import ArchiveUnavailable
from jolli_archive.source_type import ArchiveSourceType

URL = "https://downloads.example.com/docs.zip"
V1 = make_zip({"README.md": b"hello", "guide/intro.md": b"one", "guide/old.md": b"gone soon"})
V2 = make_zip({"README.md": b"hello", "guide/intro.md": b"two", "guide/new.md": b"fresh"})


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serve(body: bytes, url: str = URL, etag: str | None = None) -> None:
    """Make ``url`` answer with ``body`` from now on (replacing what it answered before)."""
    responses.upsert(responses.GET, url, body=body, headers={"ETag": etag} if etag else {})


@pytest.fixture
def archive() -> ArchiveSourceType:
    return ArchiveSourceType()


@responses.activate
def test_first_version_lists_every_member_as_new(archive: ArchiveSourceType) -> None:
    serve(V1)
    changes = archive.detect_changes({"fields": {"url": URL}}, None, digest(V1))
    assert changes == ChangeSet(
        base=None, head=digest(V1), relation="ahead", files=("README.md", "guide/intro.md", "guide/old.md")
    )


@responses.activate
def test_new_version_lists_added_removed_and_modified_members(archive: ArchiveSourceType) -> None:
    source = {"name": "docs", "fields": {"url": URL, "format": "zip"}}
    serve(V1)
    archive.detect_changes(source, None, digest(V1))
    serve(V2)
    changes = archive.detect_changes(source, digest(V1), digest(V2))
    assert changes.relation == "ahead"
    assert changes.files == ("guide/intro.md", "guide/new.md", "guide/old.md")


@responses.activate
def test_same_cursor_is_identical_without_any_request(archive: ArchiveSourceType) -> None:
    changes = archive.detect_changes({"fields": {"url": URL}}, digest(V1), digest(V1))
    assert changes.relation == "identical"
    assert len(responses.calls) == 0


@responses.activate
def test_etag_and_digest_of_one_version_are_identical(archive: ArchiveSourceType) -> None:
    serve(V1, etag='"v1"')
    archive.check(URL)
    assert archive.detect_changes({"fields": {"url": URL}}, '"v1"', digest(V1)).relation == "identical"


@responses.activate
def test_base_never_seen_here_reports_a_change_without_files(archive: ArchiveSourceType) -> None:
    serve(V2)
    changes = archive.detect_changes({"fields": {"url": URL}}, digest(V1), digest(V2))
    assert changes.relation == "unknown"
    assert changes.files == ()


@responses.activate
def test_second_comparison_uses_recorded_listings_without_downloading(archive: ArchiveSourceType) -> None:
    source = {"fields": {"url": URL}}
    serve(V1)
    archive.detect_changes(source, None, digest(V1))
    serve(V2)
    archive.detect_changes(source, digest(V1), digest(V2))
    calls = len(responses.calls)
    assert archive.detect_changes(source, digest(V1), digest(V2)).files
    assert len(responses.calls) == calls


@responses.activate
def test_tarballs_compare_members_without_the_leading_dot(archive: ArchiveSourceType) -> None:
    url = "https://downloads.example.com/site.tar.gz"
    old, new = make_tar({"a.txt": b"1", "b.txt": b"2"}), make_tar({"a.txt": b"1", "b.txt": b"3"})
    source = {"fields": {"url": url}}
    serve(old, url)
    archive.detect_changes(source, None, digest(old))
    serve(new, url)
    assert archive.detect_changes(source, digest(old), digest(new)).files == ("b.txt",)


@responses.activate
def test_source_row_with_json_fields_is_understood(archive: ArchiveSourceType) -> None:
    class Row:
        name = "docs"
        fields = json.dumps({"url": URL})

    serve(V1)
    assert archive.detect_changes(Row(), None, digest(V1)).relation == "ahead"


@responses.activate
def test_http_error_is_reported_without_the_query_string(archive: ArchiveSourceType) -> None:
    url = "https://downloads.example.com/docs.zip?X-Amz-Signature=secret123"
    responses.add(responses.GET, url, status=404)
    with pytest.raises(ArchiveUnavailable) as caught:
        archive.detect_changes({"fields": {"url": url}}, None, "sha256:" + "0" * 64)
    assert "404" in caught.value.message
    assert "secret123" not in caught.value.message


@responses.activate
def test_a_file_that_is_not_an_archive_is_reported(archive: ArchiveSourceType) -> None:
    serve(b"<html>not found</html>")
    with pytest.raises(ArchiveUnavailable, match="not a readable"):
        archive.check(URL)


def test_stale_only_when_the_head_is_the_cursor(archive: ArchiveSourceType) -> None:
    assert archive.is_stale(digest(V1), digest(V1)) is True
    assert archive.is_stale(None, digest(V1)) is False
    assert archive.is_stale(digest(V1), digest(V2)) is None


def test_source_without_url_is_a_clear_error(archive: ArchiveSourceType) -> None:
    with pytest.raises(InvalidInput, match="no url"):
        archive.detect_changes({"name": "docs", "fields": {}}, None, digest(V1))


@responses.activate
def test_redirects_are_followed_only_to_https(archive: ArchiveSourceType) -> None:
    responses.add(responses.GET, URL, status=302, headers={"Location": "/v2/docs.zip"})
    responses.add(responses.GET, "https://downloads.example.com/v2/docs.zip", body=V1)
    assert archive.check(URL).digest == digest(V1)
    responses.replace(responses.GET, URL, status=302, headers={"Location": "http://10.0.0.1/internal.zip"})
    with pytest.raises(InvalidInput, match="https://"):
        archive.check(URL)
    assert not any("10.0.0.1" in call.request.url for call in responses.calls)


@responses.activate
def test_allowed_hosts_limit_what_is_fetched(archive: ArchiveSourceType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_ARCHIVE_ALLOWED_HOSTS", "*.example.com")
    responses.add(responses.GET, URL, status=302, headers={"Location": "https://evil.test/docs.zip"})
    with pytest.raises(InvalidInput, match="JOLLI_ARCHIVE_ALLOWED_HOSTS"):
        archive.check(URL)
    assert len(responses.calls) == 1
    with pytest.raises(InvalidInput, match="evil.test"):
        archive.validate_fields({"url": "https://evil.test/a.zip"})
