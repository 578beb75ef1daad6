"""``jolli db upgrade|status`` through the real CLI, on both stores."""

from __future__ import annotations

import json

from click.testing import CliRunner

from jolli.cli.main import cli
from jolli.store.migrate import MIGRATIONS_DIR

NAMES = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))


def test_upgrade_applies_then_is_a_no_op(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["db", "upgrade", "--database-url", db_url])
    assert first.exit_code == 0, first.output
    assert [line.split()[1] for line in first.output.splitlines() if line.startswith("applied")] == NAMES
    second = runner.invoke(cli, ["db", "upgrade", "--database-url", db_url])
    assert second.exit_code == 0 and "nothing to do" in second.output


def test_upgrade_uses_the_environment_and_prints_json(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--json"], env={"JOLLI_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["applied"] == NAMES


def test_upgrade_defaults_to_the_embedded_sqlite_file(tmp_path: object) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "jolli-home/jolli.db" in result.output


def test_status_lists_pending_then_applied(db_url: str) -> None:
    runner = CliRunner()
    before = json.loads(runner.invoke(cli, ["db", "status", "--json", "--database-url", db_url]).output)["migrations"]
    assert [m["name"] for m in before] == NAMES and not any(m["applied"] for m in before)
    runner.invoke(cli, ["db", "upgrade", "--database-url", db_url])
    table = runner.invoke(cli, ["db", "status", "--database-url", db_url]).output
    rows = [line.split() for line in table.splitlines() if line[:1].isdigit()]
    assert [r[0] for r in rows] == NAMES and all(r[1] == "yes" for r in rows)


def test_unreachable_database_exits_1_without_the_password() -> None:
    url = "postgresql://bob:hunter2@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 1
    assert "hunter2" not in result.output and "postgresql://***@127.0.0.1:1/nowhere" in result.output


def test_bad_url_exits_1_saying_what_works() -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", "mysql://x/y"])
    assert result.exit_code == 1 and "sqlite:///" in result.output


def test_a_postgresql_database_that_does_not_exist_says_to_create_it(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/jolli_never_created"  # the same server, a database nobody created
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 1
    assert 'database "jolli_never_created" does not exist' in result.output
    assert "create it first (jolli creates the tables, not the database): createdb -h 127.0.0.1 -p 5432 " \
           "-U postgres jolli_never_created" in result.output
