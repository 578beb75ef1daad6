"""The ``jolli`` command group.

Subcommands live in their own modules and are imported only when used, so ``jolli --version`` and
``jolli plugins`` start fast and commands that do not talk to a server import neither Flask nor peewee.
Plugins add commands through the ``jolli_register_commands`` hook.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from jolli import __version__

#: name -> "module:attribute" of each built-in command.
COMMANDS: dict[str, str] = {
    "repo": "jolli.cli.repo:repo",
    "plugins": "jolli.cli.plugins_cmd:plugins",
    "serve": "jolli.cli.serve:serve",
    "db": "jolli.cli.db:db",
    "secrets": "jolli.cli.secrets:secrets",
    "org": "jolli.cli.admin:org",
    "token": "jolli.cli.admin:token",
    "login": "jolli.cli.login:login",
    "source": "jolli.cli.source:source",
    "integration": "jolli.cli.integration:integration",
    "worker": "jolli.cli.worker:worker",
    "events": "jolli.cli.events:events",
}


class LazyGroup(click.Group):
    """A group whose built-in commands are imported on first use and whose plugin commands come from hooks."""

    _plugin_commands_loaded = False
    _plugin_command_problems: list[tuple[str, str]] = []

    def plugin_command_problems(self) -> list[tuple[str, str]]:
        """Add the plugins' commands (once); return ``(plugin, problem)`` for each one not used.

        Each plugin's ``jolli_register_commands`` is called through pluggy with a group of its own, so
        what it added is known. A command named like a built-in, or added by two plugins, is not used.
        """
        if self._plugin_commands_loaded:
            return self._plugin_command_problems
        self._plugin_commands_loaded = True
        from jolli.registry import get_plugins

        problems: list[tuple[str, str]] = []
        added: dict[str, list[tuple[str, click.Command]]] = {}
        for plugin_name, call in get_plugins().implementations("jolli_register_commands"):
            own = click.Group(name=self.name)
            try:
                call(cli=own)
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not break the CLI
                problems.append((plugin_name, f"could not add commands: jolli_register_commands raised "
                                              f"{type(exc).__name__}: {exc}"))
                continue
            for name, command in own.commands.items():
                added.setdefault(name, []).append((plugin_name, command))
        for name, claims in sorted(added.items()):
            plugins = [plugin for plugin, _ in claims]
            if name in COMMANDS:
                problems.extend((plugin, f"adds the command {name!r}, which is built in: not used (rename it)")
                                for plugin in plugins)
            elif len(claims) > 1:
                problems.extend((plugin, f"the command {name!r} is added by plugins {' and '.join(map(repr, plugins))}: "
                                         "neither is used until one is uninstalled or left out of JOLLI_LOAD_PLUGINS")
                                for plugin in plugins)
            else:
                self.add_command(claims[0][1], name)
        self._plugin_command_problems = problems
        return problems

    def _load_plugin_commands(self) -> None:
        if not self._plugin_commands_loaded:
            for plugin, problem in self.plugin_command_problems():
                click.echo(f"warning: plugin {plugin!r} {problem}", err=True)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None and cmd_name in self.commands:
            return self.commands[cmd_name]
        if target is None:
            self._load_plugin_commands()
            return self.commands.get(cmd_name)
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="jolli", message="%(prog)s %(version)s")
def cli() -> None:
    """jolli: sources, spaces, integrations and push events.

    Shell completion: eval "$(_JOLLI_COMPLETE=bash_source jolli)" (zsh_source, fish_source for others).
    """


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="jolli")
