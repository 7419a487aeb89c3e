"""The milestone windows (overdue, due soon) read alike on every page and in the API."""

import datetime as dt

import pytest

from tests import factories
from tests.helpers import page_text, table_text


@pytest.fixture
def late_and_withdrawn(db, today):
    """One open overdue milestone, and one that would be overdue had it not been withdrawn;
    the same pair due within 30 days."""
    project = factories.ProjectFactory()
    for title, planned_on in (
        ("Late and open", today - dt.timedelta(days=20)),
        ("Soon and open", today + dt.timedelta(days=10)),
    ):
        factories.MilestoneFactory(project=project, title_en=title, planned_on=planned_on)
    for title, planned_on in (
        ("Late but withdrawn", today - dt.timedelta(days=30)),
        ("Soon but withdrawn", today + dt.timedelta(days=5)),
    ):
        factories.MilestoneFactory(
            project=project,
            title_en=title,
            planned_on=planned_on,
            withdrawn_on=today - dt.timedelta(days=1),
            withdrawal_reason="Merged into another milestone.",
        )
    return project.programme


def test_withdrawn_overdue_milestone_is_absent_from_dashboard_table_filter_and_api(
    client, late_and_withdrawn
):
    slug = late_and_withdrawn.slug

    dashboard = page_text(client.get(f"/en/programmes/{slug}/"))
    overdue = dashboard.split("Overdue", 1)[1].split("Due in the next 90 days", 1)[0]
    assert "Late and open" in overdue
    assert "Late but withdrawn" not in overdue

    table = table_text(client.get(f"/en/programmes/{slug}/milestones/?window=overdue"))
    assert "Late and open" in table
    assert "Late but withdrawn" not in table

    api = client.get(f"/api/v1/programmes/{slug}/milestones?window=overdue").json()
    assert [m["title"]["en"] for m in api["items"]] == ["Late and open"]


def test_withdrawn_milestone_due_soon_is_absent_from_the_table_filter_and_the_api(
    client, late_and_withdrawn
):
    slug = late_and_withdrawn.slug

    table = table_text(client.get(f"/en/programmes/{slug}/milestones/?window=30"))
    assert "Soon and open" in table
    assert "Soon but withdrawn" not in table

    api = client.get(f"/api/v1/programmes/{slug}/milestones?window=30").json()
    assert [m["title"]["en"] for m in api["items"]] == ["Soon and open"]


def test_withdrawn_milestone_stays_on_record_without_a_window(client, late_and_withdrawn):
    slug = late_and_withdrawn.slug
    table = table_text(client.get(f"/en/programmes/{slug}/milestones/"))
    assert "Late but withdrawn" in table, "withdrawn, not deleted: the public has seen it"
    api = client.get(f"/api/v1/programmes/{slug}/milestones").json()
    assert "Late but withdrawn" in [m["title"]["en"] for m in api["items"]]
