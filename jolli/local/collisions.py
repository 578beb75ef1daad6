"""Name collisions: a virtual source may not shadow a true (server) source's name (the seed's rule).

Two places can show one: the file itself (a mount remembered under a name that a virtual source also
uses) and the server (a virtual name that a server source already has). Each collision says how to
resolve it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jolli.local.records import Config


@dataclass(frozen=True)
class Collision:
    """One name claimed twice, where, and what to do about it."""

    name: str
    where: str  # "file" or "server"
    problem: str
    resolve: str

    def __str__(self) -> str:
        return f"{self.problem}; {self.resolve}"

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "where": self.where, "problem": self.problem, "resolve": self.resolve}


def same_repo(a: str | None, b: str | None) -> bool:
    """Whether two canonical coordinates name one repository (hosts and, on GitHub-like hosts, paths ignore case)."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def in_file(config: Config) -> list[Collision]:
    """Virtual sources whose name a mount in the same file also has."""
    found = []
    for source_id, entry in sorted(config.mounts.items(), key=lambda item: int(item[0])):
        name = entry.name
        if name and name in config.virtual_sources:
            found.append(
                Collision(
                    name=name,
                    where="file",
                    problem=f"{name!r} is both a virtual source and the mount of server source {source_id}",
                    resolve=(
                        f"remove the virtual one ('jolli source remove {name} --virtual') or, to keep it, "
                        f"re-add it under another name ('jolli source add <new-name> --mount "
                        f"{config.virtual_sources[name].mount_path}')"
                    ),
                )
            )
    return found


def against_server(config: Config, server_sources: Iterable[dict[str, Any]]) -> list[Collision]:
    """Virtual sources whose name a server source already has."""
    by_name = {s.get("name"): s for s in server_sources}
    found = []
    for name, entry in sorted(config.virtual_sources.items()):
        server = by_name.get(name)
        if server is None:
            continue
        where = f"server source {server.get('id')} ({server.get('repo') or 'no repo'})"
        if same_repo(server.get("repo"), entry.repo) or entry.repo is None:
            resolve = f"link it to that source with 'jolli source link {name}' (same repo: it is adopted)"
        else:
            resolve = (
                f"the repos differ ({entry.repo} here), so pick another name: 'jolli source remove {name} "
                f"--virtual' then 'jolli source add <new-name> --mount {entry.mount_path}'"
            )
        found.append(
            Collision(name=name, where="server", problem=f"virtual source {name!r} shadows {where}", resolve=resolve)
        )
    return found
