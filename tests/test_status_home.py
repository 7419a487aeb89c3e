"""Status has one home: the same verdict, value and colour wherever it is shown."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories
from tests.helpers import page_text
from tracker import progress
from tracker.models import Target

STYLESHEET = Path(settings.BASE_DIR) / "static" / "tracker" / "site.css"


def solid(tone: str) -> str:
    """A tone's solid colour as the stylesheet writes it."""
    found = re.search(rf"--{tone}-solid:\s*(#[0-9a-fA-F]+);", STYLESHEET.read_text())
    assert found, f"the stylesheet defines --{tone}-solid"
    return found.group(1)


@pytest.fixture
def missed_count(db, today):
    """A count target of 12,500 projects, due last year, reached only in part."""
    project = factories.ProjectFactory()
    target = factories.TargetFactory(
        project=project,
        programme=project.programme,
        kind=Target.Kind.COUNT,
        currency="",
        unit_en="projects",
        target_value=Decimal(12500),
        baseline_value=Decimal(0),
        baseline_on=dt.date(2020, 1, 1),
        due_on=dt.date(2025, 1, 1),
    )
    factories.MeasurementFactory(target=target, as_of=dt.date(2024, 6, 1), value=Decimal(6250))
    return target


def test_a_missed_target_is_red_alike_on_its_page_and_its_badge(client, missed_count):
    target = missed_count
    html = client.get(target.get_absolute_url()).content.decode()
    assert 'class="status status-missed" data-tone="bad"' in html
    css = STYLESHEET.read_text()
    assert re.search(r'\[data-tone="bad"\][^}]*var\(--bad-fill\)', css), "the page's red"

    badge = client.get(f"/badges/{target.programme.slug}/targets/{target.pk}.svg")
    svg = badge.content.decode()
    assert "Missed" in svg
    assert f'fill="{solid("bad")}"' in svg, "the badge's red is the stylesheet's"


def test_a_project_rating_badge_takes_its_tone_from_the_stylesheet(client, missed_count):
    project = missed_count.project
    svg = client.get(f"/badges/{project.programme.slug}/projects/{project.slug}.svg")
    assert "Red: off course" in svg.content.decode()
    assert f'fill="{solid("bad")}"' in svg.content.decode()
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'class="rating rating-red" data-tone="bad">Red: off course<' in page


def test_a_target_value_reads_the_same_on_its_page_badge_admin_and_change_log(
    client, admin_client, missed_count
):
    target = missed_count
    page = page_text(client.get(target.get_absolute_url()))
    assert "At least 12,500 projects" in page
    assert "6,250 projects" in page

    badge = client.get(f"/badges/{target.programme.slug}/targets/{target.pk}.svg")
    assert "50% of 12,500 projects" in badge.content.decode()

    admin = admin_client.get(reverse("admin:tracker_target_changelist")).content.decode()
    assert "12,500 projects" in admin
    measurements = admin_client.get(reverse("admin:tracker_measurement_changelist"))
    assert "6,250 projects" in measurements.content.decode()

    target.target_value = Decimal(15000)
    target._change_reason = "Raised by the 2025 plan."
    target.save()
    changes = page_text(client.get(f"/en/programmes/{target.programme.slug}/changes/"))
    assert "12,500 projects" in changes and "15,000 projects" in changes


@pytest.mark.django_db
def test_an_overdue_milestone_is_marked_alike_on_its_page_list_and_table(client, today):
    milestone = factories.MilestoneFactory(
        title_en="Pilot running", planned_on=today - dt.timedelta(days=3)
    )
    programme = milestone.programme
    badge = 'class="status status-missed" data-tone="bad">'
    detail = client.get(milestone.get_absolute_url()).content.decode()
    assert badge + "Planned · Overdue<" in detail
    table = client.get(f"/en/programmes/{programme.slug}/milestones/").content.decode()
    assert badge + "Planned · Overdue<" in table
    dashboard = client.get(f"/en/programmes/{programme.slug}/").content.decode()
    assert badge + "Overdue<" in dashboard


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([("2023-01-01", 40), ("2024-01-01", 30)], True),  # heading away from the target
        ([("2023-01-01", 40), ("2024-01-01", 40)], True),  # flat
        ([("2023-01-01", 40), ("2024-01-01", 60)], False),  # reaches it at some date
        ([("2024-01-01", 40)], False),  # one measurement: no trend to read
        ([("2023-01-01", 40), ("2024-01-01", 100)], False),  # achieved
    ],
)
def test_not_at_the_current_rate_is_said_only_of_a_trend_that_never_arrives(values, expected):
    points = [progress.Point(dt.date.fromisoformat(on), Decimal(v)) for on, v in values]
    today = dt.date(2024, 6, 1)
    assessment = progress.assess(
        baseline=progress.Point(dt.date(2022, 1, 1), Decimal(0)),
        target=Decimal(100),
        due=dt.date(2030, 1, 1),
        comparator=progress.AT_LEAST,
        measurements=points,
        today=today,
    )
    assert progress.not_at_current_rate(assessment, points, today) is expected
