"""JRNs: the event JRN of a push, parsing, and pattern matching with ``*`` and ``**``.

Form: ``jrn:<controllingPath>:path:/home/<org>/<service>/<...>`` (the controlling path may be empty).
A push to branch ``B`` of ``host/owner/repo`` in org ``O`` is ``jrn::path:/home/O/sources/host/owner/repo/B``.

Patterns split the path on ``/`` and drop empty pieces; ``*`` is exactly one segment, ``**`` zero or more.
A segment mixing ``*`` with text (``ab*``, ``***``) is an error, not a literal: no JRN segment can hold
``*`` (branch names and coordinates forbid it), so such a pattern could only be a mistake. Matching is
case-sensitive. A pattern's controlling path ``*`` matches any; otherwise it must be equal (empty matches
empty only). Compiled patterns and parsed JRNs are cached; see ``docs/jrn.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jolli.errors import InvalidInput
from jolli.matching import split_repo

PREFIX = "jrn:"
FORM = "jrn:<controllingPath>:path:/home/<org>/<service>/..."


@dataclass(frozen=True)
class Jrn:
    """A parsed JRN: its controlling path and its path segments (``("home", org, service, ...)``)."""

    controlling_path: str
    segments: tuple[str, ...]

    @property
    def org(self) -> str:
        return self.segments[1]

    @property
    def service(self) -> str:
        return self.segments[2]

    @property
    def rest(self) -> tuple[str, ...]:
        """The segments after ``/home/<org>/<service>``."""
        return self.segments[3:]

    def __str__(self) -> str:
        return f"{PREFIX}{self.controlling_path}:path:/" + "/".join(self.segments)


def event_jrn(org: str | int, repo: Any, branch: str) -> str:
    """The JRN of a push to ``branch`` of ``repo`` (a ``RepoCoordinate`` or canonical string) in ``org``."""
    org = str(org)
    if not org or "/" in org or ":" in org:
        raise InvalidInput(f"org {org!r} cannot be part of a JRN: it must be non-empty, without '/' or ':'",
                           fields={"org": ["must be non-empty, without '/' or ':'"]})
    host, owner, name = split_repo(repo)
    if not branch or any(not part or "*" in part for part in branch.split("/")):
        raise InvalidInput(
            f"branch {branch!r} cannot be part of a JRN: it needs non-empty '/'-separated parts without '*'",
            fields={"branch": ["must be a branch name such as main or feature/x"]},
        )
    return f"jrn::path:/home/{org}/sources/{host.lower()}/{owner}/{name}/{branch}"


def _split(text: str, field: str, what: str) -> tuple[str, tuple[str, ...]]:
    """``(controlling path, segments)`` of ``jrn:<cp>:path:/...``, or a clear error."""
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(f"{what} {text!r} {problem}; expected {FORM}", fields={field: [problem]})

    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise bad("must start with 'jrn:'")
    controlling, sep, tail = text[len(PREFIX):].partition(":")
    if not sep or not tail.startswith("path:"):
        raise bad("must have ':path:' after the controlling path")
    path = tail[len("path:"):]
    if not path.startswith("/"):
        raise bad("must have a path starting with '/' after ':path:'")
    return controlling, tuple(piece for piece in path.split("/") if piece)


@lru_cache(maxsize=4096)
def parse_jrn(text: str) -> Jrn:
    """Parse a concrete JRN (no wildcards); it must hold at least ``/home/<org>/<service>``."""
    controlling, segments = _split(text, "jrn", "JRN")
    if len(segments) < 3 or segments[0] != "home":
        raise InvalidInput(
            f"JRN {text!r} must have a path /home/<org>/<service>/...; expected {FORM}",
            fields={"jrn": ["path must start with /home/<org>/<service>"]},
        )
    if "*" in controlling or any("*" in s for s in segments):
        raise InvalidInput(
            f"JRN {text!r} holds '*': wildcards belong in patterns, not in a JRN",
            fields={"jrn": ["must not contain '*'"]},
        )
    return Jrn(controlling, segments)


@dataclass(frozen=True)
class JrnPattern:
    """A compiled JRN pattern: literal segments, ``*`` (one segment) and ``**`` (any number)."""

    text: str
    controlling_path: str
    head: tuple[str, ...]  # before the first ``**`` (the whole pattern when there is none)
    middles: tuple[tuple[str, ...], ...]  # between ``**``s
    tail: tuple[str, ...] | None  # after the last ``**``; None when the pattern has no ``**``

    @staticmethod
    def compile(pattern: str) -> JrnPattern:
        """Compile (cached) or raise ``InvalidInput`` on ``jrnPattern`` naming the bad part."""
        return _compile(pattern)

    def matches(self, jrn: str | Jrn) -> bool:
        """Whether ``jrn`` (text or parsed) matches this pattern."""
        parsed = parse_jrn(jrn) if isinstance(jrn, str) else jrn
        if self.controlling_path != "*" and self.controlling_path != parsed.controlling_path:
            return False
        segs = parsed.segments
        n = len(segs)
        if self.tail is None:
            return n == len(self.head) and _chunk_at(self.head, segs, 0)
        end = n - len(self.tail)
        if end < len(self.head) or not _chunk_at(self.head, segs, 0) or not _chunk_at(self.tail, segs, end):
            return False
        pos = len(self.head)
        for chunk in self.middles:  # leftmost placement is optimal: ``**`` absorbs what lies between
            size = len(chunk)
            while pos + size <= end and not _chunk_at(chunk, segs, pos):
                pos += 1
            if pos + size > end:
                return False
            pos += size
        return True


def _chunk_at(chunk: tuple[str, ...], segs: tuple[str, ...], start: int) -> bool:
    return all(piece == "*" or piece == segs[start + i] for i, piece in enumerate(chunk))


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> JrnPattern:
    controlling, segments = _split(pattern, "jrnPattern", "JRN pattern")
    if "*" in controlling and controlling != "*":
        raise InvalidInput(
            f"JRN pattern {pattern!r}: controlling path {controlling!r} mixes '*' with text; "
            "use '*' for any controlling path, or leave it empty",
            fields={"jrnPattern": ["controlling path must be '*', empty, or literal"]},
        )
    chunks: list[list[str]] = [[]]
    previous = None
    for seg in segments:
        if "*" in seg and seg not in ("*", "**"):
            raise InvalidInput(
                f"JRN pattern {pattern!r}: segment {seg!r} mixes '*' with text (no partial globs); "
                "use '*' for exactly one segment or '**' for any number",
                fields={"jrnPattern": [f"segment {seg!r} is not allowed: no partial globs"]},
            )
        if seg == "**":
            if previous != "**":
                chunks.append([])
        else:
            chunks[-1].append(seg)
        previous = seg
    if len(chunks) == 1:
        return JrnPattern(pattern, controlling, tuple(chunks[0]), (), None)
    return JrnPattern(
        pattern, controlling, tuple(chunks[0]), tuple(tuple(c) for c in chunks[1:-1]), tuple(chunks[-1])
    )


def matches(pattern: str | JrnPattern, jrn: str | Jrn) -> bool:
    """Whether ``jrn`` matches ``pattern`` (either may be text; text is compiled or parsed once, cached)."""
    compiled = _compile(pattern) if isinstance(pattern, str) else pattern
    return compiled.matches(jrn)
