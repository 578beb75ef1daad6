"""The server side of ``source add`` and ``source link``: find the integration, create or adopt the
server source, and undo it when the local write fails afterwards.

Every change made on the server is paired with its undo in an :class:`Undo` list; the CLI runs the
list when anything after it fails, so the server and the local file stay consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jolli.client import ApiError, Client, path_param
from jolli.errors import Ambiguous, InvalidInput
from jolli.local.collisions import same_repo


@dataclass
class Undo:
    """Server changes to reverse, newest first, each with what it reverses."""

    steps: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def add(self, what: str, step: Callable[[], Any]) -> None:
        self.steps.append((what, step))

    def run(self) -> list[str]:
        """Reverse every step; return what could not be reversed (with why)."""
        failed = []
        for what, step in reversed(self.steps):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - report every failed undo, keep undoing the rest
                failed.append(f"{what}: {getattr(exc, 'message', exc)}")
        self.steps.clear()
        return failed


@dataclass
class IntegrationChoice:
    id: int | None
    how: str  # what to tell the user about where it came from


def describe_integration(item: dict[str, Any]) -> str:
    """One line for an integration: id, provider, what it covers, name."""
    scope = item.get("host", "?") + ("/" + item["owner"] if item.get("owner") else " (whole host)")
    repos = item.get("repos")
    if repos:
        scope += f" repos {', '.join(repos)}"
    name = f" {item['name']!r}" if item.get("name") else ""
    return f"{item.get('id')}: {item.get('provider', '?')} {scope}{name}"


def find_integration(client: Client, repo: str | None, explicit: int | None) -> IntegrationChoice:
    """The integration to link: ``explicit``, else the one covering ``repo`` on the server, else none.

    Several candidates raise :class:`Ambiguous` listing them (the CLI exits 2 suggesting
    ``--integration-id``).
    """
    if explicit is not None:
        return IntegrationChoice(explicit, f"integration {explicit} (from --integration-id)")
    if repo is None:
        return IntegrationChoice(None, "no repo to look up an integration for")
    try:
        found = client.get("/api/integrations", repo=repo)
    except ApiError as exc:
        if exc.status == 404:
            return IntegrationChoice(None, f"no integration on the server covers {repo}")
        if exc.status == 409:
            lines = "\n".join(f"  {describe_integration(c)}" for c in exc.candidates)
            raise Ambiguous(
                f"several integrations cover {repo}:\n{lines}\npick one with --integration-id <id>",
                candidates=exc.candidates,
            ) from None
        raise
    if isinstance(found, dict) and "items" in found:  # tolerate a list answer
        items = found["items"]
        if len(items) != 1:
            return IntegrationChoice(None, f"no integration on the server covers {repo}")
        found = items[0]
    return IntegrationChoice(found.get("id"), f"integration {describe_integration(found)} covers {repo}")


def find_server_source(client: Client, name: str) -> dict[str, Any] | None:
    """The server source called ``name``, or ``None``."""
    page = client.get("/api/sources", name=name, limit=1)
    items = page.get("items", []) if isinstance(page, dict) else page
    return next((item for item in items if item.get("name") == name), None)


def server_sources(client: Client, ids: set[int], names: set[str]) -> list[dict[str, Any]]:
    """The server sources with these ids or names: one page of everything when the org is small,
    else one lookup per missing id or name (so a large org is never listed whole)."""
    page = client.get("/api/sources", limit=500)
    items: list[dict[str, Any]] = list(page.get("items", []))
    if page.get("next") is None:
        return items
    have_ids = {item.get("id") for item in items}
    have_names = {item.get("name") for item in items}
    for source_id in sorted(ids - have_ids):
        try:
            items.append(client.get(f"/api/sources/{path_param(source_id)}"))
        except ApiError as exc:
            if exc.status != 404:
                raise
    for name in sorted(names - have_names):
        found = find_server_source(client, name)
        if found is not None and found.get("id") not in have_ids:
            items.append(found)
    return items


def check_adoptable(existing: dict[str, Any], name: str, repo: str | None, integration_id: int | None) -> None:
    """Refuse (InvalidInput saying why) to adopt a server source that follows another repo or integration."""
    if repo is not None and existing.get("repo") is not None and not same_repo(existing.get("repo"), repo):
        raise InvalidInput(
            f"the server already has a source named {name!r} (id {existing.get('id')}) following "
            f"{existing.get('repo')}, but this one follows {repo}; adopting it would mount the wrong "
            f"repository. Pick another name, or remove the server source first "
            f"('jolli source remove {name} --server') if it is obsolete",
            fields={"name": ["taken on the server by a source of another repo"]},
        )
    if repo is not None and existing.get("repo") is None:
        raise InvalidInput(
            f"the server already has a source named {name!r} (id {existing.get('id')}) with no repo; "
            f"this one follows {repo}. Pick another name, or set the repo on the server first",
            fields={"name": ["taken on the server by a source without a repo"]},
        )
    current = existing.get("integrationId")
    if integration_id is not None and current is not None and current != integration_id:
        raise InvalidInput(
            f"the server source {name!r} (id {existing.get('id')}) is linked to integration {current}, "
            f"not {integration_id}; drop --integration-id to adopt it as it is",
            fields={"integrationId": [f"the existing source uses integration {current}"]},
        )


def adopt(client: Client, existing: dict[str, Any], integration: IntegrationChoice, undo: Undo) -> dict[str, Any]:
    """Use an existing server source; link it to ``integration`` if it has none yet."""
    if existing.get("integrationId") is None and integration.id is not None:
        source_id = existing["id"]
        updated = client.patch(f"/api/sources/{path_param(source_id)}", {"integrationId": integration.id})
        undo.add(
            f"unlink integration {integration.id} from server source {source_id}",
            lambda: client.patch(f"/api/sources/{path_param(source_id)}", {"integrationId": None}),
        )
        return updated
    return existing


def create(
    client: Client, *, name: str, type_: str, repo: str | None, branch: str | None, integration_id: int | None,
    undo: Undo, fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the server source, with the source type's own ``fields`` if any (undone by deleting it)."""
    body = {"name": name, "type": type_, "repo": repo, "branch": branch, "integrationId": integration_id,
            "fields": fields or None}
    created = client.post("/api/sources", {k: v for k, v in body.items() if v is not None})
    source_id = created["id"]
    undo.add(f"delete server source {source_id}", lambda: client.delete(f"/api/sources/{path_param(source_id)}"))
    return created
