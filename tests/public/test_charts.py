"""Target charts: every coordinate inside the view box (one measurement, one after the
due date, no baseline, a count), a date axis, the unit on the vertical axis, steps for a
count, and valid HTML."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from tests import factories
from tests.helpers import vnu_errors
from tracker.models import Target

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
COORDINATES = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy")


def chart_svg(client, target: Target) -> ET.Element:
    """The target page's chart, parsed."""
    html = client.get(target.get_absolute_url()).content.decode()
    found = re.search(r"<svg .*?</svg>", html, re.S)
    assert found, "the target page draws a chart"
    return ET.fromstring(found.group(0))  # noqa: S314 (our own page)


def outside_view_box(svg: ET.Element) -> list[str]:
    """Every coordinate of every element that falls outside the view box."""
    _x, _y, width, height = (float(n) for n in svg.attrib["viewBox"].split())
    outside = []
    for element in svg.iter():
        numbers = []
        for name in COORDINATES:
            if name in element.attrib:
                numbers.append((name, float(element.attrib[name])))
        for index, number in enumerate(NUMBER.findall(element.attrib.get("points", ""))):
            numbers.append(("x" if index % 2 == 0 else "y", float(number)))
        for name, number in numbers:
            limit = width if name.startswith(("x", "cx")) else height
            if not 0 <= number <= limit:
                outside.append(f"<{element.tag} {name}={number}>")
    return outside


def date_labels(svg: ET.Element) -> list[str]:
    bottom = float(svg.attrib["viewBox"].split()[3])
    return [
        t.text or ""
        for t in svg.iter("text")
        if t.get("class") == "tick" and float(t.attrib["y"]) > bottom - 24
    ]


def polyline_points(svg: ET.Element, kind: str) -> list[tuple[float, float]]:
    line = next(p for p in svg.iter("polyline") if p.get("class") == f"line-{kind}")
    numbers = [float(n) for n in NUMBER.findall(line.attrib["points"])]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def unbased(**kwargs) -> Target:
    return factories.TargetFactory(baseline_value=None, baseline_on=None, **kwargs)


@pytest.mark.django_db
def test_one_measurement_alone_stays_inside_and_keeps_its_date_axis(client, today):
    target = unbased(due_on=dt.date(2027, 12, 31))
    factories.MeasurementFactory(target=target, as_of=dt.date(2026, 3, 1))
    svg = chart_svg(client, target)
    assert not outside_view_box(svg)
    assert len(date_labels(svg)) >= 2, "the date axis is labelled"
    assert polyline_points(svg, "expected")[0][0] < polyline_points(svg, "expected")[1][0]


@pytest.mark.django_db
def test_one_measurement_after_the_due_date_stays_inside(client, today):
    target = unbased(due_on=dt.date(2025, 12, 31))
    factories.MeasurementFactory(target=target, as_of=dt.date(2026, 6, 30))
    svg = chart_svg(client, target)
    assert not outside_view_box(svg)
    assert len(date_labels(svg)) >= 2, "the date axis is labelled"
    kinds = {p.get("class") for p in svg.iter("polyline")}
    assert "line-expected" not in kinds, "no path is expected from after the due date"
    due = next(line for line in svg.iter("line") if line.get("class") == "due-mark")
    dot = next(svg.iter("circle"))
    assert float(due.attrib["x1"]) < float(dot.attrib["cx"]), "the due date comes first"


@pytest.mark.django_db
def test_one_measurement_after_the_due_date_with_a_baseline_stays_inside(client, today):
    target = factories.TargetFactory(baseline_on=dt.date(2024, 1, 1), due_on=dt.date(2025, 6, 30))
    factories.MeasurementFactory(target=target, as_of=dt.date(2026, 9, 1))
    svg = chart_svg(client, target)
    assert not outside_view_box(svg)
    assert date_labels(svg) == ["2024", "2025", "2026"]


@pytest.mark.django_db
def test_several_measurements_without_a_baseline_stay_inside(client, today):
    target = unbased(due_on=dt.date(2028, 12, 31))
    for on, value in ((dt.date(2023, 5, 1), 2), (dt.date(2024, 8, 1), 5), (today, 9)):
        factories.MeasurementFactory(target=target, as_of=on, value=Decimal(value) * 10**8)
    svg = chart_svg(client, target)
    assert not outside_view_box(svg)
    assert date_labels(svg)[:2] == ["2024", "2025"]


@pytest.mark.django_db
def test_money_chart_names_its_currency_on_the_vertical_axis(client, today):
    target = factories.TargetFactory(currency="USD")
    factories.MeasurementFactory(target=target, as_of=dt.date(2024, 1, 1))
    svg = chart_svg(client, target)
    texts = [t.text for t in svg.iter("text")]
    assert "US Dollar" in texts
    assert "US$1 billion" in texts, "the top tick is the target in its currency"
    assert "US Dollar" in (svg.find("desc").text or "")


@pytest.mark.django_db
def test_count_chart_draws_steps_with_its_unit(client, today):
    target = factories.TargetFactory(
        kind=Target.Kind.COUNT,
        currency="",
        unit="charging stations",
        target_value=Decimal(10),
        due_on=dt.date(2027, 12, 31),
    )
    for on, value in ((dt.date(2022, 3, 1), 2), (dt.date(2024, 9, 1), 5)):
        factories.MeasurementFactory(target=target, as_of=on, value=Decimal(value))
    svg = chart_svg(client, target)
    assert not outside_view_box(svg)
    assert "charging stations" in [t.text for t in svg.iter("text")]
    measured = polyline_points(svg, "measured")
    # Level from the first count to the date of the second, then up, then level to today.
    assert len(measured) == 4
    assert measured[0][1] == measured[1][1] and measured[1][0] == measured[2][0]
    assert measured[2][1] == measured[3][1] and measured[3][0] > measured[2][0]
    ticks = [t.text for t in svg.iter("text") if t.get("text-anchor") == "end"]
    assert ticks[:3] == ["0", "5", "10"], "whole counts on the axis"


@pytest.mark.django_db
def test_charts_in_hard_cases_are_valid_html(client, today, tmp_path):
    after_due = unbased(due_on=dt.date(2025, 12, 31))
    factories.MeasurementFactory(target=after_due, as_of=dt.date(2026, 6, 30))
    count = factories.TargetFactory(kind=Target.Kind.COUNT, currency="", unit="sites")
    factories.MeasurementFactory(target=count, value=Decimal(3))
    pages = {}
    for target in (after_due, count):
        pages[target.get_absolute_url()] = client.get(target.get_absolute_url())
        project = target.project
        pages[project.get_absolute_url()] = client.get(project.get_absolute_url())
    assert not vnu_errors(pages, tmp_path)
