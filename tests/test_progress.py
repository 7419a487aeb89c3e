"""The status rules, with worked numbers. No database: these are plain functions."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.progress import (
    Assessment,
    Lateness,
    Point,
    Status,
    assess,
    assess_range,
    count_rollup,
    count_series,
    days_late,
    forecast,
    milestone_lateness,
    project_rating,
    rollup_series,
    rollup_sum,
    slippage_days,
)

D = Decimal
START = dt.date(2020, 1, 1)
DUE = dt.date(2025, 1, 1)  # 1827 days after START
HALFWAY = START + dt.timedelta(days=(DUE - START).days // 2)  # 2022-07-02
BASE = Point(START, D(0))
HUNDRED = D(100)


def p(on: str, value) -> Point:
    return Point(dt.date.fromisoformat(on), D(value))


def run(measurements, today=HALFWAY, target=HUNDRED, comparator="at_least", baseline=BASE, **kw):
    return assess(
        baseline=baseline,
        target=target,
        due=DUE,
        comparator=comparator,
        measurements=measurements,
        today=today,
        **kw,
    )


# At HALFWAY the line expects 913/1827 of 100, about 49.97.
STATUS_CASES = {
    "achieved before the due date": ([p("2022-06-01", 100)], HALFWAY, Status.ACHIEVED),
    "achieved beyond the target": ([p("2022-06-01", 130)], HALFWAY, Status.ACHIEVED),
    "on track at the expected value": ([p("2022-07-01", 50)], HALFWAY, Status.ON_TRACK),
    "on track at ratio 0.95": ([p("2022-07-01", "47.48")], HALFWAY, Status.ON_TRACK),
    "needs acceleration just below 0.95": (
        [p("2022-07-01", "47.40")],
        HALFWAY,
        Status.NEEDS_ACCELERATION,
    ),
    "needs acceleration at 0.6": ([p("2022-07-01", "29.99")], HALFWAY, Status.NEEDS_ACCELERATION),
    "off track below 0.6": ([p("2022-07-01", "29.9")], HALFWAY, Status.OFF_TRACK),
    "off track with no progress": ([p("2022-07-01", 0)], HALFWAY, Status.OFF_TRACK),
    "moving away below the baseline": ([p("2022-07-01", -5)], HALFWAY, Status.MOVING_AWAY),
    "missed after the due date": ([p("2024-12-01", 90)], dt.date(2025, 6, 1), Status.MISSED),
    "no data before the first measurement": ([], HALFWAY, Status.NO_DATA),
    "not reported after the due date with nothing published": (
        [],
        dt.date(2025, 6, 1),
        Status.NOT_REPORTED,
    ),
    "stale when the newest value is old": ([p("2021-01-01", 30)], HALFWAY, Status.STALE),
}


@pytest.mark.parametrize("case", STATUS_CASES.values(), ids=STATUS_CASES.keys())
def test_each_status_with_worked_numbers(case):
    measurements, today, status = case
    assert run(measurements, today=today).status == status


def test_worked_example_from_the_methodology_page():
    """50 bn yuan over five years from 0; two years in, 15 bn is a ratio of 0.75."""
    a = assess(
        baseline=Point(dt.date(2020, 10, 14), D(0)),
        target=D("50e9"),
        due=dt.date(2025, 10, 14),
        comparator="at_least",
        measurements=[Point(dt.date(2022, 10, 14), D("15e9"))],
        today=dt.date(2022, 10, 14),
    )
    assert a.expected == pytest.approx(D("20e9"), rel=D("0.001"))
    assert a.ratio == pytest.approx(D("0.75"), rel=D("0.001"))
    assert a.status == Status.NEEDS_ACCELERATION


AFTER_DUE = dt.date(2025, 6, 1)
NO_LIMIT = {"stale_after": None}
ANY_AGE = {"stale_after": dt.timedelta(0)}  # every measurement older than today is stale
PRECEDENCE = {
    # (measurements, today, assess() keywords, expected status)
    "achieved beats missed": ([p("2025-03-01", 100)], AFTER_DUE, {}, Status.ACHIEVED),
    "achieved beats stale": ([p("2021-01-01", 100)], HALFWAY, {}, Status.ACHIEVED),
    "not reported beats no data": ([], AFTER_DUE, {}, Status.NOT_REPORTED),
    "not reported beats stale": ([], AFTER_DUE, ANY_AGE, Status.NOT_REPORTED),
    "a future measurement is not reported yet": (
        [p("2025-12-01", 100)],
        AFTER_DUE,
        {},
        Status.NOT_REPORTED,
    ),
    "missed beats stale": ([p("2021-01-01", 10)], AFTER_DUE, {}, Status.MISSED),
    "missed beats a good ratio": ([p("2024-12-31", 99)], AFTER_DUE, NO_LIMIT, Status.MISSED),
    "no data beats stale": ([p("2023-01-01", 60)], HALFWAY, ANY_AGE, Status.NO_DATA),
    "no data beats the ratio": ([p("2023-01-01", 60)], HALFWAY, {}, Status.NO_DATA),
    "stale beats a good ratio": ([p("2021-06-01", 90)], HALFWAY, {}, Status.STALE),
    "stale beats moving away": ([p("2021-06-01", -5)], HALFWAY, {}, Status.STALE),
    "the same values without a limit": ([p("2021-06-01", 90)], HALFWAY, NO_LIMIT, Status.ON_TRACK),
}


@pytest.mark.parametrize("case", PRECEDENCE.values(), ids=PRECEDENCE.keys())
def test_the_first_rule_that_holds_decides(case):
    measurements, today, keywords, status = case
    assert run(measurements, today=today, **keywords).status == status


def test_stale_limit_none_means_never_stale():
    assert run([p("2021-01-01", 20)], stale_after=None).status == Status.OFF_TRACK


def test_a_programme_can_set_its_own_staleness_limit():
    measurements = [p("2022-01-01", 48)]
    assert run(measurements, stale_after=dt.timedelta(days=90)).status == Status.STALE
    assert run(measurements, stale_after=dt.timedelta(days=365)).status == Status.ON_TRACK


AT_MOST = {
    # A value that must fall from 100 to 60.
    "falling as planned": ([p("2022-07-01", 80)], Status.ON_TRACK),
    "falling too slowly": ([p("2022-07-01", 90)], Status.OFF_TRACK),
    "rising instead": ([p("2022-07-01", 110)], Status.MOVING_AWAY),
    "already at the limit": ([p("2022-07-01", 60)], Status.ACHIEVED),
    "below the limit": ([p("2022-07-01", 40)], Status.ACHIEVED),
}


@pytest.mark.parametrize("case", AT_MOST.values(), ids=AT_MOST.keys())
def test_at_most_targets_for_a_value_that_must_fall(case):
    measurements, status = case
    result = run(measurements, target=D(60), comparator="at_most", baseline=Point(START, D(100)))
    assert result.status == status


def test_at_most_ratio_is_positive_when_falling_as_planned():
    result = run(
        [p("2022-07-02", 80)], target=D(60), comparator="at_most", baseline=p("2020-01-01", 100)
    )
    assert result.ratio == pytest.approx(D(1), rel=D("0.01"))


def test_at_most_worked_example_from_the_brief():
    """Must fall from 100 to 60 over 1000 days; at 80 halfway it is exactly on the line."""
    start = dt.date(2020, 1, 1)
    result = assess(
        baseline=Point(start, D(100)),
        target=D(60),
        due=start + dt.timedelta(days=1000),
        comparator="at_most",
        measurements=[Point(start + dt.timedelta(days=500), D(80))],
        today=start + dt.timedelta(days=500),
    )
    assert (result.expected, result.ratio, result.status) == (D(80), D(1), Status.ON_TRACK)


def test_a_baseline_on_the_due_date_expects_the_target_without_dividing_by_zero():
    result = run([p("2025-01-01", 96)], today=DUE, baseline=Point(DUE, D(0)))
    assert (result.expected, result.ratio, result.status) == (
        HUNDRED,
        D("0.96"),
        Status.ON_TRACK,
    )


def test_measurement_dated_in_the_future_is_ignored():
    result = run([p("2022-06-01", 48), p("2023-06-01", 100)])
    assert result.status == Status.ON_TRACK
    assert result.actual == D(48)
    assert run([p("2023-06-01", 100)]).status == Status.NO_DATA


def test_back_dated_measurement_is_taken_by_date_not_entry_order():
    entered = [p("2022-06-01", 48), p("2021-06-01", 20)]  # the older one entered last
    result = run(entered)
    assert (result.actual, result.as_of) == (D(48), dt.date(2022, 6, 1))


def test_a_correction_on_the_same_date_replaces_the_earlier_value():
    assert run([p("2022-06-01", 10), p("2022-06-01", 48)]).actual == D(48)


def test_no_time_elapsed_since_the_baseline_is_on_track_unless_moving_away():
    assert run([p("2020-01-01", 0)], today=START).status == Status.ON_TRACK
    assert run([p("2020-01-01", 0)], today=START).ratio is None
    assert run([p("2020-01-01", -1)], today=START).status == Status.MOVING_AWAY


def test_without_a_stated_baseline_the_first_measurement_is_the_baseline():
    measurements = [p("2020-01-01", 20), p("2022-07-01", 60)]
    result = run(measurements, baseline=None)
    # Expected at halfway from 20 to 100: about 60.
    assert result.status == Status.ON_TRACK
    # A single measurement is itself the baseline: no progress can be judged yet.
    only = run([p("2022-07-01", 40)], baseline=None)
    assert (only.status, only.ratio) == (Status.ON_TRACK, None)
    assert run([p("2020-01-01", 20), p("2022-07-01", 30)], baseline=None).status == (
        Status.OFF_TRACK
    )


def test_expected_value_is_clamped_to_the_line():
    before = run([p("2019-06-01", 0)], today=dt.date(2019, 6, 1))
    assert before.expected == D(0)
    after = run([p("2025-03-01", 80)], today=dt.date(2025, 3, 1))
    assert after.expected == D(100)


def test_due_range_is_assessed_at_both_ends():
    """Three to five years: behind for the three-year date, on track for the five."""
    kwargs = {
        "baseline": Point(dt.date(2020, 10, 14), D(0)),
        "target": D(50),
        "comparator": "at_least",
        "measurements": [Point(dt.date(2022, 10, 14), D(21))],
        "today": dt.date(2022, 10, 14),
    }
    final, earliest = assess_range(
        due_earliest=dt.date(2023, 10, 14), due=dt.date(2025, 10, 14), **kwargs
    )
    assert final.status == Status.ON_TRACK  # expected 20 by the five-year line
    assert earliest.status == Status.NEEDS_ACCELERATION  # expected 33.3 by the three-year line
    assert (final.due, earliest.due) == (dt.date(2025, 10, 14), dt.date(2023, 10, 14))
    single, none = assess_range(due_earliest=None, due=dt.date(2025, 10, 14), **kwargs)
    assert single == final and none is None


def test_forecast_is_where_the_trend_reaches_the_target():
    points = [p("2021-01-01", 10), p("2022-01-01", 20)]
    assert forecast(points, D(100), "at_least") == dt.date(2030, 1, 1) - dt.timedelta(days=2)
    assert run(points).forecast_on is not None


def test_forecast_says_not_at_the_current_rate():
    assert forecast([p("2021-01-01", 10), p("2022-01-01", 10)], D(100), "at_least") is None
    assert forecast([p("2021-01-01", 20), p("2022-01-01", 10)], D(100), "at_least") is None
    assert forecast([p("2021-01-01", 10)], D(100), "at_least") is None
    assert run([p("2022-01-01", 30)]).forecast_on is None


def test_achieved_target_has_no_forecast():
    assert run([p("2021-01-01", 50), p("2022-01-01", 100)]).forecast_on is None


# Milestones


@pytest.mark.parametrize(
    ("status", "planned", "completed", "reported_here", "lateness"),
    [
        ("planned", "2024-01-01", None, True, Lateness.OVERDUE),
        ("in_progress", "2024-01-01", None, True, Lateness.OVERDUE),
        ("planned", "2024-01-01", None, False, Lateness.NOT_REPORTED),
        ("planned", "2024-12-31", None, True, None),
        ("planned", "2024-12-31", None, False, None),
        ("completed", "2024-01-01", "2024-02-01", True, None),
        ("cancelled", "2024-01-01", None, False, None),
    ],
)
def test_milestone_lateness(status, planned, completed, reported_here, lateness):
    assert (
        milestone_lateness(
            planned_on=dt.date.fromisoformat(planned),
            completed_on=completed and dt.date.fromisoformat(completed),
            status=status,
            today=dt.date(2024, 6, 1),
            reported_here=reported_here,
        )
        is lateness
    )


SLIPPAGE = {
    # (first planned, planned now, forecast, completed, today, days)
    "on time": ("2024-06-01", "2024-06-01", None, "2024-06-01", "2024-07-01", 0),
    "completed early": ("2024-06-01", "2024-06-01", None, "2024-05-01", "2024-07-01", 0),
    "deadline moved later counts": ("2024-06-01", "2024-09-01", None, None, "2024-07-01", 92),
    "moved, then done on the new date": (
        "2024-06-01",
        "2024-09-01",
        None,
        "2024-09-01",
        "2024-10-01",
        92,
    ),
    "forecast beyond the plan": ("2024-06-01", "2024-06-01", "2024-06-11", None, "2024-05-01", 10),
    "open and overdue slips daily": ("2024-06-01", "2024-06-01", None, None, "2024-06-21", 20),
    "forecast earlier than the moved date": (
        "2024-06-01",
        "2024-09-01",
        "2024-08-01",
        None,
        "2024-07-01",
        61,
    ),
    "overdue with a forecast already past": (
        "2024-06-01",
        "2024-06-01",
        "2024-06-11",
        None,
        "2024-07-01",
        30,
    ),
}


@pytest.mark.parametrize("case", SLIPPAGE.values(), ids=SLIPPAGE.keys())
def test_slippage_is_measured_from_the_first_planned_date(case):
    first, planned, forecast_on, completed, today, days = case
    iso = dt.date.fromisoformat
    assert (
        slippage_days(
            first_planned_on=iso(first),
            planned_on=iso(planned),
            forecast_on=forecast_on and iso(forecast_on),
            completed_on=completed and iso(completed),
            today=iso(today),
        )
        == days
    )


def test_days_late_for_milestones_completed_after_their_date():
    assert days_late(planned_on=dt.date(2024, 6, 1), completed_on=dt.date(2024, 6, 15)) == 14
    assert days_late(planned_on=dt.date(2024, 6, 1), completed_on=dt.date(2024, 5, 15)) is None
    assert days_late(planned_on=dt.date(2024, 6, 1), completed_on=None) is None


# Project rating


def a(status: Status) -> Assessment:
    return Assessment(status=status, due=DUE)


RATINGS = {
    "all on track": ([Status.ON_TRACK, Status.ACHIEVED], 0, 3, "green"),
    "milestones only, none overdue": ([], 0, 2, "green"),
    "one needs acceleration": ([Status.ON_TRACK, Status.NEEDS_ACCELERATION], 0, 0, "amber"),
    "stale data": ([Status.STALE], 0, 0, "amber"),
    "one milestone overdue of four": ([Status.ON_TRACK], 1, 4, "amber"),
    "a missed target": ([Status.ON_TRACK, Status.MISSED], 0, 0, "red"),
    "off track": ([Status.OFF_TRACK], 0, 0, "red"),
    "moving away": ([Status.MOVING_AWAY], 0, 0, "red"),
    "most milestones overdue": ([Status.ON_TRACK], 3, 4, "red"),
    "half the milestones overdue is amber": ([], 2, 4, "amber"),
    "nothing to go on": ([Status.NO_DATA], 0, 0, ""),
    "not reported is a warning": ([Status.NOT_REPORTED], 0, 0, "amber"),
    "not reported beside on track": ([Status.ON_TRACK, Status.NOT_REPORTED], 0, 3, "amber"),
    "a missed target still makes it red": ([Status.NOT_REPORTED, Status.MISSED], 0, 0, "red"),
    "no targets and no milestones": ([], 0, 0, ""),
}


@pytest.mark.parametrize("case", RATINGS.values(), ids=RATINGS.keys())
def test_project_rating(case):
    statuses, overdue, open_milestones, rating = case
    assert project_rating([a(s) for s in statuses], overdue, open_milestones) == rating


# Roll-ups


def test_rollup_sum_adds_each_projects_latest_value_by_date():
    first = [p("2022-01-01", 10), p("2022-06-01", 30)]
    second = [p("2022-03-01", 5)]
    assert rollup_sum([first, second], dt.date(2022, 2, 1)) == D(10)
    assert rollup_sum([first, second], dt.date(2022, 7, 1)) == D(35)
    assert rollup_sum([first, second], dt.date(2021, 1, 1)) is None


def test_rollup_series_gives_a_point_per_date_for_a_chart():
    first = [p("2022-01-01", 10), p("2022-06-01", 30)]
    second = [p("2022-03-01", 5)]
    dates = [pt.on for pt in first + second]
    assert rollup_series([first, second], dates) == [
        p("2022-01-01", 10),
        p("2022-03-01", 15),
        p("2022-06-01", 35),
    ]


def test_due_range_with_nothing_published_is_not_reported_at_each_end_as_it_passes():
    """Three to five years with no measurement: no data, then not reported at the
    three-year date, then at the five-year date too; never missed."""
    kwargs = {
        "baseline": Point(dt.date(2020, 10, 14), D(0)),
        "target": D("50e9"),
        "comparator": "at_least",
        "measurements": [],
        "due_earliest": dt.date(2023, 10, 14),
        "due": dt.date(2025, 10, 14),
    }
    ends = {
        dt.date(2023, 10, 14): (Status.NO_DATA, Status.NO_DATA),  # due on the day, not past
        dt.date(2023, 10, 15): (Status.NO_DATA, Status.NOT_REPORTED),
        dt.date(2025, 10, 15): (Status.NOT_REPORTED, Status.NOT_REPORTED),
    }
    for today, (final_status, earliest_status) in ends.items():
        final, earliest = assess_range(today=today, **kwargs)
        assert (final.status, earliest.status) == (final_status, earliest_status), today
        assert final.actual is None and earliest.actual is None


def test_due_range_with_a_short_measurement_is_missed_at_each_end_as_it_passes():
    """The same range with 20 bn published: missed needs that figure."""
    kwargs = {
        "baseline": Point(dt.date(2020, 10, 14), D(0)),
        "target": D(50),
        "comparator": "at_least",
        "measurements": [Point(dt.date(2023, 1, 1), D(20))],
        "due_earliest": dt.date(2023, 10, 14),
        "due": dt.date(2025, 10, 14),
        "stale_after": None,
    }
    final, earliest = assess_range(today=dt.date(2024, 1, 1), **kwargs)
    assert earliest.status == Status.MISSED and final.status != Status.MISSED
    final, earliest = assess_range(today=dt.date(2026, 1, 1), **kwargs)
    assert (final.status, earliest.status) == (Status.MISSED, Status.MISSED)


def test_count_rollup_of_nothing_identified_is_not_reported_after_its_due_dates():
    """The real programme: 10 projects due in three to five years, none identified."""
    today = dt.date(2026, 11, 28)
    series = count_rollup([], today)
    assert series == [], "no invented zero"
    final, earliest = assess_range(
        baseline=Point(dt.date(2020, 10, 14), D(0)),
        target=D(10),
        comparator="at_least",
        measurements=series,
        due_earliest=dt.date(2023, 10, 14),
        due=dt.date(2025, 10, 14),
        today=today,
    )
    assert (final.status, earliest.status) == (Status.NOT_REPORTED, Status.NOT_REPORTED)
    assert final.actual is None and final.as_of is None and final.forecast_on is None


def test_count_rollup_starts_at_the_first_project_identified_after_the_baseline():
    identified = [dt.date(2022, 3, 1), dt.date(2023, 5, 1), dt.date(2023, 5, 1)]
    series = count_rollup(identified + [dt.date(2027, 1, 1)], dt.date(2024, 1, 1))
    assert series == [p("2022-03-01", 1), p("2023-05-01", 3), p("2024-01-01", 3)]
    a = assess(
        baseline=Point(dt.date(2020, 10, 14), D(0)),
        target=D(10),
        due=dt.date(2025, 10, 14),
        comparator="at_least",
        measurements=series,
        today=dt.date(2024, 1, 1),
    )
    assert (a.actual, a.as_of) == (D(3), dt.date(2024, 1, 1))
    assert a.status == Status.OFF_TRACK  # 3 of about 6.6 expected by then
    # Before the first project is identified the count has no value at all.
    assert count_rollup(identified, dt.date(2022, 2, 28)) == []
    assert count_rollup(identified, dt.date(2022, 3, 1)) == [p("2022-03-01", 1)]


def test_count_series_counts_projects_identified_by_date():
    dates = [dt.date(2021, 5, 1), dt.date(2021, 1, 1), dt.date(2021, 5, 1)]
    assert count_series(dates) == [p("2021-01-01", 1), p("2021-05-01", 3)]
    assert count_series([]) == []


# Properties

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1))
values = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    elapsed=st.integers(min_value=1, max_value=(DUE - START).days),
    low=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    high=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
)
def test_ratio_grows_with_the_actual_value(elapsed, low, high):
    # Between the baseline and the due date, below a target no value reaches,
    # the ratio is always defined, so every example compares two ratios.
    low, high = sorted((low, high))
    today = START + dt.timedelta(days=elapsed)

    def ratio(value: Decimal) -> Decimal:
        return assess(
            baseline=BASE,
            target=D("2e9"),
            due=DUE,
            comparator="at_least",
            measurements=[Point(today, value)],
            today=today,
        ).ratio

    assert ratio(high) >= ratio(low)


@settings(max_examples=60, deadline=None)
@given(
    target=values,
    excess=values,
    measured_on=dates,
    today=dates,
    comparator=st.sampled_from(["at_least", "at_most"]),
)
def test_a_target_met_is_achieved_whatever_the_date(target, excess, measured_on, today, comparator):
    measured_on, today = sorted((measured_on, today))
    value = target + excess if comparator == "at_least" else target - excess
    result = assess(
        baseline=BASE,
        target=target,
        due=DUE,
        comparator=comparator,
        measurements=[Point(measured_on, value)],
        today=today,
    )
    assert result.status == Status.ACHIEVED
    assert result.forecast_on is None


@settings(max_examples=80, deadline=None)
@given(
    shift=st.integers(min_value=-3000, max_value=3000),
    offsets=st.lists(st.integers(min_value=-400, max_value=2500), max_size=5),
    measured=st.lists(values, min_size=5, max_size=5),
    today_offset=st.integers(min_value=-400, max_value=2500),
    comparator=st.sampled_from(["at_least", "at_most"]),
)
def test_shifting_every_date_by_the_same_amount_changes_no_status(
    shift, offsets, measured, today_offset, comparator
):
    def status(delta: int) -> Status:
        move = dt.timedelta(days=delta)
        return assess(
            baseline=Point(START + move, D(500)),
            target=D(1000) if comparator == "at_least" else D(100),
            due=DUE + move,
            comparator=comparator,
            measurements=[
                Point(START + dt.timedelta(days=o) + move, v)
                for o, v in zip(offsets, measured, strict=False)
            ],
            today=START + dt.timedelta(days=today_offset) + move,
        ).status

    assert status(shift) == status(0)


@settings(max_examples=60, deadline=None)
@given(
    start=dates,
    step=st.integers(min_value=1, max_value=100),
    per_day=st.integers(min_value=1, max_value=1000),
    count=st.integers(min_value=2, max_value=6),
    days_to_target=st.integers(min_value=1, max_value=5000),
    comparator=st.sampled_from(["at_least", "at_most"]),
)
def test_forecast_of_points_on_an_exact_line_is_the_crossing_date(
    start, step, per_day, count, days_to_target, comparator
):
    # A rising line for at_least, a falling one for at_most.
    sign = 1 if comparator == "at_least" else -1
    points = [
        Point(start + dt.timedelta(days=i * step), D(sign * per_day * i * step))
        for i in range(count)
    ]
    target = D(sign * per_day * days_to_target)
    assert forecast(points, target, comparator) == start + dt.timedelta(days=days_to_target)


def least_squares_crossing(points, target, comparator):
    """The forecast worked out the textbook way, in exact fractions, to check the
    whole-number arithmetic the tracker uses against."""
    from fractions import Fraction
    from math import ceil

    xs = [Fraction((point.on - points[0].on).days) for point in points]
    ys = [Fraction(point.value) for point in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    if slope == 0 or (slope < 0) == (comparator == "at_least"):
        return None
    intercept = mean_y - slope * mean_x
    return points[0].on + dt.timedelta(days=ceil((Fraction(target) - intercept) / slope))


@settings(max_examples=200, deadline=None)
@given(
    measured=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=4000),
            st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False),
        ),
        min_size=2,
        max_size=12,
    ),
    target=st.decimals(min_value=0, max_value=10**13, places=4, allow_nan=False),
    comparator=st.sampled_from(["at_least", "at_most"]),
)
def test_forecast_equals_the_exact_least_squares_crossing(measured, target, comparator):
    points = [Point(START + dt.timedelta(days=day), value) for day, value in measured]
    try:
        expected = least_squares_crossing(points, target, comparator)
    except OverflowError:
        expected = None
    assert forecast(points, target, comparator) == expected


@settings(max_examples=150, deadline=None)
@given(
    baseline_on=dates,
    years=st.integers(min_value=1, max_value=4),
    extra=st.integers(min_value=1, max_value=2000),
    measured=st.lists(st.tuples(dates, values), max_size=4),
    today=dates,
    comparator=st.sampled_from(["at_least", "at_most"]),
)
def test_after_a_due_date_missed_needs_a_measurement_at_both_ends_of_a_range(
    baseline_on, years, extra, measured, today, comparator
):
    earliest_due = baseline_on + dt.timedelta(days=365 * years)
    final_due = earliest_due + dt.timedelta(days=extra)
    points = [Point(on, value) for on, value in measured]
    published = [point for point in points if point.on <= today]
    final, earliest = assess_range(
        baseline=Point(baseline_on, D(500)),
        target=D(1000) if comparator == "at_least" else D(100),
        comparator=comparator,
        measurements=points,
        due_earliest=earliest_due,
        due=final_due,
        today=today,
    )
    for result in (final, earliest):
        if today > result.due and not published:
            assert result.status == Status.NOT_REPORTED
        if result.status == Status.MISSED:
            assert published and today > result.due
        if result.status == Status.NOT_REPORTED:
            assert not published and today > result.due
            assert result.actual is None
        if today <= result.due and not published:
            assert result.status == Status.NO_DATA


@settings(max_examples=150, deadline=None)
@given(identified=st.lists(dates, max_size=12), baseline_on=dates, today=dates)
def test_a_count_rollup_never_invents_a_point(identified, baseline_on, today):
    series = count_rollup(identified, today)
    known = sorted(on for on in identified if on <= today)
    if not known:
        assert series == []
    else:
        assert series[0] == Point(known[0], D(known.count(known[0])))
        assert series[-1] == Point(today, D(len(known)))
    assert all(point.value > 0 and point.on <= today for point in series)
    assert [point.on for point in series] == sorted({point.on for point in series})
    # Assessed against a baseline of 0, whenever it was: nothing identified is no value.
    result = assess(
        baseline=Point(baseline_on, D(0)),
        target=D(10),
        due=max(baseline_on, today) + dt.timedelta(days=1),
        comparator="at_least",
        measurements=series,
        today=today,
    )
    assert (result.actual is None) == (not known)
