"""The documentation stands alone: every relative link in README.md, docs/ and examples/ reaches a file of
this repository, and no page sends the reader to files outside it (a spec or notes kept elsewhere)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").glob("*/README.md")])
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")
OUTSIDE = re.compile(r"\.\./shared|SPEC\.md|\bseeds?\b|STYLE\.md")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_page_links_only_inside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not OUTSIDE.findall(text), f"{page.name} points outside the repository"
    for target, _ in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} is outside the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"


SH_BLOCK = re.compile(r"^( *)```(?:sh|bash)\n(.*?)^\1```", re.S | re.M)
ENVIRONMENT = {"HOME", "PWD", "PATH", "JOLLI_TOKEN", "JOLLI_URL", "JOLLI_DATABASE_URL"}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_shell_blocks_set_every_variable_they_use(page: Path) -> None:
    """A variable a block reads (``$TOKEN``) is set earlier on the page, or is one the reader has."""
    assigned = set(ENVIRONMENT)
    for _, block in SH_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.splitlines():
            code = line.split(" #")[0]
            assigned |= set(re.findall(r"(?:^|export |for |\s|;)([A-Za-z_]\w*)(?:=| in )", code))
            used = set(re.findall(r"\$\{?([A-Za-z_]\w*)", code))
            assert used <= assigned, f"{page.name}: {line.strip()!r} uses {sorted(used - assigned)}, never set"


def test_the_distribution_name_is_the_one_free_on_the_package_index() -> None:
    """``jolli`` on PyPI is another project: docs, the example plugin and jolli itself say ``jolli-sources``."""
    import configparser
    import importlib.metadata

    from jolli.registry import JOLLI_DIST

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["metadata"]["name"] == JOLLI_DIST == "jolli-sources"
    assert importlib.metadata.distribution("jolli-sources").entry_points.select(group="jolli")
    wrong = re.compile(r"pip install jolli(?![-\w])|[\"']jolli *(?:[<>=~!]=?|\[)")
    for path in [*PAGES, ROOT / "examples" / "jolli-archive" / "pyproject.toml"]:
        assert not wrong.findall(path.read_text(encoding="utf-8")), f"{path.name} installs PyPI's other 'jolli'"
