"""Commands that do not talk to a server import neither Flask nor peewee (nor requests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from jolli.cli.main import cli
try:
    cli.main(args=sys.argv[1:], prog_name="jolli", standalone_mode=False)
finally:
    heavy = [m for m in ("flask", "peewee", "werkzeug", "requests", "gunicorn", "marshmallow", "filelock")
             if m in sys.modules]
    print("MODULES=" + json.dumps(heavy), file=sys.stderr)
"""


def _modules(args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=60)
    line = [x for x in result.stderr.splitlines() if x.startswith("MODULES=")]
    assert line, result.stderr
    return json.loads(line[-1].removeprefix("MODULES="))


@pytest.fixture
def project(tmp_path: Path, make_repo) -> Path:
    return make_repo(tmp_path / "project")


@pytest.mark.parametrize(
    "args",
    [
        ["source", "add", "backend", "--mount", "{root}"],
        ["source", "list"],
        ["source", "list", "--json"],
        ["source", "show", "backend"],
        ["source", "remove", "backend"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_local_commands_import_no_server_libraries(project, args):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("JOLLI_URL", "JOLLI_TOKEN")}
    if args[1] != "add":
        _modules(["source", "add", "backend", "--mount", str(project)], project, env)

    modules = _modules([a.format(root=project) for a in args], project, env)

    assert not {"flask", "peewee", "werkzeug", "gunicorn", "requests"} & set(modules)


def test_source_list_reads_a_valid_file_without_marshmallow_or_locking(project):
    """What keeps ``jolli source list`` fast: the schemas and the lock are only loaded to write or to explain."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("JOLLI_URL", "JOLLI_TOKEN")}
    _modules(["source", "add", "backend", "--mount", str(project)], project, env)

    assert _modules(["source", "list"], project, env) == []
