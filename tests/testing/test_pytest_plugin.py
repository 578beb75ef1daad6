"""The fixtures jolli ships for plugin authors, exercised the way an author uses them: in a test file of
their own, run by pytest (``pytester``), with jolli's ``pytest11`` plugin loaded from its entry point."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

from jolli.testing import pytest_plugin
from jolli.testing.helpers import isolated_plugins

pytest_plugins = ["pytester"]

TINY_PLUGIN = '''
import click
import jolli
from jolli.errors import InvalidInput
from jolli.source_type import SourceType


class Notes(SourceType):
    name = "notes"
    description = "notes at a URL"

    def validate_fields(self, fields):
        if "color" in fields and fields["color"] not in ("red", "blue"):
            raise InvalidInput("color: red or blue", fields={"color": ["must be red or blue"]})
        return fields


class NotesPlugin:
    @jolli.hookimpl
    def jolli_register_source_types(self, registry):
        registry.add(Notes())

    @jolli.hookimpl
    def jolli_register_commands(self, cli):
        @cli.command()
        def notes():
            """Print notes."""
            click.echo("notes!")
'''


def _run(pytester: pytest.Pytester, test_body: str) -> pytest.RunResult:
    pytester.makepyfile(tiny_plugin=TINY_PLUGIN, test_tiny=textwrap.dedent(test_body))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")


def test_author_registers_a_plugin_for_one_test_and_drives_cli(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from tiny_plugin import NotesPlugin

        def test_registered(jolli_register_plugin, jolli_plugins):
            assert jolli_register_plugin(NotesPlugin(), "notes-plugin") == "notes-plugin"
            assert jolli_plugins.source_type("notes").description == "notes at a URL"

        def test_gone_in_the_next_test(jolli_plugins):
            assert "notes" not in jolli_plugins.source_types

        def test_command(jolli_register_plugin, jolli_cli_runner):
            jolli_register_plugin(NotesPlugin())
            result = jolli_cli_runner.invoke(["notes"])
            assert (result.exit_code, result.stdout) == (0, "notes!\\n")

        def test_command_gone_in_the_next_test(jolli_cli_runner):
            assert jolli_cli_runner.invoke(["notes"]).exit_code == 2

        def test_plugins_json(jolli_register_plugin, jolli_cli_runner, monkeypatch):
            monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "")
            jolli_register_plugin(NotesPlugin(), "notes-plugin")
            info = jolli_cli_runner.invoke(["plugins", "--json"]).json()
            assert info["hooks"]["jolli_register_source_types"] == ["notes-plugin"]
        """,
    )
    result.assert_outcomes(passed=5)


def test_author_tests_the_api_with_an_authenticated_client(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from tiny_plugin import NotesPlugin

        def test_accepted(jolli_register_plugin, jolli_client):
            jolli_register_plugin(NotesPlugin())
            response = jolli_client.post("/api/sources", json={"name": "n1", "type": "notes"})
            assert response.status_code == 201, response.get_json()
            assert jolli_client.get("/api/sources").get_json()["items"][0]["type"] == "notes"

        def test_not_installed(jolli_client):
            response = jolli_client.post("/api/sources", json={"name": "n1", "type": "notes"})
            assert response.status_code == 422
            assert "not available (plugin may not be installed)" in response.get_json()["detail"]

        def test_token_is_required(jolli_app, jolli_token):
            assert jolli_app.test_client().get("/api/sources").status_code == 401

        def test_org(jolli_org, jolli_token):
            assert jolli_org.name == "test-org" and jolli_token.startswith("jolli_")

        def test_cli_talks_to_the_served_app(jolli_register_plugin, jolli_server, jolli_cli_runner, jolli_token):
            import requests

            jolli_register_plugin(NotesPlugin())
            headers = {"Authorization": f"Bearer {jolli_token}"}
            created = requests.post(jolli_server + "/api/sources", json={"name": "n1", "type": "notes"},
                                    headers=headers, timeout=10)
            assert created.status_code == 201, created.text
            result = jolli_cli_runner.invoke(["integration", "list", "--json"])
            assert result.exit_code == 0, result
        """,
    )
    result.assert_outcomes(passed=5)


def test_refused_plugin_fails_the_authors_test_with_jollis_reason(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import jolli

        class Misspelt:
            @jolli.hookimpl
            def jolli_register_source_type(self, registry):
                pass

        def test_it(jolli_register_plugin):
            jolli_register_plugin(Misspelt(), "misspelt")
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*PluginRefused*misspelt*unknown hook*jolli_register_source_type*"])


def test_projects_own_fixtures_of_common_names_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def app():
            return "project app"

        @pytest.fixture
        def client():
            return "project client"

        @pytest.fixture
        def db():
            return "project db"
        """
    )
    result = _run(
        pytester,
        """
        def test_own(app, client, db):
            assert (app, client, db) == ("project app", "project client", "project db")
        """,
    )
    result.assert_outcomes(passed=1)


def test_every_fixture_is_prefixed_and_none_is_autouse() -> None:
    fixtures = {
        name: value
        for name, value in vars(pytest_plugin).items()
        if type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")
    }
    assert fixtures, "the plugin defines fixtures"
    assert sorted(n for n in fixtures if not n.startswith("jolli_")) == []
    assert "autouse=True" not in inspect.getsource(pytest_plugin)


def test_loading_the_plugin_imports_neither_flask_peewee_requests_nor_plugins() -> None:
    """Every pytest run in an environment with jolli loads this plugin: it must cost nothing."""
    code = (
        "import sys, jolli.testing.pytest_plugin; "
        "print(sorted(m for m in ('flask', 'peewee', 'requests', 'jolli.registry') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_isolated_plugins_restores_the_manager_and_the_cli_commands() -> None:
    import click

    import jolli
    from jolli.cli.main import cli
    from jolli.registry import get_plugins

    before_manager, before_commands = get_plugins(), dict(cli.commands)

    class AddsCommand:
        @jolli.hookimpl
        def jolli_register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("temporary"))

    with isolated_plugins() as plugins:
        assert get_plugins() is plugins is not before_manager
        assert plugins.register(AddsCommand(), "adds-command")
        assert cli.get_command(click.Context(cli), "temporary") is not None
    assert get_plugins() is before_manager
    assert cli.commands == before_commands
