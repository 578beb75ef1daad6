"""``jolli plugins``: what is installed, what each plugin contributes, and what failed to load."""

from __future__ import annotations

import logging
from typing import Any

import click

from jolli.cli.common import json_option
from jolli.cli.main import LazyGroup
from jolli.cli.output import emit_json, table


@click.command()
@json_option(what="one JSON document (plugins, hooks, errors)")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List loaded plugins, the source types, providers and hooks they contribute, and plugin errors.

    Exits 1 when any plugin failed to load (the errors are also printed on stderr).
    Set JOLLI_LOAD_PLUGINS=a,b to load only those entry points (empty: none).
    """
    from jolli.registry import get_plugins

    logging.getLogger("jolli.registry").addHandler(logging.NullHandler())  # errors are printed below, once
    info = get_plugins().describe()
    root = ctx.find_root().command
    if isinstance(root, LazyGroup):  # commands are the one contribution the registries do not hold
        dists = {p["name"]: p["distribution"] for p in info["plugins"]}
        info["errors"] += [{"plugin": plugin, "distribution": dists.get(plugin), "error": problem}
                           for plugin, problem in root.plugin_command_problems()]
    if as_json:
        emit_json(info)
    else:
        _print_human(info)
    for error in info["errors"]:
        dist = f" (from {error['distribution']})" if error["distribution"] else ""
        click.echo(f"error: plugin {error['plugin']!r}{dist} not loaded: {error['error']}", err=True)
    if info["errors"]:
        ctx.exit(1)


def _print_human(info: dict[str, Any]) -> None:
    if not info["plugins"]:
        click.echo("no plugins loaded (JOLLI_LOAD_PLUGINS may exclude them)")
    else:
        table(
            ["plugin", "distribution", "version", "contributes"],
            [
                [p["name"], p["distribution"] or "-", p["version"] or "-", _contributes(p)]
                for p in info["plugins"]
            ],
        )
    click.echo("")
    table(["hook", "implemented by"], [[h, ", ".join(names) or "-"] for h, names in info["hooks"].items()])


def _contributes(plugin: dict[str, Any]) -> str:
    parts = []
    if plugin["sourceTypes"]:
        parts.append("source types: " + ", ".join(plugin["sourceTypes"]))
    if plugin["providers"]:
        parts.append("providers: " + ", ".join(plugin["providers"]))
    others = [h for h in plugin["hooks"] if h not in _REGISTRATION_HOOKS]
    if others:
        parts.append("hooks: " + ", ".join(others))
    return "; ".join(parts) or "-"


_REGISTRATION_HOOKS = {"jolli_register_source_types", "jolli_register_providers", "jolli_source_types"}
