"""How status is computed: plain functions over plain data, no database.

The pages, the API, the feeds and the admin all read these rules, and the public
methodology page explains them, so anyone can recompute a status by hand. The
thresholds are those of Open SDG's published progress method.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

# Progress ratio thresholds (Open SDG): on track at 0.95 or more, needs acceleration
# from 0.6, off track from 0, moving away below 0.
THRESHOLDS = {
    "on_track": Decimal("0.95"),
    "needs_acceleration": Decimal("0.6"),
    "off_track": Decimal("0"),
}
# A target whose newest measurement is older than this is stale, unless its
# programme sets another limit.
DEFAULT_STALE_AFTER = dt.timedelta(days=365)

AT_LEAST = "at_least"
AT_MOST = "at_most"


@dataclass(frozen=True)
class Point:
    on: dt.date
    value: Decimal


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    NEEDS_ACCELERATION = "needs_acceleration"
    OFF_TRACK = "off_track"
    MOVING_AWAY = "moving_away"
    MISSED = "missed"
    NOT_REPORTED = "not_reported"
    NO_DATA = "no_data"
    STALE = "stale"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.ACHIEVED: _("Achieved"),
    Status.ON_TRACK: _("On track"),
    Status.NEEDS_ACCELERATION: _("Needs acceleration"),
    Status.OFF_TRACK: _("Off track"),
    Status.MOVING_AWAY: _("Moving away"),
    Status.MISSED: _("Missed"),
    Status.NOT_REPORTED: _("Due date passed, no data published"),
    Status.NO_DATA: _("No data"),
    Status.STALE: _("Stale (no recent data)"),
}


@dataclass(frozen=True)
class Assessment:
    status: Status
    due: dt.date
    actual: Decimal | None = None
    as_of: dt.date | None = None
    expected: Decimal | None = None
    ratio: Decimal | None = None
    forecast_on: dt.date | None = None


def meets(value: Decimal, target: Decimal, comparator: str) -> bool:
    return value >= target if comparator == AT_LEAST else value <= target


def expected_value(baseline: Point, target: Decimal, due: dt.date, on: dt.date) -> Decimal:
    """The straight line from the baseline to the target on its due date, read at `on`,
    clamped to the line's ends."""
    span = (due - baseline.on).days
    if span <= 0 or on >= due:
        return target
    if on <= baseline.on:
        return baseline.value
    return baseline.value + (target - baseline.value) * Decimal((on - baseline.on).days) / span


