"""Every JOLLI_* variable read in one place, parsed one way, documented in one table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jolli.settings import VARIABLES, AppSettings, SettingsError, choice, default_workers, number

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_and_values_from_the_environment() -> None:
    read = AppSettings.from_env({"JOLLI_HOME": "/srv/jolli"})
    assert read.database_url == "sqlite:////srv/jolli/jolli.db"
    assert (read.workers, read.threads, read.db_pool_size) == (default_workers(), 32, 20)
    assert 1 <= read.workers <= 8
    read = AppSettings.from_env({"JOLLI_DATABASE_URL": "postgresql://a@h/db", "JOLLI_WORKERS": "5",
                                    "JOLLI_MAX_WEBHOOK_BYTES": "4000", "JOLLI_PUBLIC_URL": " https://j.example "})
    assert (read.database_url, read.workers, read.webhook_max_bytes) == ("postgresql://a@h/db", 5, 4000)
    assert read.public_url == "https://j.example"
    assert AppSettings.from_env({"DATABASE_URL": "postgresql://b@h/two"}).database_url == "postgresql://b@h/two"


@pytest.mark.parametrize(("name", "value", "rule"), [
    ("JOLLI_WORKERS", "many", "must be a whole number"),
    ("JOLLI_BODY_TIMEOUT", "0", "must be greater than 0"),
    ("JOLLI_DB_POOL_SIZE", "2.5", "must be a whole number"),
])
def test_a_value_that_does_not_parse_names_the_variable_and_the_way_out(name: str, value: str, rule: str) -> None:
    with pytest.raises(SettingsError) as caught:
        AppSettings.from_env({name: value})
    assert f"{name} {rule}, got {value!r}" in caught.value.message
    assert "unset it for the default" in caught.value.message and caught.value.fields == {name: [rule]}


def test_a_number_is_parsed_one_way() -> None:
    assert number("X", 3.0, environ={"X": " 2.5 "}) == 2.5
    assert number("X", 3.0, environ={"X": ""}) == 3.0
    with pytest.raises(ValueError, match="X must be a number"):  # a SettingsError is a ValueError too
        number("X", 3.0, environ={"X": "fast"})


def test_a_choice_is_parsed_one_way() -> None:
    assert choice("X", ("idle", "low"), "idle", environ={"X": " LOW "}) == "low"
    assert choice("X", ("idle", "low"), "idle", environ={"X": " "}) == "idle"
    with pytest.raises(SettingsError) as caught:
        choice("X", ("idle", "low"), "idle", environ={"X": "fast"})
    assert caught.value.message == "X must be one of idle, low, got 'fast'; unset it for the default (idle)"
    assert caught.value.fields == {"X": ["must be one of idle, low"]}


def test_every_variable_the_code_reads_is_in_the_one_table_and_the_table_is_documented() -> None:
    names = {v.name for v in VARIABLES}
    assert len(names) == len(VARIABLES)
    read: set[str] = set()
    for folder in ("jolli", "providers", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            read |= set(re.findall(r"(?<![A-Z_])JOLLI_[A-Z][A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    read -= {"JOLLI_DIST"}  # a distribution name, not a variable
    assert read - names == set(), "read by the code but not in jolli.settings.VARIABLES"
    assert names - read == set(), "in the table but read by nothing"
    documented = re.findall(r"^\| `(JOLLI_[A-Z_]+)` \|", (ROOT / "docs" / "configuration.md").read_text(),
                            flags=re.MULTILINE)
    assert documented == [v.name for v in VARIABLES]
