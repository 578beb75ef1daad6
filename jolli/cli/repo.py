"""``jolli repo``: turn what users paste into canonical ``host/owner/repo`` coordinates and derived URLs.

Works offline: it loads the provider plugins (for their URL shapes) but imports neither Flask, peewee
nor requests. Self-hosted hosts are named with ``--host HOST=PROVIDER`` or ``JOLLI_HOSTS``; a host no
provider owns gets the provider its URL's shape implies, reported as inferred (``"inferred": true``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import click

from jolli.cli.common import json_option
from jolli.cli.output import EXIT_INPUT, emit_json_line, fail, warn

HOSTS_ENV = "JOLLI_HOSTS"

_LABELS = {
    "provider": "provider",
    "host": "host",
    "owner": "owner",
    "name": "name",
    "httpsCloneUrl": "https clone",
    "sshCloneUrl": "ssh clone",
    "webUrl": "web",
    "apiBaseUrl": "api",
    "branchUrl": "branch",
    "commitUrl": "commit",
    "fileUrl": "file",
}


@click.group()
def repo() -> None:
    """Repo coordinates (host/owner/repo): parse what you paste, derive clone and web URLs."""


@repo.command("parse")
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.option("--stdin", "from_stdin", is_flag=True, help="Also read inputs from standard input, one per line.")
@json_option(what="one JSON object per input, one per line")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST=PROVIDER",
    help=f"A self-hosted host and its provider (github, gitlab, bitbucket-datacenter, gitea, azure-devops); "
    "repeatable. "
    f"{HOSTS_ENV}=host=provider,... does the same.",
)
@click.option("--branch", help="Also derive the web URL of this branch (and of --path on it).")
@click.option("--commit", help="Also derive the web URL of this commit (and of --path at it).")
@click.option("--path", "file_path", help="Also derive the web URL of this file, at --commit or --branch.")
@click.pass_context
def parse_cmd(
    ctx: click.Context,
    texts: tuple[str, ...],
    from_stdin: bool,
    as_json: bool,
    hosts: tuple[str, ...],
    branch: str | None,
    commit: str | None,
    file_path: str | None,
) -> None:
    """Print the canonical coordinate and derived URLs of each TEXT.

    TEXT may be host/owner/repo, a clone URL, an scp-like address or a browser link; credentials in it
    are dropped and never printed. Exits 2 when any input was rejected (the others are still printed).

    \b
    Examples:
      jolli repo parse git@github.com:Org/Repo.git
      jolli repo parse --json --host git.corp=gitlab https://git.corp/group/sub/repo/-/tree/main
      git remote -v | awk '{print $2}' | jolli repo parse --stdin
    """
    from jolli.coordinates import describe, resolve
    from jolli.errors import InvalidCoordinate
    from jolli.redaction import mask_credentials
    from jolli.registry import get_plugins

    if not texts and not from_stdin:
        raise click.UsageError("give at least one TEXT to parse, or --stdin")
    plugins = get_plugins()
    extra_hosts = _extra_hosts(plugins, os.environ.get(HOSTS_ENV, ""), hosts)
    rejected = printed = 0
    for text in _inputs(texts, from_stdin):
        shown = mask_credentials(text.strip())
        try:
            coord, provider, inferred = resolve(text, extra_hosts=extra_hosts, plugins=plugins)
        except InvalidCoordinate as exc:
            rejected += 1
            if as_json:
                emit_json_line({"input": shown, "error": exc.message})
            else:
                click.echo(click.style("error: ", fg="red", bold=True) + exc.message, err=True)
            continue
        info = describe(
            coord, extra_hosts=extra_hosts, plugins=plugins, branch=branch, commit=commit, path=file_path,
            inferred=provider if inferred else None,
        )
        if as_json:
            emit_json_line({"input": shown, **info})
        else:
            _print_block(shown, info, first=printed == 0)
            printed += 1
    if rejected:
        ctx.exit(EXIT_INPUT)


def _inputs(texts: Iterable[str], from_stdin: bool) -> Iterator[str]:
    """The arguments, then the non-blank, non-comment lines of stdin when asked."""
    yield from texts
    if from_stdin:
        for line in sys.stdin:
            if line.strip() and not line.lstrip().startswith("#"):
                yield line.rstrip("\r\n")


def _extra_hosts(plugins: Any, env_value: str, options: Iterable[str]) -> dict[str, str]:
    """host -> provider name from ``JOLLI_HOSTS`` then ``--host`` (later wins); bad entries exit 2."""
    from jolli.coordinates import is_valid_host

    providers = plugins.providers
    result: dict[str, str] = {}
    specs = [(HOSTS_ENV, s) for s in env_value.replace(" ", ",").split(",") if s.strip()]
    specs += [("--host", s) for s in options]
    for where, spec in specs:
        host, sep, name = spec.strip().partition("=")
        host, name = host.strip().lower(), name.strip()
        if not sep or not host or not name:
            fail(f"{where} {spec!r}: expected HOST=PROVIDER, e.g. git.example.com=gitlab")
        if not is_valid_host(host):
            fail(f"{where} {spec!r}: {host!r} is not a host name (no scheme, port or path)")
        if name not in providers:
            known = ", ".join(providers.names()) or "none"
            fail(f"{where} {spec!r}: provider {name!r} is not available (plugin may not be installed); "
                 f"available: {known}")
        owner = providers.for_host(host)
        if owner is not None and owner.name != name:
            warn(f"{where} {spec!r}: {host} always belongs to {owner.name}; ignored")
            continue
        result[host] = name
    return result


def _print_block(shown: str, info: dict[str, Any], *, first: bool) -> None:
    """One readable block per input: the coordinate, then each derivation on its own line."""
    if not first:
        click.echo("")
    click.echo(click.style(info["repo"], bold=True))
    rows = [("input", shown)]
    for key, value in info.items():
        if key in ("repo", "inferred"):
            continue
        if key == "provider" and info.get("inferred"):
            value = (f"{value} (inferred from the URL; not trusted for webhooks or API calls until the host "
                     f"is registered: --host {info['host']}={value})")
        if key == "provider" and value == "unknown":
            value = "unknown (no provider owns this host; name it with --host HOST=PROVIDER)"
        rows.append((_LABELS.get(key, key), str(value)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")
