"""Shared CLI output: JSON for scripts, plain tables for people, errors on stderr with the right exit code.

Exit codes: 0 success, 1 a server call failed, 2 bad input (Click's own usage errors are 2 as well).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

import click

EXIT_SERVER = 1
EXIT_INPUT = 2


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    click.echo(click.style("error: ", fg="red", bold=True) + message, err=True, color=_color(err=True))
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow") + message, err=True, color=_color(err=True))


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def emit_json_line(value: Any) -> None:
    click.echo(json.dumps(value, sort_keys=True, default=str, separators=(",", ":")))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A plain aligned table; headers bold on a terminal only."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    head = "  ".join(h.upper().ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    click.echo(click.style(head, bold=True), color=_color())
    for row in cells:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def _color(err: bool = False) -> bool:
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
