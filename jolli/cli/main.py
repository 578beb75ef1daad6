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

    def _load_plugin_commands(self) -> None:
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from jolli.registry import get_plugins

        plugins = get_plugins()
        for impl in plugins.hook.jolli_register_commands.get_hookimpls():  # registration order
            before = dict(self.commands)
            try:
                impl.function(**{arg: self for arg in impl.argnames})
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not break the CLI
                click.echo(f"warning: plugin {impl.plugin_name!r} could not add commands: {exc}", err=True)
            for name in list(self.commands):
                if name in COMMANDS or (name in before and self.commands[name] is not before[name]):
                    click.echo(
                        f"warning: plugin {impl.plugin_name!r} tried to replace the command {name!r}; ignored",
                        err=True,
                    )
                    if name in before:
                        self.commands[name] = before[name]
                    else:
                        del self.commands[name]

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
