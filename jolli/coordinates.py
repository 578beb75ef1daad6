"""Repo coordinates: the canonical ``host/owner/repo`` form and everything users paste that maps to it.

``parse`` is strict (the seed's regex, or a provider's nested namespace); ``normalize`` accepts URLs,
scp-like addresses and browser links and returns the canonical coordinate, or raises
:class:`jolli.errors.InvalidCoordinate` naming the input (credentials masked) and what is accepted.
Which path shapes a host has (nested groups, ``/scm/...``, ``/-/tree/...``) is the business of the
provider that owns the host (:meth:`jolli.provider.GitProvider.split_path`); unknown hosts get the flat
``owner/repo`` shape plus the browser suffixes every forge shares.

Every function takes the providers it knows from ``plugins=`` (a :class:`jolli.registry.Plugins`), else
from the process-wide manager; the value itself, :class:`RepoCoordinate`, lives in the leaf
:mod:`jolli.repo_coordinate` (re-exported here, the path plugins use).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn

from jolli.errors import InvalidCoordinate
from jolli.provider import GitProvider
from jolli.redaction import mask_credentials, userinfo_span
from jolli.registries import ProviderRegistry
from jolli.registry import Plugins, get_plugins
from jolli.repo_coordinate import COORDINATE_RE, RepoCoordinate

__all__ = ["ACCEPTED", "COORDINATE_RE", "GENERIC_SUFFIXES", "STRICT", "RepoCoordinate", "Resolved", "describe",
           "is_valid_host", "normalize", "parse", "resolve"]

#: What ``normalize`` accepts, quoted in every rejection.
ACCEPTED = (
    "accepted: host/owner/repo (github.com/org/backend), https://host/owner/repo(.git), "
    "ssh://git@host(:port)/owner/repo.git, git@host:owner/repo.git, or a browser URL of the repository"
)
STRICT = "expected host/owner/repo (letters, digits, '.', '-' and '_'), e.g. github.com/org/backend"

_SCHEMES = frozenset({"https", "http", "git", "ssh", "git+https", "git+http", "git+ssh", "ssh+git"})
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})
_SCHEME_RE = re.compile(r"[a-z][a-z0-9+.-]*")
_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")
#: The shapes most inputs have, each matched in one go: ``host/path``, ``user@host:path`` and
#: ``scheme://[user@]host[:port]/path`` (host in group 1, the port in group 2 of the URL form, then a path
#: of at least two plain segments; one ``/`` may follow). The rest (queries, odd schemes, credentials
#: holding ``/``, empty segments...) takes :func:`_split_address`, which gives the same answer, slower.
_PLAIN_RE = re.compile(r"([A-Za-z0-9.-]+)/([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)+)/?")
_URL_RE = re.compile(
    r"(?:https|http|ssh|git|git\+https|git\+ssh)://(?:[^/@\s?#]+@)?([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?/"
    r"([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)+)/?"
)
_SCP_RE = re.compile(r"[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):([A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)+)/?")
#: ``owner(/sub...)/name``: valid segments, none of them ``.`` or ``..``.
_PATH_RE = re.compile(r"(?!\.\.?(?:/|$))[A-Za-z0-9._-]+(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._-]+)*")
#: One owner or repository name: a valid segment other than ``.`` and ``..``.
_NAME_RE = re.compile(r"(?!\.\.?$)[A-Za-z0-9._-]+")
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_DOTS = frozenset({".", ".."})
#: Host names already checked (a process sees few); cleared when it grows past 4096.
_VALID_HOSTS: set[str] = set()
#: Browser suffixes after ``owner/repo`` that every common forge uses; enough for hosts without a provider.
GENERIC_SUFFIXES = frozenset(
    {
        "-", "tree", "blob", "blame", "raw", "src", "commit", "commits", "branch", "branches", "tags",
        "releases", "issues", "pull", "pulls", "pull-requests", "merge_requests", "compare", "wiki",
        "wikis", "activity", "actions", "settings",
    }
)  # fmt: skip


# --- strict -----------------------------------------------------------------------------------------
def parse(
    text: str, *, extra_hosts: Mapping[str, str] | None = None, plugins: Plugins | None = None
) -> RepoCoordinate:
    """The coordinate written exactly as ``host/owner/repo`` (host lower-cased), else InvalidCoordinate.

    More than one owner segment (``gitlab.com/group/sub/repo``) is accepted only when the provider of the
    host declares nested namespaces; ``extra_hosts`` (host -> provider name) names self-hosted ones.
    """
    if not isinstance(text, str):
        raise InvalidCoordinate(f"a repo coordinate must be text, not {type(text).__name__}; {STRICT}",
                                fields={"repo": ["must be a string"]})
    if COORDINATE_RE.fullmatch(text):
        host, owner, name = text.split("/")
        owner_parts = [owner]
    else:
        parts = text.split("/")
        if len(parts) < 4 or not all(_SEGMENT_RE.fullmatch(p) for p in parts[1:]):
            _reject_strict(text, "it is not of the form host/owner/repo")
        host, owner_parts, name = parts[0], parts[1:-1], parts[-1]
        provider = _provider_for(host.lower(), extra_hosts, _providers(plugins))
        if provider is None or not provider.nested_namespaces:
            _reject_strict(text, f"only one owner segment is allowed on {host.lower()} (no nested groups)")
        owner = "/".join(owner_parts)
    host = host.lower()
    if not _HOST_RE.fullmatch(host):
        _reject_strict(text, "the host is not a valid host name")
    for part in (*owner_parts, name):
        if part in (".", ".."):
            _reject_strict(text, "'.' and '..' are not names")
    if name.endswith(".git"):
        _reject_strict(text, f"drop the .git suffix ({host}/{owner}/{name[:-4]})")
    return RepoCoordinate(host, owner, name)


def _reject_strict(text: str, reason: str) -> NoReturn:
    raise InvalidCoordinate(
        f"{mask_credentials(text)!r} is not a repo coordinate: {reason}; {STRICT}", fields={"repo": [reason]}
    )


# --- everything users paste -------------------------------------------------------------------------
class Resolved(NamedTuple):
    """A normalized coordinate and the provider whose shapes gave it.

    ``inferred`` is true when no provider owns the host and the URL's shape (or the host name) chose
    ``provider``: the coordinate is right, but that provider is never trusted for webhooks or API calls.
    """

    coord: RepoCoordinate
    provider: GitProvider | None
    inferred: bool


def normalize(
    text: str, *, extra_hosts: Mapping[str, str] | None = None, plugins: Plugins | None = None
) -> RepoCoordinate:
    """The canonical coordinate of a pasted coordinate, clone URL, scp-like address or browser link.

    Credentials, ports, ``.git``, trailing slashes, queries and browser suffixes are dropped; the host's
    provider (a public host, or ``extra_hosts``: self-hosted host -> provider name) decides the path shapes.
    A host no provider owns gets the provider its URL's shape implies (see :func:`resolve`).
    """
    return resolve(text, extra_hosts=extra_hosts, plugins=plugins).coord


def resolve(
    text: str, *, extra_hosts: Mapping[str, str] | None = None, plugins: Plugins | None = None
) -> Resolved:
    """:func:`normalize`, also saying which provider shaped the coordinate and whether it was inferred."""
    if not isinstance(text, str):
        raise InvalidCoordinate(f"a repo coordinate must be text, not {type(text).__name__}; {ACCEPTED}",
                                fields={"repo": ["must be a string"]})
    raw = text.strip()
    if "://" in raw:
        common = _URL_RE.fullmatch(raw)
        if common is not None and common[2] is not None and not 0 < int(common[2]) < 65536:
            common = None  # a port out of range: the long way explains it
        path = 3
    else:
        common = (_SCP_RE if "@" in raw else _PLAIN_RE).fullmatch(raw)
        path = 2
    if common is not None:  # the usual shapes, fast
        host = common[1].lower()
        segments: Sequence[str] = common[path].split("/")
    else:
        host, segments = _split_address(raw)
    if host not in _VALID_HOSTS and not _remember_valid_host(host):
        _reject(raw, "the host is not a valid host name")
    if not segments:
        _reject(raw, "expected owner/repo after the host")
    # The host's provider decides the path shapes; an alias is folded into its host; other hosts get the
    # provider their shape implies (inferred), else the generic shapes.
    registry = (plugins if plugins is not None else get_plugins()).providers  # inline: the hot path
    provider = registry.for_host(host)
    if provider is None and extra_hosts:
        provider = _extra_provider(registry, host, extra_hosts)
    inferred = False
    if provider is None:
        provider, host, segments, inferred = _unowned(registry, host, segments)
    try:
        split = provider.split_host_path(host, segments) if provider is not None else _generic_split(segments)
    except ValueError as exc:  # a provider saying why a path of its own cannot be a coordinate
        _reject(raw, str(exc) + (_register_hint(host, provider) if inferred and provider is not None else ""))
    if split is None:
        _explain_shape(raw, host, segments, provider, inferred)
    owner, name = split
    if name.endswith(".git"):
        name = name[:-4]
    # Fast-path segments hold valid characters only: an owner or name that is one of them needs only the
    # '.'/'..' test; whatever a provider built (nested owners, project keys) gets the full check.
    trusted = segments if common is not None else ()
    name_ok = name not in _DOTS if name in trusted else _NAME_RE.fullmatch(name) is not None
    owner_ok = owner not in _DOTS if owner in trusted else _NAME_RE.fullmatch(owner) is not None or (
        "/" in owner and provider is not None and provider.nested_namespaces and _PATH_RE.fullmatch(owner) is not None
    )
    if not (name_ok and owner_ok):
        _explain_parts(raw, host, owner, name, provider)
    return Resolved(RepoCoordinate(host, owner, name), provider, inferred)


def _unowned(
    registry: ProviderRegistry, host: str, segments: Sequence[str]
) -> tuple[GitProvider | None, str, Sequence[str], bool]:
    """A host no provider owns: ``(provider, host, segments, inferred)``.

    Another name of a public host (``ssh.github.com``, ``org.visualstudio.com``) is folded into it; else
    the self-hosted provider whose shapes the path has (or whose name the host name holds) is inferred.
    """
    shapes, hosts = _guesses(registry)
    known = hosts.get(host)
    if known is None:
        if len(hosts) >= 4096:
            hosts.clear()
        folder = next((p for p in registry if p.fold_host(host, ()) is not None), None)
        hinted = next((p for p in registry if p.self_hosted and any(w in host for w in p.host_hints)), None)
        known = hosts[host] = (folder, hinted)
    folder, hinted = known
    if folder is not None:
        folded = folder.fold_host(host, segments)
        if folded is not None:
            return folder, folded[0], folded[1], False
    for candidate in shapes:
        if candidate.has_own_shape(segments):
            return candidate, host, segments, True
    return hinted, host, segments, hinted is not None


#: Per provider registry: the self-hosted providers that recognise their own path shapes, and per host
#: the provider that folds it (an alias) and the one its name hints at. Built on first use.
_GUESSES: dict[int, tuple[ProviderRegistry, tuple[GitProvider, ...], dict[str, tuple[Any, Any]]]] = {}


def _guesses(registry: ProviderRegistry) -> tuple[tuple[GitProvider, ...], dict[str, tuple[Any, Any]]]:
    entry = _GUESSES.get(id(registry))
    if entry is None or entry[0] is not registry:
        shapes = tuple(p for p in registry if p.self_hosted and type(p).has_own_shape is not GitProvider.has_own_shape)
        entry = _GUESSES[id(registry)] = (registry, shapes, {})
    return entry[1], entry[2]


def _register_hint(host: str, provider: GitProvider) -> str:
    title = provider.title or provider.name
    return (f"; it looks like a {title} URL: if {host} is one, register it "
            f"(jolli repo parse --host {host}={provider.name})")


def _split_address(raw: str) -> tuple[str, list[str]]:
    """``(host, path segments)`` of a URL, scp-like address or plain path, without userinfo, port or query."""
    if not raw:
        _reject(raw, "it is empty")
    text = raw
    span = userinfo_span(raw)
    has_user = span is not None
    if span is not None:
        start, at, clean = span
        if not clean:
            _reject(raw, "the credentials in it hold a raw '/' or '@'; leave them out (or percent-encode them)")
        if at == start and "://" not in raw:
            _reject(raw, "the user name before '@' is empty (git@github.com:owner/repo.git)")
        text = raw[:start] + raw[at + 1 :]
    sep = text.find("://")
    scheme = None
    rest = text
    if sep != -1:
        scheme = text[:sep].lower()
        if scheme not in _SCHEMES:
            shown = repr(scheme) if _SCHEME_RE.fullmatch(scheme) else "of this URL"
            _reject(raw, f"the scheme {shown} is not supported (use https, http, ssh, git, git+https or git+ssh)")
        rest = text[sep + 3 :]
    slash = rest.find("/")
    authority, path = (rest, "") if slash == -1 else (rest[:slash], rest[slash + 1 :])
    authority = _cut_query(authority)
    if authority.startswith("["):
        _reject(raw, "the host is not a valid host name (an IPv6 address cannot start a coordinate)")
    colon = authority.find(":")
    if colon != -1:
        host, after = authority[:colon], authority[colon + 1 :]
        if scheme is None and not has_user and host.lower() in _SCHEMES and "." in after:
            host = after  # the short form git:host/owner/repo.git
        elif scheme is None:  # scp-like: host:path (git's own rule: what follows ':' is the path)
            if not has_user and "." not in host:
                _reject(raw, "give the full host name (git@github.com:owner/repo.git)")
            path = after + ("/" + path if slash != -1 else "")
        elif after.isdecimal() and after.isascii():
            if not 0 < int(after) < 65536:
                _reject(raw, "the port is out of range")
        elif after and scheme in _SSH_SCHEMES:  # ssh://git@host:owner/repo, as some tools write it
            path = after + ("/" + path if slash != -1 else "")
        elif after:
            _reject(raw, "the port is not a number")
    else:
        host = authority
    if not host:
        _reject(raw, "there is no host")
    path = _cut_query(path).strip("/") if scheme is None else _cut_query(path).rstrip("/")
    if scheme is None and not has_user and colon == -1 and "." not in host and path and "/" not in path:
        _reject(raw, f"it has no host; add it, e.g. github.com/{_cut_query(raw).strip('/')}")
    segments = path.split("/") if path else []
    if "" in segments:
        _reject(raw, "the path has an empty segment ('//')")
    return host.lower(), segments


def _cut_query(text: str) -> str:
    for mark in ("?", "#"):
        cut = text.find(mark)
        if cut != -1:
            text = text[:cut]
    return text


def _remember_valid_host(host: str) -> bool:
    """Check a host name, remembering the valid ones (see :data:`_VALID_HOSTS`)."""
    if _HOST_RE.fullmatch(host) is None:
        return False
    if len(_VALID_HOSTS) >= 4096:
        _VALID_HOSTS.clear()
    _VALID_HOSTS.add(host)
    return True


def _explain_shape(
    raw: str, host: str, segments: Sequence[str], provider: GitProvider | None, inferred: bool = False
) -> NoReturn:
    """Reject a path that is no repository path of the host's provider (or of the generic shapes)."""
    if len(segments) < 2:
        _reject(raw, "expected owner/repo after the host")
    if provider is not None and inferred:
        _reject(raw, f"it is not a repository path of {provider.title or provider.name}"
                     + _register_hint(host, provider))
    if provider is None:
        _reject(
            raw,
            f"{host} is not the host of a known provider, so only owner/repo and its browser links are "
            f"understood there; if it is self-hosted (GitLab with subgroups, Bitbucket Data Center...), "
            f"register the host with its provider (jolli repo parse --host {host}=gitlab)",
        )
    title = provider.title or provider.name
    if not provider.nested_namespaces and len(segments) > 2:
        _reject(
            raw,
            f"{title} ({host}) does not have nested groups, and {segments[2]!r} is not a page of a "
            "repository there: expected host/owner/repo, or a browser URL of the repository",
        )
    _reject(raw, f"it is not a repository path on {title} ({host})")