def forecast(points: list[Point], target: Decimal, comparator: str) -> dt.date | None:
    """The date a least-squares line through the points reaches the target, or None
    where the trend is flat or heads away from it ("not at the current rate").

    Exact: values are scaled to whole numbers over one common denominator, so the sums
    are integers and the date is the ceiling of one integer division."""
    n = len(points)
    if n < 2:
        return None
    origin = points[0].on
    xs = [(p.on - origin).days for p in points]
    ratios = [p.value.as_integer_ratio() for p in points]
    scale = math.lcm(*(denominator for _, denominator in ratios))
    ys = [numerator * (scale // denominator) for numerator, denominator in ratios]
    sum_x, sum_y = sum(xs), sum(ys)
    # slope = covariance / spread, both multiplied by n squared to stay whole.
    spread = n * sum(x * x for x in xs) - sum_x * sum_x
    if spread == 0:
        return None
    covariance = n * sum(x * y for x, y in zip(xs, ys, strict=True)) - sum_x * sum_y
    if covariance == 0 or (covariance < 0) == (comparator == AT_LEAST):
        return None
    # The line reaches the target t (scaled) on day
    #   (t - intercept) / slope = (t*n*spread - sum_y*spread + covariance*sum_x) / (n*covariance)
    goal, goal_denominator = target.as_integer_ratio()
    numerator = goal * scale * n * spread + goal_denominator * (covariance * sum_x - sum_y * spread)
    denominator = goal_denominator * n * covariance
    day = -(-numerator // denominator)  # the ceiling, whatever the signs
    try:
        return origin + dt.timedelta(days=day)
    except OverflowError:
        return None


def assess(
    *,
    baseline: Point | None,
    target: Decimal,
    due: dt.date,
    comparator: str,
    measurements: Iterable[Point],
    today: dt.date,
    stale_after: dt.timedelta | None = DEFAULT_STALE_AFTER,
) -> Assessment:
    """Assess one target on `today`; the first rule that holds decides the status.

    Once the due date has passed, "missed" needs a measurement that shows it: with none
    at all the target is "not reported", since the public record is silent and a
    failure cannot be shown."""
    # By date, not by order of entry; for one date the last given wins.
    known = sorted((p for p in measurements if p.on <= today), key=lambda p: p.on)
    by_date = {p.on: p for p in known}
    points = [by_date[on] for on in sorted(by_date)]
    latest = points[-1] if points else None
    actual = latest.value if latest else None
    as_of = latest.on if latest else None
    first_is_baseline = baseline is None
    if first_is_baseline and points:
        baseline = points[0]
    expected = expected_value(baseline, target, due, today) if baseline else None
    forecast_on = forecast(points, target, comparator)

    def verdict(status: Status, ratio: Decimal | None = None) -> Assessment:
        # An achieved target needs no forecast.
        trend = None if status == Status.ACHIEVED else forecast_on
        return Assessment(status, due, actual, as_of, expected, ratio, trend)

    if latest is not None and meets(latest.value, target, comparator):
        return verdict(Status.ACHIEVED)
    if today > due:
        return verdict(Status.MISSED if latest is not None else Status.NOT_REPORTED)
    if latest is None:
        return verdict(Status.NO_DATA)
    if stale_after is not None and today - latest.on > stale_after:
        return verdict(Status.STALE)

    # There is a measurement here, so a baseline: the stated one, or the first measurement.
    start = baseline or points[0]
    direction = 1 if comparator == AT_LEAST else -1
    moved = (latest.value - start.value) * direction
    planned = (expected_value(start, target, due, today) - start.value) * direction
    if planned <= 0 or (first_is_baseline and len(points) == 1):
        # No progress is expected yet (no time has elapsed since the baseline), or the
        # only measurement is itself the baseline: nothing to compare with yet.
        return verdict(Status.MOVING_AWAY if moved < 0 else Status.ON_TRACK)
    ratio = moved / planned
    return verdict(status_for_ratio(ratio), ratio)


def status_for_ratio(ratio: Decimal) -> Status:
    if ratio >= THRESHOLDS["on_track"]:
        return Status.ON_TRACK
    if ratio >= THRESHOLDS["needs_acceleration"]:
        return Status.NEEDS_ACCELERATION
    if ratio >= THRESHOLDS["off_track"]:
        return Status.OFF_TRACK
    return Status.MOVING_AWAY


def not_at_current_rate(
    assessment: Assessment, measurements: Iterable[Point], today: dt.date
) -> bool:
    """Whether to say "not at the current rate": there is a trend to read (two or more
    measurements up to today), the target is not achieved, and the trend never reaches
    it (flat, or heading away)."""
    known = [p for p in measurements if p.on <= today]
    return (
        assessment.forecast_on is None and assessment.status != Status.ACHIEVED and len(known) >= 2
    )


def assess_range(
    *, due_earliest: dt.date | None, due: dt.date, **kwargs: Any
) -> tuple[Assessment, Assessment | None]:
    """For a due range ("three to five years"): the assessment against the final due
    date, and against the range's earlier end (None without a range)."""
    final = assess(due=due, **kwargs)
    if due_earliest is None:
        return final, None
    return final, assess(due=due_earliest, **kwargs)


# Milestones


class Lateness(StrEnum):
    """What a milestone past its date and not done says: overdue where the programme's
    staff report progress here; not reported (a gap in the record, not a failure, as a
    target's NOT_REPORTED) in a programme compiled from public sources."""

    OVERDUE = "overdue"
    NOT_REPORTED = "not_reported"


def milestone_lateness(
    *,
    planned_on: dt.date,
    completed_on: dt.date | None,
    status: str,
    today: dt.date,
    reported_here: bool = True,
) -> Lateness | None:
    done = status in ("completed", "cancelled") or completed_on is not None
    if done or planned_on >= today:
        return None
    return Lateness.OVERDUE if reported_here else Lateness.NOT_REPORTED


def slippage_days(
    *,
    first_planned_on: dt.date,
    planned_on: dt.date,
    forecast_on: dt.date | None,
    completed_on: dt.date | None,
    today: dt.date,
    reported_here: bool = True,
) -> int:
    """Days between the first planned date and the latest known date: the completion
    date if done, else the forecast if given, else the planned date. Never negative.
    Where nobody reports progress here, a date passing says nothing: no slip is counted
    for it.

    Counting from the first planned date, not the current one, means a deadline moved
    later still counts as slipped."""
    if completed_on is not None:
        return max(0, (completed_on - first_planned_on).days)
    latest = forecast_on or planned_on
    if planned_on < today and reported_here:
        # Open and overdue: it slips a day with every day that passes.
        latest = max(latest, today)
    return max(0, (latest - first_planned_on).days)


def days_late(*, planned_on: dt.date, completed_on: dt.date | None) -> int | None:
    """For a milestone completed after its planned date, how many days after."""
    if completed_on is None or completed_on <= planned_on:
        return None
    return (completed_on - planned_on).days


# Milestone progress

# Milestones left out of a project's share: cancelled ones cannot be completed, so they
# count neither as done nor as work left (they stay on the timeline, marked cancelled).
# Withdrawn ones are left out too: they are no longer part of the public record's plan.
UNCOUNTED_MILESTONE_STATUSES = frozenset({"cancelled"})


def milestone_weights(milestones: Iterable[tuple[int, str, bool]]) -> tuple[int, int]:
    """The weight completed and the weight counted, from (weight, status, withdrawn) for
    each of a project's milestones; cancelled and withdrawn ones are not counted."""
    done = counted = 0
    for weight, status, withdrawn in milestones:
        if withdrawn or status in UNCOUNTED_MILESTONE_STATUSES:
            continue
        counted += weight
        if status == "completed":
            done += weight
    return done, counted


def milestone_percent(done_weight: int, counted_weight: int) -> int | None:
    """A project's milestone progress: the weighted share of its counted milestones that
    are completed, in whole per cent rounded down (so 100 only when all are done), or
    None when there is no milestone to count (never a misleading 0)."""
    if counted_weight <= 0:
        return None
    return min(done_weight, counted_weight) * 100 // counted_weight


# Project rating

GREEN, AMBER, RED = "green", "amber", "red"
RATINGS = (GREEN, AMBER, RED)
# Only what a published figure shows can make a project red.
RED_STATUSES = frozenset({Status.MISSED, Status.OFF_TRACK, Status.MOVING_AWAY})
AMBER_STATUSES = frozenset({Status.NEEDS_ACCELERATION, Status.STALE, Status.NOT_REPORTED})


def project_rating(
    assessments: Iterable[Assessment], overdue_milestones: int, open_milestones: int
) -> str:
    """The computed rating of a project, from its targets and its milestones:

    - red: a target is missed, off track or moving away, or more than half of the open
      milestones are overdue;
    - amber: otherwise, a target needs acceleration, is stale or is not reported (due
      and nothing published), or a milestone is overdue;
    - green: otherwise, when at least one target has data or there are milestones;
    - "" (unknown): no target has data and there are no milestones.

    A target not reported is a warning, never a failure: silence past the due date is
    a reason for concern (like stale data), but the tracker must not claim a failure
    that no published figure shows, so it never makes a project red.
    """
    statuses = {a.status for a in assessments}
    if statuses & RED_STATUSES or (open_milestones and overdue_milestones * 2 > open_milestones):
        return RED
    if statuses & AMBER_STATUSES or overdue_milestones:
        return AMBER
    if statuses - {Status.NO_DATA, Status.NOT_REPORTED} or open_milestones:
        return GREEN
    return ""


# Programme roll-ups


def value_on(points: Iterable[Point], on: dt.date) -> Decimal | None:
    """The latest value on or before a date."""
    known = [p for p in points if p.on <= on]
    return max(known, key=lambda p: p.on).value if known else None


def rollup_sum(series: Iterable[Iterable[Point]], on: dt.date) -> Decimal | None:
    """The sum of each series' latest value on or before `on`; None if none has one."""
    values = [v for v in (value_on(points, on) for points in series) if v is not None]
    return sum(values, Decimal(0)) if values else None


def rollup_series(series: Iterable[Iterable[Point]], dates: Iterable[dt.date]) -> list[Point]:
    """The roll-up at each date, for a chart and for assessing a programme target.

    One pass over all points in date order (the same as `rollup_sum` at each date,
    without rescanning every series for every date)."""
    events = sorted(
        (point.on, index, point.value) for index, points in enumerate(series) for point in points
    )
    latest: dict[int, Decimal] = {}
    result = []
    position = 0
    for on in sorted(set(dates)):
        while position < len(events) and events[position][0] <= on:
            _, index, value = events[position]
            latest[index] = value
            position += 1
        if latest:
            result.append(Point(on=on, value=sum(latest.values(), Decimal(0))))
    return result


def count_series(dates_identified: Iterable[dt.date]) -> list[Point]:
    """The running count of projects identified, one point per date.

    It starts at the first project identified: before that the public record names
    none, which is a statement about the record, never a measurement of 0."""
    result: list[Point] = []
    for count, on in enumerate(sorted(dates_identified), start=1):
        if result and result[-1].on == on:
            result[-1] = Point(on=on, value=Decimal(count))
        else:
            result.append(Point(on=on, value=Decimal(count)))
    return result


def count_rollup(dates_identified: Iterable[dt.date], today: dt.date) -> list[Point]:
    """What a "projects identified" target is assessed and drawn on, as of `today`.

    One point per date a project was identified up to today, and today's count as of
    today once at least one is identified (the count of the public record is current
    every day). With none identified there is no point at all: no zero is invented."""
    counted = count_series(on for on in dates_identified if on <= today)
    if counted and counted[-1].on < today:
        counted.append(Point(on=today, value=counted[-1].value))
    return counted
