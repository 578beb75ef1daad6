"""The overview's chart, drawn by the server as SVG: one stacked bar per hour, one colour per outcome.

No chart library and no script: the bars are rectangles with a ``<title>`` each (the browser shows it on
hover), colours come from the stylesheet (classes, so the page's Content-Security-Policy holds), and the
same numbers are in a table next to it for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from jolli.console.figures import CHART_OUTCOMES, HourlyChanges

WIDTH, HEIGHT = 720, 200
LEFT, BOTTOM, TOP = 36, 22, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    outcome: str
    title: str


@dataclass(frozen=True)
class Chart:
    """What the template draws."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (y, label) of the value axis
    labels: list[tuple[float, str]]  # (x, label) of the hour axis
    summary: str
    baseline: float


def _nice_max(value: int) -> int:
    for step in (1, 2, 5):
        for power in range(0, 9):
            top = step * 10 ** power
            if top >= value:
                return top
    return value


def hourly_chart(data: HourlyChanges) -> Chart:
    """Stacked bars of ``data``: processed, stale, failed, bottom to top."""
    totals = [sum(data.counts[str(o)][n] for o in CHART_OUTCOMES) for n in range(len(data.hours))]
    top = _nice_max(max(totals, default=0) or 1)
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(data.hours), 1)
    bars: list[Bar] = []
    for n, hour in enumerate(data.hours):
        y = float(HEIGHT - BOTTOM)
        for outcome in CHART_OUTCOMES:
            count = data.counts[str(outcome)][n]
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            bars.append(Bar(LEFT + n * slot + 2, round(y, 2), round(slot - 4, 2), round(h, 2), str(outcome),
                            f"{hour:%H}:00 UTC: {count} {outcome}"))
    steps = (0, 0.5, 1) if top % 2 == 0 else (0, 1)
    ticks = [(round(HEIGHT - BOTTOM - plot_h * f, 2), str(int(top * f))) for f in steps]
    labels = [(round(LEFT + n * slot + slot / 2, 2), f"{hour:%H}") for n, hour in enumerate(data.hours) if n % 3 == 0]
    summary = "Changes per hour, last 24 hours: " + ", ".join(
        f"{data.total(str(o))} {o}" for o in CHART_OUTCOMES)
    return Chart(WIDTH, HEIGHT, bars, ticks, labels, summary, float(HEIGHT - BOTTOM))