def _explain_parts(raw: str, host: str, owner: str, name: str, provider: GitProvider | None) -> NoReturn:
    """Reject an owner or repository name that a coordinate cannot hold, saying which and why."""
    owner_parts = owner.split("/")
    if len(owner_parts) > 1 and (provider is None or not provider.nested_namespaces):
        _reject(raw, f"{host} does not have nested groups: expected host/owner/repo")
    for label, part in [*(("owner", p) for p in owner_parts), ("repository name", name)]:
        if not part:
            _reject(raw, f"the {label} is empty")
        if not _SEGMENT_RE.fullmatch(part):
            _reject(raw, f"the {label} has characters other than letters, digits, '.', '-' and '_'")
        if part in (".", ".."):
            _reject(raw, f"'{part}' is not a valid {label}")
    _reject(raw, "the owner or repository name is not valid")  # pragma: no cover - one check above fails


def _generic_split(segments: Sequence[str]) -> tuple[str, str] | None:
    """Hosts without a provider: ``owner/repo``, optionally followed by a common browser suffix."""
    if len(segments) == 2 or (len(segments) > 2 and segments[2] in GENERIC_SUFFIXES):
        return segments[0], segments[1]
    return None


def _reject(raw: str, reason: str) -> NoReturn:
    raise InvalidCoordinate(
        f"{mask_credentials(raw)!r} is not a repository address: {reason}; {ACCEPTED}", fields={"repo": [reason]}
    )


