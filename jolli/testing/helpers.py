"""The helpers behind the pytest fixtures, usable without pytest too (in unittest, in scripts).

- :func:`isolated_plugins`: a fresh plugin manager as the process-wide one, and the CLI's plugin commands
  forgotten, for the length of a ``with`` block.
- :class:`PluginRegistrar`: register plugin objects, failing loudly when jolli refuses one.
- :class:`CliRunner`: Click's runner bound to ``jolli.cli.main:cli``.
- :func:`serve_app`: a WSGI app on a loopback port in a background thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner as _ClickRunner
from click.testing import Result

if TYPE_CHECKING:  # pragma: no cover
    from jolli.registry import Plugins


class PluginRefused(AssertionError):
    """jolli did not accept a plugin registered by a test; the message is jolli's own reason."""


@contextmanager
def isolated_plugins() -> Iterator[Plugins]:
    """Install a fresh :class:`jolli.registry.Plugins` as ``get_plugins()``; restore everything afterwards.

    The ``jolli`` command group remembers the commands plugins added; they are forgotten at the start
    (so commands of plugins registered in the block appear) and put back as they were at the end.
    """
    from jolli.cli.main import cli
    from jolli.registry import Plugins, reset_plugins

    saved_commands = dict(cli.commands)
    saved_flag = cli.__dict__.get("_plugin_commands_loaded")
    saved_problems = cli.__dict__.get("_plugin_command_problems")
    plugins = Plugins()
    previous = reset_plugins(plugins)
    cli.__dict__["_plugin_commands_loaded"] = False
    try:
        yield plugins
    finally:
        reset_plugins(previous)
        cli.commands.clear()
        cli.commands.update(saved_commands)
        for attribute, saved in (("_plugin_commands_loaded", saved_flag), ("_plugin_command_problems", saved_problems)):
            if saved is None:
                cli.__dict__.pop(attribute, None)
            else:
                cli.__dict__[attribute] = saved


class PluginRegistrar:
    """Registers plugins on one manager and takes them all away again."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins
        self.names: list[str] = []

    def __call__(self, plugin: Any, name: str | None = None) -> str:
        """Register ``plugin`` (a module, class or instance with ``@jolli.hookimpl`` functions).

        Installed plugins are loaded first, so a clash with one of them is reported here. Raises
        :class:`PluginRefused` with jolli's reason when the plugin is not accepted.
        """
        plugins = self.plugins.load()
        name = name or getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{id(plugin):x}"
        seen = len(plugins.errors)
        if not plugins.register(plugin, name):
            raise PluginRefused(_errors_of(plugins, name, seen))
        self.names.append(name)
        # Build the registries now, so a source type or provider jolli refuses fails this call.
        plugins.source_types  # noqa: B018
        plugins.providers  # noqa: B018
        problems = _errors_of(plugins, name, seen)
        if problems:
            raise PluginRefused(problems)
        return name

    def unregister_all(self) -> None:
        """Unregister every plugin registered through this object, newest first."""
        while self.names:
            self.plugins.unregister(self.names.pop())


def _errors_of(plugins: Plugins, name: str, seen: int) -> str:
    return "; ".join(
        f"plugin {e.plugin!r} refused: {e.error}" for e in plugins.errors[seen:] if e.plugin == name
    )


class CliResult:
    """The outcome of one ``jolli`` invocation."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.exit_code: int = result.exit_code
        self.stdout: str = result.stdout
        self.stderr: str = result.stderr
        self.exception = result.exception

    def json(self) -> Any:
        """Standard output parsed as JSON (for ``--json`` commands)."""
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<CliResult exit_code={self.exit_code} stdout={self.stdout!r} stderr={self.stderr!r}>"


class CliRunner:
    """Runs ``jolli`` in-process (``jolli.cli.main:cli``) with Click's test runner."""

    def __init__(self, env: dict[str, str | None] | None = None) -> None:
        self.env = dict(env or {})

    def invoke(
        self, args: Sequence[str], input: str | None = None, env: dict[str, str | None] | None = None
    ) -> CliResult:
        """Run ``jolli <args>``; exceptions other than ``SystemExit`` propagate, so a crash fails the test."""
        from jolli.cli.main import cli

        runner = _ClickRunner(env={**self.env, **(env or {})})
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False, prog_name="jolli")
        return CliResult(result)


@contextmanager
def serve_app(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve a WSGI app on ``host`` and a free port in a daemon thread; yield its base URL."""
    from werkzeug.serving import make_server

    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="jolli-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
