"""Versioned migrations: from empty, from an older schema, twice, concurrently, atomically; both stores."""

from __future__ import annotations

import multiprocessing
import textwrap
from pathlib import Path

import peewee
import pytest

from jolli.store import db as store_db
from jolli.store.migrate import MIGRATIONS_DIR, pending, status, upgrade
from jolli.store.models import REGISTRY_MODELS, Org, Source


def _all_names() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))


def test_upgrade_from_empty_applies_every_migration_in_order(db_url: str) -> None:
    database = store_db.open_database(db_url)
    assert pending(database) == _all_names()
    applied = upgrade(database)
    assert applied == _all_names() and applied[0] == "0001_registry"
    assert upgrade(database) == []  # safe twice
    assert pending(database) == []
    assert all(done for _, done in status(database))
    assert {m._meta.table_name for m in REGISTRY_MODELS} <= set(database.get_tables())
    store_db.close_database(database)


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    database = store_db.open_database(db_url)
    upgrade(database)
    for model in REGISTRY_MODELS:
        table = model._meta.table_name
        columns = {c.name for c in database.get_columns(table)}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, table
        indexed = {tuple(i.columns) for i in database.get_indexes(table)}
        for fields, _unique in model._meta.indexes:
            assert tuple(model._meta.fields[f].column_name for f in fields) in indexed, (table, fields)
    store_db.close_database(database)


def test_upgrade_from_an_older_schema_keeps_the_data(db_url: str) -> None:
    database = store_db.open_database(db_url)
    assert upgrade(database, target="0001_registry") == ["0001_registry"]
    org = Org.create(name="acme")
    Source.create(org=org, name="backend", type="git", repo="github.com/acme/backend")
    later = upgrade(database)
    assert later == [n for n in _all_names() if n != "0001_registry"]
    assert Source.get(Source.name == "backend").repo == "github.com/acme/backend"
    assert pending(database) == []
    store_db.close_database(database)


def _write(directory: Path, name: str, body: str) -> None:
    (directory / name).write_text(textwrap.dedent(body))


V1 = """
    import peewee

    def up(migrator, db):
        class Widget(peewee.Model):
            name = peewee.CharField()
            class Meta:
                database = db
                table_name = "widget"
        db.create_tables([Widget])
"""
V2 = """
    import peewee

    def up(migrator, db):
        migrator.migrate(
            migrator.add_column("widget", "colour", peewee.CharField(default="blue")),
            migrator.add_index("widget", ("colour",)),
        )
"""


def test_a_later_migration_alters_an_existing_table(db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    _write(directory, "0001_widget.py", V1)
    database = store_db.open_database(db_url)
    assert upgrade(database, directory=directory) == ["0001_widget"]
    database.execute_sql("INSERT INTO widget (name) VALUES ('old')")
    _write(directory, "0002_colour.py", V2)
    assert upgrade(database, directory=directory) == ["0002_colour"]
    assert database.execute_sql("SELECT name, colour FROM widget").fetchall() == [("old", "blue")]
    assert upgrade(database, directory=directory) == []
    store_db.close_database(database)


def test_a_failing_migration_leaves_nothing_half_done(db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    directory.mkdir()
    _write(directory, "0001_widget.py", V1)
    _write(directory, "0002_broken.py", """
        import peewee

        def up(migrator, db):
            db.execute_sql("CREATE TABLE gadget (id INTEGER)")
            raise RuntimeError("boom")
    """)
    database = store_db.open_database(db_url)
    with pytest.raises(RuntimeError, match="boom"):
        upgrade(database, directory=directory)
    assert "gadget" not in database.get_tables()
    assert [name for name, done in status(database, directory) if done] == ["0001_widget"]
    _write(directory, "0002_broken.py", V2)
    assert upgrade(database, directory=directory) == ["0002_broken"]
    store_db.close_database(database)


def _upgrade_in_child(url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        database = store_db.open_database(url)
        queue.put(upgrade(database))
        store_db.close_database(database)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_upgrades_apply_each_migration_once(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    children = [ctx.Process(target=_upgrade_in_child, args=(db_url, queue)) for _ in range(4)]
    for child in children:
        child.start()
    results = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
    assert all(isinstance(r, list) for r in results), results
    assert sorted(name for r in results for name in r) == _all_names()


def test_upgrade_needs_an_open_database() -> None:
    with pytest.raises(RuntimeError, match="open_database"):
        upgrade(peewee.DatabaseProxy())
