"""JRNs: event JRNs, parsing, and pattern matching with ``*`` and ``**``."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jolli.coordinates import RepoCoordinate
from jolli.errors import InvalidInput
from jolli.jrn import Jrn, JrnPattern, event_jrn, matches, parse_jrn

EVENT = "jrn::path:/home/acme/sources/github.com/org/backend/feature/login"


# --- event JRNs -------------------------------------------------------------------------------------
def test_event_jrn_has_the_spec_shape() -> None:
    assert event_jrn("O", "github.com/org/repo", "main") == "jrn::path:/home/O/sources/github.com/org/repo/main"


def test_branch_and_nested_owner_span_several_segments() -> None:
    jrn = event_jrn(7, RepoCoordinate("GitLab.com", "group/sub", "app"), "release/1.x")
    assert jrn == "jrn::path:/home/7/sources/gitlab.com/group/sub/app/release/1.x"
    assert parse_jrn(jrn).rest == ("gitlab.com", "group", "sub", "app", "release", "1.x")


@pytest.mark.parametrize(
    ("org", "repo", "branch", "field"),
    [("", "github.com/o/r", "main", "org"), ("a/b", "github.com/o/r", "main", "org"),
     ("acme", "github.com/o/r", "", "branch"), ("acme", "github.com/o/r", "a//b", "branch"),
     ("acme", "github.com/o/r", "feature/", "branch"), ("acme", "o/r", "main", "repo")],
)
def test_event_jrn_rejects_parts_that_would_change_its_segments(org: str, repo: str, branch: str,
                                                                field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        event_jrn(org, repo, branch)
    assert list(excinfo.value.fields) == [field]


# --- parsing ----------------------------------------------------------------------------------------
def test_parse_gives_controlling_path_org_service_and_rest() -> None:
    jrn = parse_jrn("jrn:ctl:path:/home/acme/sources/github.com/org/backend/main")
    assert jrn.controlling_path == "ctl"
    assert (jrn.org, jrn.service) == ("acme", "sources")
    assert jrn.rest == ("github.com", "org", "backend", "main")
    assert str(jrn) == "jrn:ctl:path:/home/acme/sources/github.com/org/backend/main"


def test_parse_drops_empty_pieces() -> None:
    assert parse_jrn("jrn::path://home//acme/sources/x/") == Jrn("", ("home", "acme", "sources", "x"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [("urn::path:/home/a/b", "must start with 'jrn:'"),
     ("jrn:", "':path:'"),
     ("jrn::file:/home/a/b", "':path:'"),
     ("jrn::path:home/a/b", "starting with '/'"),
     ("jrn::path:/users/a/b", "/home/<org>/<service>"),
     ("jrn::path:/home/a", "/home/<org>/<service>"),
     ("jrn::path:/home/a/b/*", "wildcards belong in patterns")],
)
def test_malformed_jrns_are_rejected_with_the_expected_form(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        parse_jrn(text)
    assert problem in excinfo.value.message
    assert repr(text) in excinfo.value.message
    assert list(excinfo.value.fields) == ["jrn"]


# --- patterns ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (EVENT, True),
        ("jrn::path:/home/acme/sources/github.com/org/backend/*", False),  # * is exactly one segment
        ("jrn::path:/home/acme/sources/github.com/org/backend/*/*", True),
        ("jrn::path:/home/acme/sources/github.com/org/backend/**", True),
        ("jrn::path:/home/acme/sources/github.com/org/backend/feature/login/**", True),  # ** matches zero
        ("jrn::path:/home/*/sources/**/login", True),
        ("jrn::path:/home/acme/**/backend/**", True),
        ("jrn::path:/home/acme/**/frontend/**", False),
        ("jrn::path:/**", True),
        ("jrn::path:/home/acme/sources/github.com/ORG/**", False),  # case-sensitive
        ("jrn::path://home//acme/sources/github.com/org/backend/feature/login/", True),  # empty pieces dropped
        ("jrn::path:/home/acme/sources/github.com/org/backend/feature/login/extra", False),
        ("jrn::path:/home/acme/**/**/login", True),
    ],
)
def test_pattern_segments(pattern: str, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    ("pattern_cp", "jrn_cp", "expected"),
    [("*", "", True), ("*", "tenant-1", True), ("", "", True), ("", "tenant-1", False),
     ("tenant-1", "tenant-1", True), ("tenant-1", "", False), ("tenant-1", "Tenant-1", False)],
)
def test_controlling_path(pattern_cp: str, jrn_cp: str, expected: bool) -> None:
    assert matches(f"jrn:{pattern_cp}:path:/home/**", f"jrn:{jrn_cp}:path:/home/a/sources") is expected


@pytest.mark.parametrize("pattern", ["jrn::path:/home/acme/sources/github.com/org/back*",
                                     "jrn::path:/home/***", "jrn::path:/home/*acme/**", "jrn:a*:path:/home/**"])
def test_partial_globs_are_errors_not_literals(pattern: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        JrnPattern.compile(pattern)
    assert "'*'" in excinfo.value.message
    assert list(excinfo.value.fields) == ["jrnPattern"]


def test_a_pattern_must_be_a_jrn() -> None:
    with pytest.raises(InvalidInput, match="must start with 'jrn:'") as excinfo:
        matches("/home/acme/**", EVENT)
    assert list(excinfo.value.fields) == ["jrnPattern"]


def test_compiled_patterns_are_cached_and_reusable() -> None:
    assert JrnPattern.compile("jrn:*:path:/home/x/**") is JrnPattern.compile("jrn:*:path:/home/x/**")
    pattern = JrnPattern.compile("jrn:*:path:/home/acme/sources/github.com/org/*/**")
    assert pattern.matches(parse_jrn(EVENT)) and matches(pattern, EVENT)


def test_one_event_against_a_thousand_patterns() -> None:
    patterns = [f"jrn::path:/home/acme/sources/github.com/org/repo{i}/**" for i in range(1000)]
    patterns.append("jrn::path:/home/acme/sources/github.com/org/backend/**")
    assert [p for p in patterns if matches(p, EVENT)] == [patterns[-1]]


# --- properties -------------------------------------------------------------------------------------
_word = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=6).filter(lambda w: w not in (".", ".."))
_segments = st.lists(_word, min_size=3, max_size=9).map(lambda s: ("home", *s))


def _jrn(segments: tuple[str, ...], cp: str = "") -> str:
    return f"jrn:{cp}:path:/" + "/".join(segments)


@given(org=_word, host=_word, owner=st.lists(_word, min_size=1, max_size=3), name=_word,
       branch=st.lists(_word, min_size=1, max_size=3))
def test_event_jrn_parses_back_to_its_parts(org: str, host: str, owner: list[str], name: str,
                                            branch: list[str]) -> None:
    jrn = parse_jrn(event_jrn(org, RepoCoordinate(host.lower(), "/".join(owner), name), "/".join(branch)))
    assert jrn.controlling_path == ""
    assert jrn.segments == ("home", org, "sources", host.lower(), *owner, name, *branch)


@given(segments=_segments, data=st.data())
def test_wildcards_in_place_of_segments_still_match(segments: tuple[str, ...], data: st.DataObject) -> None:
    jrn = _jrn(segments)
    assert matches(jrn, jrn)
    assert matches("jrn:*:path:/**", jrn)
    i = data.draw(st.integers(0, len(segments) - 1))
    assert matches(_jrn((*segments[:i], "*", *segments[i + 1:])), jrn)
    j = data.draw(st.integers(i, len(segments)))
    assert matches(_jrn((*segments[:i], "**", *segments[j:])), jrn)
    assert not matches(_jrn((*segments, "extra")), jrn)
    assert not matches(_jrn(segments[:-1]), jrn)


def _reference(pattern: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    """A slow, obviously right matcher: the pattern as a regular expression over ``/seg/seg``."""
    parts = {"*": "/[^/]+", "**": "(?:/[^/]+)*"}
    regex = "".join(parts.get(p, "/" + re.escape(p)) for p in pattern)
    return re.fullmatch(regex, "/" + "/".join(segments)) is not None


@given(pattern=st.lists(st.sampled_from(["a", "b", "*", "**"]), max_size=7),
       tail=st.lists(st.sampled_from(["a", "b"]), max_size=7))
def test_matching_agrees_with_a_regular_expression(pattern: list[str], tail: list[str]) -> None:
    segments = ("home", "o", "s", *tail)
    full_pattern = ("home", "o", "s", *pattern)
    assert matches(_jrn(full_pattern, "*"), _jrn(segments)) is _reference(full_pattern, segments)
