"""Prepared queries (tracker.prepared): their SQL built once with stand-ins, then run
with real values, give what the queryset built with those values gives; a query that
would keep a value computed from a stand-in, or read related records, is refused."""

import datetime as dt
import random

import pytest
from django.db.models import Count, Max

from tests import factories
from tracker import prepared
from tracker.models import Milestone, MilestoneQuerySet
from tracker.public.views import DASHBOARD_LIST, DUE_SOON, DueMilestones

pytestmark = pytest.mark.django_db


def milestones_due(given: prepared.StandIn):
    programme, today, until = given.key(), given.date(), given.date()
    return (
        Milestone.objects.filter(programme=programme)
        .filter(MilestoneQuerySet.due_by_q(today, until))
        .with_slippage()
        .order_by("-planned_on", "pk")
    )


def some_milestone(project, planned_on: dt.date, rng: random.Random, **fields) -> Milestone:
    status = rng.choice(list(Milestone.Status))
    done = planned_on if status == Milestone.Status.COMPLETED else None
    return factories.MilestoneFactory(
        project=project, planned_on=planned_on, status=status, completed_on=done, **fields
    )


def seen(milestones) -> list[tuple]:
    """What a page reads of each: columns of every type, and the annotation."""
    return [
        (m.pk, m.title, m.planned_on, m.completed_on, m.weight, m.updated_at, m.first_planned_on)
        for m in milestones
    ]


def test_a_prepared_query_gives_what_its_queryset_gives_for_each_value():
    query = prepared.Prepared(milestones_due)
    projects = [factories.ProjectFactory() for _ in range(2)]
    rng = random.Random(7)
    for _ in range(30):
        milestone = some_milestone(
            rng.choice(projects), dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(400)), rng
        )
        if rng.random() < 0.3:  # a moved date: its first planned date differs
            milestone.planned_on += dt.timedelta(days=30)
            milestone.save()
    for project in projects:
        for today in (dt.date(2025, 12, 1), dt.date(2026, 6, 1), dt.date(2027, 3, 1)):
            until = today + dt.timedelta(days=90)
            expected = (
                Milestone.objects.filter(programme=project.programme)
                .filter(MilestoneQuerySet.due_by_q(today, until))
                .with_slippage()
                .order_by("-planned_on", "pk")
            )
            got = query(project.programme.pk, today, until)
            assert seen(got) == seen(expected)
            assert all(type(m) is Milestone for m in got)
    assert len(query.compiled) == 1  # built once (for the database, in English)


def test_a_value_computed_from_a_stand_in_is_refused():
    def derived(given: prepared.StandIn):
        today = given.date()
        return Milestone.objects.filter(MilestoneQuerySet.due_soon_q(today, DUE_SOON))

    with pytest.raises(ValueError, match="derived"):
        prepared.Prepared(derived)()


def test_a_stand_in_left_out_of_the_sql_is_refused():
    def unused(given: prepared.StandIn):
        given.date()
        return Milestone.objects.filter(programme=given.key())

    with pytest.raises(ValueError, match="did not reach"):
        prepared.Prepared(unused)(1, dt.date(2026, 1, 1))


def test_related_records_are_refused():
    def joined(given: prepared.StandIn):
        return Milestone.objects.filter(programme=given.key()).select_related("project")

    with pytest.raises(ValueError, match="related"):
        prepared.Prepared(joined)(1)


@pytest.mark.parametrize("reported_here", [True, False])
def test_the_dashboards_due_milestones_are_the_first_of_each_list(reported_here):
    """Overdue, due soon and neither, more than a list holds of each, with withdrawn and
    completed ones among them: the lists and counts the plain queries give."""
    project = factories.ProjectFactory(programme__progress_reported_here=reported_here)
    programme = project.programme
    today = dt.date(2026, 11, 28)
    rng = random.Random(11)
    for days in [range(-200, 0), range(0, 91), range(91, 300)] * 40:  # overdue, soon, later
        some_milestone(
            project,
            today + dt.timedelta(days=rng.choice(days)),
            rng,
            **(
                {"withdrawn_on": today, "withdrawal_reason": "Dropped"}
                if rng.random() < 0.1
                else {}
            ),
        )
    milestones = Milestone.objects.filter(programme=programme)
    overdue = MilestoneQuerySet.overdue_q(today)
    due_soon = MilestoneQuerySet.due_soon_q(today, DUE_SOON)
    counts = milestones.aggregate(
        overdue=Count("pk", filter=overdue),
        due_soon=Count("pk", filter=due_soon),
        latest=Max("updated_at"),
    )

    def first(kept):
        return seen(milestones.filter(kept).with_slippage().order_by("planned_on", "pk"))[
            :DASHBOARD_LIST
        ]

    due = DueMilestones.read(programme, [project], today)
    assert seen(due.overdue) == first(overdue)
    assert seen(due.due_soon) == first(due_soon)
    assert (due.overdue_count, due.due_soon_count, due.latest) == (
        counts["overdue"],
        counts["due_soon"],
        counts["latest"],
    )
    assert counts["due_soon"] > DASHBOARD_LIST
    assert (counts["overdue"] > DASHBOARD_LIST) is reported_here
    # Each is given the page's records, not read again.
    assert all(m.project is project and m.programme is programme for m in due.overdue)


def test_the_sql_is_built_for_each_language():
    """django-modeltranslation orders by the active language's column: a query built in
    English is not run for a page in Chinese."""
    from django.utils import translation

    query = prepared.Prepared(
        lambda given: Milestone.objects.filter(project=given.key()).order_by("title")
    )
    project = factories.ProjectFactory()
    factories.MilestoneFactory(project=project, title_en="A", title_zh_hans="2 乙")
    factories.MilestoneFactory(project=project, title_en="B", title_zh_hans="1 甲")
    with translation.override("en"):
        assert [m.title for m in query(project.pk)] == ["A", "B"]
    with translation.override("zh-hans"):
        assert [m.title for m in query(project.pk)] == ["1 甲", "2 乙"]
    built = [sql for _compiler, sql, _params, _places in query.compiled.values()]
    assert ['"title_en"' in sql.split("ORDER BY")[-1] for sql in built] == [True, False]