def _providers(plugins: Plugins | None) -> ProviderRegistry:
    """The providers of ``plugins``; without one, of the process-wide manager (:func:`jolli.registry.get_plugins`)."""
    return (plugins if plugins is not None else get_plugins()).providers


def _provider_for(host: str, extra_hosts: Mapping[str, str] | None, registry: ProviderRegistry) -> GitProvider | None:
    """The provider owning ``host`` (lower-case): a public host, else ``extra_hosts``, else ``None``."""
    found = registry.for_host(host)
    if found is None and extra_hosts:
        found = _extra_provider(registry, host, extra_hosts)
    return found


def _extra_provider(registry: ProviderRegistry, host: str, extra_hosts: Mapping[str, str]) -> GitProvider | None:
    """The self-hosted provider ``extra_hosts`` names for ``host``, if it is installed."""
    name = extra_hosts.get(host)
    return registry.get(name) if name is not None and name in registry else None


def is_valid_host(host: str) -> bool:
    """Whether ``host`` (lower-case, no port) is a host name a coordinate may start with."""
    return _HOST_RE.fullmatch(host) is not None


# --- derivations ------------------------------------------------------------------------------------
def describe(
    coord: RepoCoordinate,
    *,
    extra_hosts: Mapping[str, str] | None = None,
    plugins: Plugins | None = None,
    branch: str | None = None,
    commit: str | None = None,
    path: str | None = None,
    inferred: GitProvider | None = None,
) -> dict[str, Any]:
    """The coordinate, its provider (``"unknown"`` when none owns the host) and the URLs derived from it.

    With a provider: its clone, web and API URLs, and the branch, commit and file (``path`` at ``commit``,
    else ``branch``) web URLs when asked for. Without: the seed's provider-neutral clone and web URLs.
    A host no provider owns takes ``inferred`` (what :func:`resolve` inferred from the URL's shape), else the
    provider its name hints at; the answer then says ``"inferred": true`` and has no API URL.
    """
    registry = _providers(plugins)
    provider = _provider_for(coord.host, extra_hosts, registry)
    guessed = False
    if provider is None:
        if inferred is None:
            found, _, _, guessed_here = _unowned(registry, coord.host, [*coord.owner.split("/"), coord.name])
            inferred = found if guessed_here else None
        provider, guessed = inferred, inferred is not None
    info: dict[str, Any] = {
        "repo": str(coord),
        "host": coord.host,
        "owner": coord.owner,
        "name": coord.name,
        "provider": provider.name if provider is not None else "unknown",
    }
    if provider is None:
        info["httpsCloneUrl"] = f"https://{coord.host}/{coord.owner}/{coord.name}.git"
        info["sshCloneUrl"] = f"git@{coord.host}:{coord.owner}/{coord.name}.git"
        info["webUrl"] = f"https://{coord.host}/{coord.owner}/{coord.name}"
        return info
    if guessed:
        info["inferred"] = True
    info["httpsCloneUrl"] = provider.https_clone_url(coord)
    info["sshCloneUrl"] = provider.ssh_clone_url(coord)
    info["webUrl"] = provider.web_url(coord)
    if not guessed:  # an inferred provider is never trusted for API calls
        _derive(info, "apiBaseUrl", provider.default_api_base_url, coord.host)
    if branch:
        _derive(info, "branchUrl", provider.branch_url, coord, branch)
    if commit:
        _derive(info, "commitUrl", provider.commit_url, coord, commit)
    ref = commit or branch
    if path and ref:
        _derive(info, "fileUrl", provider.file_url, coord, ref, path)
    return info


def _derive(info: dict[str, Any], key: str, derivation: Callable[..., str], *args: Any) -> None:
    """Add one derived URL; a third-party provider that does not know the shape leaves it out."""
    with contextlib.suppress(NotImplementedError):
        info[key] = derivation(*args)
