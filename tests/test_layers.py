"""The import-linter contracts in setup.cfg (run by ``lint-imports``) cover every module of the core."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def contract(name: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config[f"importlinter:contract:{name}"]


def test_every_module_of_the_core_is_held_to_the_core_contract() -> None:
    listed = set(contract("core")["source_modules"].split())
    modules = {f"jolli.{p.stem}" for p in (ROOT / "jolli").glob("*.py") if p.stem != "__init__"}
    assert modules - listed == set(), "add the new core modules to [importlinter:contract:core] in setup.cfg"
    assert listed - modules == set()


def test_every_package_of_jolli_has_its_layer() -> None:
    layers = {name.strip() for line in contract("layers")["layers"].split("\n") for name in line.split("|")}
    packages = {p.parent.name for p in (ROOT / "jolli").glob("*/__init__.py")}
    assert packages == layers - {""}


def test_docs_architecture_names_every_module_in_its_package_section() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    sections = {part.split("\n", 1)[0]: part for part in doc.split("\n## ")}
    folders = {"jolli": "The core (`jolli/*.py`)"}
    for package in sorted(p.parent for p in (ROOT / "jolli").glob("*/__init__.py")):
        folders[f"jolli/{package.name}"] = next(h for h in sections if f"`jolli/{package.name}/`" in h)
    for folder, heading in folders.items():
        for module in sorted((ROOT / folder).glob("*.py")):
            if module.stem != "__init__" or folder == "jolli":
                assert re.search(rf"\b{module.stem}\b", sections[heading]), f"{folder}/{module.name}: {heading}"
