"""Repo coordinates: strict parsing, normalizing everything users paste, masking, derivations."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jolli.coordinates import (
    COORDINATE_RE,
    RepoCoordinate,
    describe,
    normalize,
    parse,
)
from jolli.errors import InvalidCoordinate, InvalidInput
from jolli.provider import GitProvider
from jolli.providers import bitbucket, bitbucket_datacenter, gitea, github, gitlab
from jolli.redaction import mask_credentials
from jolli.registry import Plugins

SELF_HOSTED = {
    "ghe.corp.example": "github",
    "gitlab.corp.example": "gitlab",
    "bitbucket.corp.example": "bitbucket-datacenter",
    "gitea.corp.example": "gitea",
}


def builtin_plugins() -> Plugins:
    """A plugin manager holding exactly the five built-in providers, registered through their hooks."""
    plugins = Plugins(load_entry_points=False)
    for module in (github, gitlab, bitbucket, bitbucket_datacenter, gitea):
        assert plugins.register(module, module.__name__.rsplit(".", 1)[1])
    return plugins


PLUGINS = builtin_plugins()


def norm(text: str, extra_hosts: dict[str, str] | None = SELF_HOSTED) -> str:
    return str(normalize(text, extra_hosts=extra_hosts, plugins=PLUGINS))


def rejection(text: str, extra_hosts: dict[str, str] | None = SELF_HOSTED) -> str:
    with pytest.raises(InvalidCoordinate) as caught:
        normalize(text, extra_hosts=extra_hosts, plugins=PLUGINS)
    return caught.value.message


# --- every form users paste -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # canonical, host lower-cased, surrounding whitespace
        ("github.com/Org/Repo", "github.com/Org/Repo"),
        ("GitHub.COM/Org/Repo", "github.com/Org/Repo"),
        ("  github.com/Org/Repo\n", "github.com/Org/Repo"),
        ("github.com/org/repo.git", "github.com/org/repo"),
        ("github.com/org/repo/", "github.com/org/repo"),
        # schemes
        ("https://github.com/org/repo", "github.com/org/repo"),
        ("https://github.com/org/repo.git", "github.com/org/repo"),
        ("https://github.com/org/repo.git/", "github.com/org/repo"),
        ("https://github.com/org/repo//", "github.com/org/repo"),
        ("HTTPS://GITHUB.COM/org/repo", "github.com/org/repo"),
        ("http://github.com/org/repo", "github.com/org/repo"),
        ("git://github.com/org/repo.git", "github.com/org/repo"),
        ("git+https://github.com/org/repo.git", "github.com/org/repo"),
        ("git+ssh://git@github.com/org/repo.git", "github.com/org/repo"),
        ("git+ssh://git@github.com:org/repo.git", "github.com/org/repo"),
        ("ssh://git@github.com/org/repo.git", "github.com/org/repo"),
        ("ssh://git@github.com:22/org/repo.git", "github.com/org/repo"),
        ("ssh://github.com/org/repo", "github.com/org/repo"),
        ("https://github.com:443/org/repo", "github.com/org/repo"),
        ("https://github.com/org/repo?tab=readme#install", "github.com/org/repo"),
        # scp-like
        ("git@github.com:Org/Repo.git", "github.com/Org/Repo"),
        ("git@github.com:/Org/Repo.git", "github.com/Org/Repo"),
        ("github.com:Org/Repo.git", "github.com/Org/Repo"),
        ("deploy@github.com:Org/Repo", "github.com/Org/Repo"),
        ("git@github.com:12345/Repo.git", "github.com/12345/Repo"),
        # userinfo stripped
        ("https://user@github.com/org/repo.git", "github.com/org/repo"),
        ("https://user:p%40ss@github.com/org/repo.git", "github.com/org/repo"),
        ("https://x-access-token:ghs_abc123@github.com/org/repo.git", "github.com/org/repo"),
        ("https://ghp_abc123@github.com/org/repo", "github.com/org/repo"),
        ("https://oauth2:glpat-abc@gitlab.com/group/repo.git", "gitlab.com/group/repo"),
        ("https://user:p@ss:word@github.com/org/repo", "github.com/org/repo"),
        ("user@github.com/org/repo", "github.com/org/repo"),
        # browser URLs
        ("https://github.com/org/repo/tree/main", "github.com/org/repo"),
        ("https://github.com/org/repo/tree/feature/x/docs", "github.com/org/repo"),
        ("https://github.com/org/repo/blob/main/README.md", "github.com/org/repo"),
        ("https://github.com/org/repo/commit/0123abc", "github.com/org/repo"),
        ("github.com/org/repo/pull/12/files", "github.com/org/repo"),
        ("https://gitlab.com/group/sub/repo/-/tree/main", "gitlab.com/group/sub/repo"),
        ("https://gitlab.com/group/sub/repo/-/blob/main/a/b.md", "gitlab.com/group/sub/repo"),
        ("https://bitbucket.org/team/repo/src/main/docs/", "bitbucket.org/team/repo"),
        ("https://gitea.corp.example/org/repo/src/branch/main/docs", "gitea.corp.example/org/repo"),
        # nested namespaces: GitLab only
        ("gitlab.com/group/sub/repo", "gitlab.com/group/sub/repo"),
        ("git@gitlab.com:a/b/c/d/repo.git", "gitlab.com/a/b/c/d/repo"),
        # Bitbucket Data Center
        ("https://bitbucket.corp.example/scm/proj/repo.git", "bitbucket.corp.example/PROJ/repo"),
        ("https://bitbucket.corp.example/projects/PROJ/repos/repo/browse", "bitbucket.corp.example/PROJ/repo"),
        ("https://bitbucket.corp.example/projects/PROJ/repos/repo", "bitbucket.corp.example/PROJ/repo"),
        (
            "https://bitbucket.corp.example/projects/PROJ/repos/repo/browse/src/a.py?at=refs%2Fheads%2Fmain",
            "bitbucket.corp.example/PROJ/repo",
        ),
        ("ssh://git@bitbucket.corp.example:7999/proj/repo.git", "bitbucket.corp.example/PROJ/repo"),
    ],
)
def test_normalize_accepts_what_users_paste(text: str, expected: str) -> None:
    assert norm(text) == expected


def test_result_is_a_coordinate_with_its_parts() -> None:
    coord = normalize("https://gitlab.com/group/sub/repo.git", plugins=PLUGINS)
    assert coord == RepoCoordinate("gitlab.com", "group/sub", "repo")
    assert coord.path == "group/sub/repo"


@pytest.mark.parametrize(
    "text",
    ["git.unknown.example/org/repo", "https://git.unknown.example/org/repo.git",
     "git@git.unknown.example:org/repo.git", "https://git.unknown.example/org/repo/tree/main/x",
     "https://git.unknown.example/org/repo/-/blob/main/x", "https://git.unknown.example/org/repo/src/branch/main"],
)
def test_unknown_host_gets_the_flat_shape_and_common_browser_suffixes(text: str) -> None:
    assert norm(text) == "git.unknown.example/org/repo"


def test_unknown_host_has_no_nesting_and_says_how_to_register_it() -> None:
    message = rejection("https://git.unknown.example/group/sub/repo")
    assert "git.unknown.example is not the host of a known provider" in message
    assert "--host git.unknown.example=gitlab" in message
    # the same URL is fine once the host is known to be a GitLab
    assert norm("https://git.unknown.example/group/sub/repo", {"git.unknown.example": "gitlab"}) == (
        "git.unknown.example/group/sub/repo"
    )


def test_self_hosted_host_uses_its_providers_shapes() -> None:
    assert norm("https://gitlab.corp.example/a/b/c/-/tree/main") == "gitlab.corp.example/a/b/c"
    assert norm("https://ghe.corp.example/org/repo/tree/main") == "ghe.corp.example/org/repo"
    with pytest.raises(InvalidCoordinate):  # a host nothing hints at, without the mapping: no nesting
        normalize("https://git.corp.example/a/b/c", plugins=PLUGINS)
    # a host name holding "gitlab" hints at GitLab (inferred, see tests/providers/test_url_forms.py)
    assert normalize("https://gitlab.corp.example/a/b/c", plugins=PLUGINS) == RepoCoordinate(
        "gitlab.corp.example", "a/b", "c"
    )


def test_public_hosts_cannot_be_taken_over_by_extra_hosts() -> None:
    taken = {"github.com": "gitlab"}
    assert "nested groups" in rejection("github.com/a/b/c", taken)
    assert describe(normalize("github.com/a/b", plugins=PLUGINS), extra_hosts=taken, plugins=PLUGINS)["provider"] == (
        "github"
    )


def test_default_plugin_manager_knows_the_builtin_providers() -> None:
    assert str(normalize("https://gitlab.com/group/sub/repo/-/tree/main")) == "gitlab.com/group/sub/repo"


# --- rejections -----------------------------------------------------------------------------------
def test_bare_owner_repo_asks_for_the_host() -> None:
    message = rejection("Org/Repo")
    assert "'Org/Repo'" in message
    assert "no host" in message and "github.com/Org/Repo" in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("github.com", "owner/repo"),
        ("github.com/org", "owner/repo"),
        ("https://github.com/", "owner/repo"),
        ("https:///org/repo", "no host"),
        ("ftp://github.com/org/repo", "scheme 'ftp' is not supported"),
        ("file:///home/me/repo", "scheme 'file' is not supported"),
        ("github.com/org//repo", "empty segment"),
        ("https://github.com//org/repo", "empty segment"),
        ("github.com/org/re po", "characters other than"),
        ("github.com/or$g/repo", "characters other than"),
        ("github.com/org/%72epo", "characters other than"),
        ("github.com/../repo", "'..' is not a valid owner"),
        ("github.com/org/.git", "repository name is empty"),
        ("https://github.com:http/org/repo", "port is not a number"),
        ("https://github.com:70000/org/repo", "port is out of range"),
        ("github:org/repo", "full host name"),
        ("C:\\Users\\me\\repo", "full host name"),
        ("git@bad_host.example:org/repo", "not a valid host name"),
        ("https://-bad.example/org/repo", "not a valid host name"),
        ("https://[::1]/org/repo", "not a valid host name"),
        ("github.com/org/repo/unknown-page", "'unknown-page' is not a page of a repository"),
        ("github.com/group/sub/repo", "does not have nested groups"),
        ("bitbucket.org/ws/sub/repo", "does not have nested groups"),
        ("https://gitlab.com/-/ide/project", "not a repository path on GitLab"),
        ("https://bitbucket.corp.example/plugins/servlet/x", "repositories look like /scm/PROJECT/repo.git"),
    ],
)
def test_rejections_name_the_input_and_what_is_accepted(text: str, reason: str) -> None:
    message = rejection(text)
    assert reason in message
    assert repr(text.strip()) in message
    assert "accepted: host/owner/repo" in message


def test_rejection_is_an_invalid_input_with_a_repo_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize("owner/repo", plugins=PLUGINS)
    assert caught.value.status == 400
    assert "no host" in caught.value.fields["repo"][0]


def test_non_text_is_rejected() -> None:
    with pytest.raises(InvalidCoordinate, match="must be text"):
        normalize(None, plugins=PLUGINS)  # type: ignore[arg-type]


# --- credentials never shown ----------------------------------------------------------------------
def test_credentials_holding_a_raw_slash_are_refused_not_guessed() -> None:
    message = rejection("https://alice:pa/ss@github.com/org/repo")
    assert "credentials" in message and "pa/ss" not in message and "'https://***@github.com/org/repo'" in message


def test_rejection_masks_the_password() -> None:
    message = rejection("https://alice:hunter22@github.com/org")
    assert "hunter22" not in message and "alice" not in message
    assert "'https://***@github.com/org'" in message


secrets = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters="\n\r\t\x0b\x0c "), min_size=1, max_size=24
).map(lambda s: "Zq9" + s + "Zq9")


@settings(deadline=None)
@given(secret=secrets, path=st.sampled_from(["/org/repo.git", "/org", "", "/org/re po", "/a/b/c"]))
def test_a_password_never_shows_up_in_results_or_errors(secret: str, path: str) -> None:
    for text in (f"https://alice:{secret}@github.com{path}", f"https://{secret}@github.com{path}",
                 f"ssh://git:{secret}@github.com{path}"):
        assert secret not in mask_credentials(text)
        try:
            coord = normalize(text, plugins=PLUGINS)
        except InvalidCoordinate as exc:
            assert secret not in exc.message
            assert secret not in json.dumps(exc.fields)
        else:
            assert secret not in str(coord)


# --- strict parse ---------------------------------------------------------------------------------
def test_parse_accepts_the_canonical_form_only() -> None:
    assert parse("GitHub.com/Org/Repo") == RepoCoordinate("github.com", "Org", "Repo")
    for text in ("https://github.com/org/repo", "git@github.com:org/repo.git", "org/repo",
                 "github.com/org/repo\n", "github.com/org/repo.git", "github.com/../repo", "-x/org/repo"):
        with pytest.raises(InvalidCoordinate, match="expected host/owner/repo"):
            parse(text, plugins=PLUGINS)


def test_parse_allows_nested_owners_only_where_the_provider_nests() -> None:
    assert parse("gitlab.com/group/sub/repo", plugins=PLUGINS) == RepoCoordinate("gitlab.com", "group/sub", "repo")
    assert parse("git.corp.example/a/b/c", extra_hosts={"git.corp.example": "gitlab"}, plugins=PLUGINS).owner == "a/b"
    for text in ("github.com/a/b/c", "git.corp.example/a/b/c"):
        with pytest.raises(InvalidCoordinate, match="no nested groups"):
            parse(text, plugins=PLUGINS)


def test_parse_masks_credentials_in_its_error() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        parse("https://bob:hunter22@github.com/o/r", plugins=PLUGINS)
    assert "hunter22" not in caught.value.message


# --- describe -------------------------------------------------------------------------------------
def test_describe_known_provider() -> None:
    info = describe(RepoCoordinate("github.com", "Org", "Repo"), plugins=PLUGINS)
    assert info == {
        "repo": "github.com/Org/Repo",
        "host": "github.com",
        "owner": "Org",
        "name": "Repo",
        "provider": "github",
        "httpsCloneUrl": "https://github.com/Org/Repo.git",
        "sshCloneUrl": "git@github.com:Org/Repo.git",
        "webUrl": "https://github.com/Org/Repo",
        "apiBaseUrl": "https://api.github.com",
    }


def test_describe_unknown_host_uses_the_seed_derivations() -> None:
    info = describe(RepoCoordinate("git.internal.co", "team", "service"), plugins=PLUGINS)
    assert info["provider"] == "unknown"
    assert info["httpsCloneUrl"] == "https://git.internal.co/team/service.git"
    assert info["sshCloneUrl"] == "git@git.internal.co:team/service.git"
    assert info["webUrl"] == "https://git.internal.co/team/service"
    assert "apiBaseUrl" not in info


def test_describe_self_hosted_and_branch_commit_file() -> None:
    coord = RepoCoordinate("gitlab.corp.example", "g/s", "r")
    info = describe(coord, extra_hosts=SELF_HOSTED, plugins=PLUGINS, branch="main", commit="a" * 40, path="doc/x.md")
    assert info["provider"] == "gitlab"
    assert info["apiBaseUrl"] == "https://gitlab.corp.example/api/v4"
    assert info["branchUrl"] == "https://gitlab.corp.example/g/s/r/-/tree/main"
    assert info["commitUrl"] == "https://gitlab.corp.example/g/s/r/-/commit/" + "a" * 40
    assert info["fileUrl"] == "https://gitlab.corp.example/g/s/r/-/blob/" + "a" * 40 + "/doc/x.md"


def test_describe_leaves_out_what_a_third_party_provider_does_not_know() -> None:
    class Minimal(GitProvider):
        name = "minimal"
        hosts = ("code.minimal.example",)

        def split_path(self, segments):  # type: ignore[no-untyped-def]
            return (segments[0], segments[1]) if len(segments) >= 2 else None

    plugins = Plugins(load_entry_points=False)

    class Plugin:
        @staticmethod
        def jolli_register_providers(registry):  # type: ignore[no-untyped-def]
            registry.add(Minimal())

    from jolli import hookimpl

    Plugin.jolli_register_providers = hookimpl(Plugin.jolli_register_providers)
    assert plugins.register(Plugin, "minimal")
    coord = normalize("https://code.minimal.example/o/r.git", plugins=plugins)
    info = describe(coord, plugins=plugins, branch="main")
    assert info["provider"] == "minimal"
    assert info["webUrl"] == "https://code.minimal.example/o/r"
    assert "branchUrl" not in info and "apiBaseUrl" not in info


# --- properties -----------------------------------------------------------------------------------
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_name = st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True).filter(
    lambda s: s not in (".", "..", "-") and not s.endswith(".git")
)
_branch = st.from_regex(r"[A-Za-z0-9._-]{1,8}(/[A-Za-z0-9._#?%@+ -]{1,8}){0,2}", fullmatch=True)
_sha = st.from_regex(r"[0-9a-f]{40}", fullmatch=True)
_file = st.from_regex(r"[A-Za-z0-9._ -]{1,8}(/[A-Za-z0-9._?#-]{1,8}){0,2}", fullmatch=True)

HOST_OF = {
    "github": st.sampled_from(["github.com", "ghe.corp.example"]),
    "gitlab": st.sampled_from(["gitlab.com", "gitlab.corp.example"]),
    "bitbucket": st.just("bitbucket.org"),
    "bitbucket-datacenter": st.just("bitbucket.corp.example"),
    "gitea": st.just("gitea.corp.example"),
}
OWNER_OF = {
    "github": _name,
    "gitlab": st.lists(_name.filter(lambda s: s not in gitlab.LEGACY_PAGES), min_size=1, max_size=4).map("/".join),
    "bitbucket": _name,
    "bitbucket-datacenter": st.one_of(
        st.from_regex(r"[A-Z][A-Z0-9_]{0,9}", fullmatch=True), st.from_regex(r"_[a-z][a-z0-9]{0,7}", fullmatch=True)
    ),
    "gitea": _name,
}


@st.composite
def provider_coordinates(draw: st.DrawFn) -> tuple[GitProvider, RepoCoordinate]:
    name = draw(st.sampled_from(sorted(HOST_OF)))
    coord = RepoCoordinate(draw(HOST_OF[name]), draw(OWNER_OF[name]), draw(_name))
    return PLUGINS.provider(name), coord


@settings(deadline=None, max_examples=300)
@given(pc=provider_coordinates(), branch=_branch, sha=_sha, path=_file)
def test_every_derivation_normalizes_back_to_its_coordinate(
    pc: tuple[GitProvider, RepoCoordinate], branch: str, sha: str, path: str
) -> None:
    provider, coord = pc
    derived = [
        str(coord),
        provider.https_clone_url(coord),
        provider.ssh_clone_url(coord),
        provider.web_url(coord),
        provider.branch_url(coord, branch),
        provider.commit_url(coord, sha),
        provider.file_url(coord, branch, path),
        provider.file_url(coord, sha, path),
    ]
    for text in derived:
        assert normalize(text, extra_hosts=SELF_HOSTED, plugins=PLUGINS) == coord, text
    assert parse(str(coord), extra_hosts=SELF_HOSTED, plugins=PLUGINS) == coord


@settings(deadline=None)
@given(host=st.lists(_label, min_size=2, max_size=4).map(".".join), owner=_name, name=_name)
def test_unknown_host_coordinates_round_trip(host: str, owner: str, name: str) -> None:
    coord = RepoCoordinate(host, owner, name)
    info = describe(coord, plugins=PLUGINS)
    for text in (str(coord), info["httpsCloneUrl"], info["sshCloneUrl"], info["webUrl"]):
        assert normalize(text, plugins=PLUGINS) == coord
    assert COORDINATE_RE.match(str(coord))


@settings(deadline=None)
@given(text=st.text(max_size=60))
def test_normalize_either_returns_a_canonical_coordinate_or_rejects(text: str) -> None:
    try:
        coord = normalize(text, extra_hosts=SELF_HOSTED, plugins=PLUGINS)
    except InvalidCoordinate as exc:
        assert exc.message
    else:
        assert normalize(str(coord), extra_hosts=SELF_HOSTED, plugins=PLUGINS) == coord
        assert coord.host == coord.host.lower()
        assert not coord.name.endswith(".git")


@settings(deadline=None)
@given(pc=provider_coordinates(), form=st.sampled_from(["https", "ssh", "web", "plain"]),
       user=st.sampled_from(["", "git@", "bob:pw@"]))
def test_the_quick_and_the_general_path_agree(
    pc: tuple[GitProvider, RepoCoordinate], form: str, user: str
) -> None:
    """Common shapes take a fast path; an upper-case scheme or a query sends them the general way."""
    provider, coord = pc
    text = {"https": provider.https_clone_url, "ssh": provider.ssh_clone_url, "web": provider.web_url,
            "plain": str}[form](coord)
    if user and text.startswith("https://"):
        text = "https://" + user + text[len("https://"):]
    quick = normalize(text, extra_hosts=SELF_HOSTED, plugins=PLUGINS)
    for variant in (text + "?ref=x", text + "#readme", "HTTPS" + text[5:] if text.startswith("https") else text):
        assert normalize(variant, extra_hosts=SELF_HOSTED, plugins=PLUGINS) == quick == coord


def test_loading_the_providers_imports_no_web_or_database_library() -> None:
    code = (
        "import sys; from jolli.coordinates import normalize, describe; "
        "c = normalize('git@gitlab.com:g/s/r.git'); describe(c); "
        "print(c, sorted(m for m in ('flask', 'peewee', 'requests') if m in sys.modules))"
    )
    env = {**os.environ, "JOLLI_LOAD_PLUGINS": "github,gitlab,bitbucket,bitbucket_datacenter,gitea"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "gitlab.com/g/s/r []"
