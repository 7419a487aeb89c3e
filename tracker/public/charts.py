"""Server-rendered SVG charts: geometry only, drawn as inline SVG by the tag
chart_figure (tracker/templatetags/tracker_tags.py).

A target's chart draws the expected straight line from its baseline (or, without one,
its first measurement) to the target on its due date, and to the earlier end of a due
range; the published measurements as a line with dots (as steps for a count, which
holds its value until the next measurement); the forecast, from the latest
measurement to the date the trend reaches the target; the original pledge line when the
target has been revised; a level line at the target and a mark at the due date. The
vertical axis is labelled with the target's unit or currency. Every chart has a data
table beside it on the page.

The date axis runs from the earliest of the baseline, the measurements and the due
dates to the latest of them, today and a near forecast, so every coordinate stays
inside the view box: with one measurement, or one measurement after the due date, too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.progress import Point

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 104, 24, 32, 36
# At most this many year labels on the date axis.
MAX_YEAR_TICKS = 8
# The share of the date span left empty at either end of the date axis.
MARGIN = 0.03


@dataclass
class Line:
    points: str  # "x1,y1 x2,y2" for <polyline points>
    kind: str  # CSS class line-<kind>: expected, earliest, pledge, measured, forecast


@dataclass
class Tick:
    x: float
    y: float
    label: str
    anchor: str = "middle"  # text-anchor: a label at either end of an axis stays inside


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)
    dots: list[tuple[float, float]] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    target_y: float | None = None
    due_x: float | None = None
    y_label: str = ""
    steps: bool = False
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def polyline(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{px},{py}" for px, py in points)


def stepped(points: list[tuple[float, float]], end_x: float) -> list[tuple[float, float]]:
    """Each value held level until the next one, the last one until `end_x`."""
    path: list[tuple[float, float]] = []
    for (px, py), (nx, _ny) in zip(points, points[1:], strict=False):
        path += [(px, py), (nx, py)]
    path.append(points[-1])
    if end_x > points[-1][0]:
        path.append((end_x, points[-1][1]))
    return path


def date_span(
    start: Point,
    due: dt.date,
    due_earliest: dt.date | None,
    measured: list[Point],
    forecast_on: dt.date | None,
    today: dt.date,
    original: tuple[Decimal, dt.date] | None,
) -> tuple[dt.date, dt.date]:
    """The first and last dates the chart shows; never the same date."""
    dates = [start.on, due, today, *(p.on for p in measured)]
    if due_earliest:
        dates.append(due_earliest)
    if original:
        dates.append(original[1])
    first, last = min(dates), max(dates)
    # A forecast far beyond the due date would squash the rest: it is drawn only when
    # it falls within twice the planned span.
    if forecast_on and forecast_on <= due + (due - min(start.on, due)):
        last = max(last, forecast_on)
    if last <= first:
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    return first, last


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
    format_date: Callable[[dt.date], str] = dt.date.isoformat,
    y_label: str = "",
    steps: bool = False,
) -> Chart | None:
    """The chart of one target, or None when there is nothing to draw a line from.

    `format_value` labels the vertical axis's ticks, `y_label` names its unit or
    currency; `steps` draws the measurements as steps (a count)."""
    measured = sorted((p for p in measurements if p.on <= today), key=lambda p: p.on)
    start = baseline or (measured[0] if measured else None)
    if start is None:
        return None
    first_date, last_date = date_span(
        start, due, due_earliest, measured, forecast_on, today, original
    )
    values = [start.value, target, *(p.value for p in measured)]
    if original:
        values.append(original[0])
    low, high = min(values + [Decimal(0)]), max(values)
    if high == low:
        high = low + 1
    # A margin either side keeps a dot or the due date mark off the axis.
    margin = dt.timedelta(days=max(round((last_date - first_date).days * MARGIN), 1))
    axis_start = first_date - margin
    span_days = (last_date + margin - axis_start).days

    def x(on: dt.date) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (on - axis_start).days / span_days, 1)

    def y(value: Decimal) -> float:
        share = float((value - low) / (high - low))
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share, 1)

    chart = Chart(target_y=y(target), due_x=x(due), y_label=y_label, steps=steps)
    origin = f"{x(start.on)},{y(start.value)}"
    # Without a baseline, a first measurement on or after the due date leaves no path to
    # expect: the target level and the due date mark say what was promised.
    if due > start.on:
        chart.lines.append(Line(f"{origin} {x(due)},{y(target)}", "expected"))
    if due_earliest and due_earliest > start.on:
        chart.lines.append(Line(f"{origin} {x(due_earliest)},{y(target)}", "earliest"))
    if original and original != (target, due) and original[1] > start.on:
        chart.lines.append(Line(f"{origin} {x(original[1])},{y(original[0])}", "pledge"))
    if measured:
        chart.dots = [(x(p.on), y(p.value)) for p in measured]
        path = stepped(chart.dots, x(today)) if steps else chart.dots
        chart.lines.append(Line(polyline(path), "measured"))
        if forecast_on and measured[-1].on < forecast_on <= last_date:
            last = measured[-1]
            chart.lines.append(
                Line(f"{x(last.on)},{y(last.value)} {x(forecast_on)},{y(target)}", "forecast")
            )
    chart.x_ticks = date_ticks(first_date, last_date, x, format_date)
    for share in (0, Decimal("0.5"), 1):
        value = low + (high - low) * share
        if steps:
            value = value.to_integral_value()
        chart.y_ticks.append(Tick(LEFT - 6, y(value) + 4, format_value(value), "end"))
    return chart


def date_ticks(
    first: dt.date,
    last: dt.date,
    x: Callable[[dt.date], float],
    format_date: Callable[[dt.date], str],
) -> list[Tick]:
    """Labels for the date axis: each new year from `first` to `last`, or, when they
    span less than two new years, those two dates."""
    below = HEIGHT - BOTTOM + 18
    years = [dt.date(year, 1, 1) for year in range(first.year, last.year + 1)]
    years = [on for on in years if first <= on <= last]
    if len(years) >= 2:
        step = -(-len(years) // MAX_YEAR_TICKS)
        return [Tick(x(on), below, str(on.year)) for on in years[::step]]
    return [
        Tick(x(first), below, format_date(first), "start"),
        Tick(x(last), below, format_date(last), "end"),
    ]
