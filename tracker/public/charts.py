"""Server-rendered SVG charts: geometry only, drawn as inline SVG by
templates/tracker/_chart.html.

A target's chart draws the expected straight line from its baseline (or, without one,
its first measurement) to the target on its due date, and to the earlier end of a due
range; the published measurements as a line with dots; the forecast, from the latest
measurement to the date the trend reaches the target; the original pledge line when the
target has been revised; and a level line at the target. Every chart has a data table
beside it on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.progress import Point

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36


@dataclass
class Line:
    points: str  # "x1,y1 x2,y2" for <polyline points>
    kind: str  # CSS class line-<kind>: expected, earliest, pledge, measured, forecast


@dataclass
class Tick:
    x: float
    y: float
    label: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)
    dots: list[tuple[float, float]] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    target_y: float | None = None
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM


def target_chart(
    *,
    baseline: Point | None,
    target: Decimal,
    due: dt.date,
    due_earliest: dt.date | None,
    measurements: list[Point],
    forecast_on: dt.date | None,
    today: dt.date,
    original: tuple[Decimal, dt.date] | None = None,
    format_value: Callable[[Decimal], str] = str,
) -> Chart | None:
    """The chart of one target, or None when there is nothing to draw a line from."""
    measured = sorted((p for p in measurements if p.on <= today), key=lambda p: p.on)
    start = baseline or (measured[0] if measured else None)
    if start is None:
        return None
    last_date = max([due, today, *(p.on for p in measured)])
    if forecast_on and forecast_on <= due + (due - start.on):
        last_date = max(last_date, forecast_on)
    values = [start.value, target, *(p.value for p in measured)]
    if original:
        values.append(original[0])
        last_date = max(last_date, original[1])
    low, high = min(values + [Decimal(0)]), max(values)
    if high == low:
        high = low + 1
    span_days = max((last_date - start.on).days, 1)

    def x(on: dt.date) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (on - start.on).days / span_days, 1)

    def y(value: Decimal) -> float:
        share = float((value - low) / (high - low))
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share, 1)

    chart = Chart(target_y=y(target))
    chart.lines.append(Line(f"{x(start.on)},{y(start.value)} {x(due)},{y(target)}", "expected"))
    if due_earliest and due_earliest > start.on:
        chart.lines.append(
            Line(f"{x(start.on)},{y(start.value)} {x(due_earliest)},{y(target)}", "earliest")
        )
    if original and original != (target, due):
        chart.lines.append(
            Line(f"{x(start.on)},{y(start.value)} {x(original[1])},{y(original[0])}", "pledge")
        )
    if measured:
        chart.lines.append(Line(" ".join(f"{x(p.on)},{y(p.value)}" for p in measured), "measured"))
        chart.dots = [(x(p.on), y(p.value)) for p in measured]
        if forecast_on and forecast_on <= last_date:
            last = measured[-1]
            chart.lines.append(
                Line(f"{x(last.on)},{y(last.value)} {x(forecast_on)},{y(target)}", "forecast")
            )
    for year in range(start.on.year + 1, last_date.year + 1):
        on = dt.date(year, 1, 1)
        chart.x_ticks.append(Tick(x(on), HEIGHT - BOTTOM + 18, str(year)))
    if len(chart.x_ticks) > 8:
        step = -(-len(chart.x_ticks) // 8)
        chart.x_ticks = chart.x_ticks[::step]
    for share in (0, Decimal("0.5"), 1):
        value = low + (high - low) * share
        chart.y_ticks.append(Tick(LEFT - 6, y(value) + 4, format_value(value)))
    return chart
