"""``jolli integration``: the server's integrations, and which one covers a repo."""

from __future__ import annotations

import click

from jolli.cli.common import cli_errors, json_option, note, require_client, server_option
from jolli.cli.output import EXIT_INPUT, EXIT_SERVER, emit_json, fail, table


@click.group()
def integration() -> None:
    """Integrations registered on the server.

    GitHub Apps, GitLab groups, Bitbucket workspaces, Gitea hosts ...: what receives pushes for a repo.
    """


@integration.command("list")
@json_option
@server_option
def list_(as_json: bool, server: str | None) -> None:
    """List the org's integrations."""
    with cli_errors():
        with require_client(server, "listing integrations") as client:
            items = list(client.paginate("/api/integrations"))
        if as_json:
            emit_json(items)
            return
        if not items:
            note("no integrations on the server")
            return
        table(
            ["id", "provider", "host", "owner", "repos", "name"],
            (
                [i.get("id"), i.get("provider"), i.get("host"), i.get("owner") or "(whole host)",
                 ", ".join(i.get("repos") or []) or "(all)", i.get("name")]
                for i in items
            ),
        )


@integration.command("match")
@click.argument("repo")
@json_option
@server_option
def match(repo: str, as_json: bool, server: str | None) -> None:
    """Which integration covers REPO (any URL form). Exit 1 when none does, 2 when several do.

    Only the coordinate is sent (credentials in a pasted URL never leave this machine or reach a log)."""
    from jolli.client import ApiError
    from jolli.local.linking import describe_integration

    repo = sent_coordinate(repo)
    with cli_errors():
        with require_client(server, "matching") as client:
            try:
                page = client.get("/api/integrations", repo=repo)
            except ApiError as exc:
                if exc.status == 404:
                    if as_json:
                        emit_json({"repo": repo, "integration": None, "candidates": []})
                    fail(exc.detail or f"no integration covers {repo}", EXIT_SERVER)
                if exc.status == 409 and exc.candidates:
                    if as_json:
                        emit_json({"repo": repo, "integration": None, "candidates": exc.candidates})
                    lines = "\n".join(f"  {describe_integration(c)}" for c in exc.candidates)
                    fail(f"several integrations cover {repo}:\n{lines}\npick one with 'jolli source add NAME --integration-id <id>' or "
                         f"'jolli source link NAME --integration-id <id>'",
                         EXIT_INPUT)
                raise
        found = page["items"][0] if isinstance(page, dict) and "items" in page else page
        if as_json:
            emit_json({"repo": repo, "integration": found, "candidates": []})
        else:
            click.echo(describe_integration(found))


def sent_coordinate(text: str) -> str:
    """What ``match`` sends and prints for a pasted address: its canonical coordinate when this machine can tell
    it (``github.com/org/repo``), else the address with its credentials and secret parameters masked (the
    server drops them either way, and knows the org's self-hosted hosts)."""
    from jolli.coordinates import mask_credentials, normalize
    from jolli.errors import InvalidInput

    try:
        return str(normalize(text))
    except InvalidInput:
        return mask_credentials(text)
