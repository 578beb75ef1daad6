"""Plain SQL for the hot paths (the receiver, claiming, leases, audit rows), where building statements
with the query builder cost more than running them. Placeholders are written ``?`` and turned into the
driver's style; times are passed as naive UTC, the way the models store them."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, TypeVar, cast

import peewee

from jolli.store.db import database

M = TypeVar("M", bound=peewee.Model)


def sql(text: str) -> str:
    """``text`` with ``?`` placeholders in the open database's style (converted once per text and style)."""
    param = database.param
    return text if param == "?" else _converted(text, param)


@functools.lru_cache(maxsize=512)
def _converted(text: str, param: str) -> str:
    return text.replace("?", param)


def rows(text: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
    """Run a statement and return every row."""
    return list(database.execute_sql(sql(text), tuple(params)).fetchall())


def execute(text: str, params: tuple[Any, ...] | list[Any] = ()) -> int:
    """Run a statement and return how many rows it changed."""
    return int(database.execute_sql(sql(text), tuple(params)).rowcount)


def naive(value: datetime) -> datetime:
    """A UTC datetime as stored (naive)."""
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def columns(model: type[peewee.Model]) -> list[str]:
    """The model's column names, in declaration order."""
    return [field.column_name for field in model._meta.sorted_fields]


def instance(model: type[M], names: list[str], row: tuple[Any, ...]) -> M:
    """A model instance from a raw row, each value converted as the field reads it."""
    by_column = model._meta.columns
    values = {by_column[name].name: by_column[name].python_value(value) for name, value in zip(names, row, strict=True)}
    obj = model(**values)
    cast(Any, obj)._dirty.clear()  # read, not changed: nothing to save
    return obj


def insert_many(table: str, names: list[str], records: list[tuple[Any, ...]], chunk: int = 500) -> None:
    """``INSERT INTO table (names) VALUES (...), (...)`` in chunks."""
    one = "(" + ", ".join("?" for _ in names) + ")"
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        params = [value for record in part for value in record]
        execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES " + ", ".join(one for _ in part), params)
