"""The tutorial in docs/plugins.md, followed to the letter: its files are written from the page's code
blocks (each starts with a ``# <path>`` comment), the result is pip-installed like any package, and the
tests the page tells the newcomer to write must pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"```(?:python|toml)\n# (?P<path>[\w./-]+)\n(?P<body>.*?)```", re.S)
FILES = {"pyproject.toml", "jolli_archive/__init__.py", "jolli_archive/source_type.py", "jolli_archive/plugin.py",
         "tests/test_plugin.py"}


def tutorial_files() -> dict[str, str]:
    """``{path: content}`` of every file the tutorial shows."""
    text = DOCS.read_text(encoding="utf-8")
    tutorial = text[text.index("## Tutorial") : text.index("## Hook reference")]
    return {m["path"]: f"# {m['path']}\n{m['body']}" for m in BLOCK.finditer(tutorial)}


@pytest.fixture(scope="module")
def tutorial_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tutorial's folder, written from the docs, and the folder it is pip-installed into."""
    project = tmp_path_factory.mktemp("tutorial") / "jolli-archive"
    for path, content in tutorial_files().items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(content, encoding="utf-8")
    (project / "README.md").write_text("# jolli-archive\n", encoding="utf-8")  # the page's `echo` step
    site = tmp_path_factory.mktemp("tutorial-site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(site), str(project)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    return project, site


def run_tutorial_tests(project: Path, site: Path, selection: str) -> subprocess.CompletedProcess[str]:
    """``pytest`` in the tutorial's folder, as the newcomer runs it, with only the installed copy importable."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("pytest")), "-q", "-p", "no:cacheprovider", "-k", selection, "tests"],
        capture_output=True, text=True, cwd=project, check=False, timeout=300,
        env={**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"},
    )


def test_the_tutorial_shows_every_file_of_the_plugin() -> None:
    assert set(tutorial_files()) == FILES


def test_the_tutorials_plugin_installs_and_its_tests_pass(tutorial_project: tuple[Path, Path]) -> None:
    done = run_tutorial_tests(*tutorial_project, "not api")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_the_tutorials_api_tests_pass(tutorial_project: tuple[Path, Path]) -> None:
    done = run_tutorial_tests(*tutorial_project, "api")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
