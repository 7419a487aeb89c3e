"""The status rules as the pages, the admin and the public read them from the database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tracker import progress, status
from tracker.models import Milestone, Programme, Project, Target

TODAY = dt.date(2024, 7, 1)


def assess_directly(target: Target, today: dt.date) -> progress.Assessment:
    """The rules applied to rows read one by one, without the querysets' prefetching."""
    points = [
        progress.Point(on=on, value=value)
        for on, value in target.measurements.values_list("as_of", "value")
    ]
    return progress.assess(
        baseline=target.baseline,
        target=target.target_value,
        due=target.due_on,
        comparator=target.comparator,
        measurements=points,
        today=today,
        stale_after=dt.timedelta(days=target.programme.stale_after_days),
    )


def build_projects(programme: Programme, count: int) -> None:
    """Projects in every state: on track, behind, stale, without data, slipping."""
    for index in range(count):
        project = factories.ProjectFactory(programme=programme)
        target = factories.TargetFactory(
            project=project,
            programme=programme,
            target_value=Decimal(1000),
            baseline_on=dt.date(2022, 1, 1),
            due_on=dt.date(2026, 1, 1),
        )
        share = Decimal([0, "0.3", "0.7", "1.0", "2"][index % 5])
        for months in (6, 12, 24, 29):
            on = dt.date(2022, 1, 1) + dt.timedelta(days=30 * months)
            if index % 7 == 3 and months > 6:
                break  # stale: nothing after the first half year
            factories.MeasurementFactory(
                target=target, as_of=on, value=(Decimal(250) * months / 12 * share).quantize(1)
            )
        milestone = factories.MilestoneFactory(
            project=project, programme=programme, planned_on=dt.date(2024, 3, 1)
        )
        if index % 2:
            milestone.planned_on = dt.date(2024, 9, 1)
            milestone.save()
        if index % 3 == 0:
            factories.MilestoneFactory(
                project=project, programme=programme, planned_on=dt.date(2024, 5, 1)
            )


@pytest.mark.django_db
def test_project_querysets_match_the_rules_for_every_project_in_fixed_queries(
    django_assert_num_queries,
):
    programme = factories.ProgrammeFactory()
    build_projects(programme, 4)
    with CaptureQueriesContext(connection) as small:
        list(Project.objects.with_status(TODAY))
    build_projects(programme, 16)

    with django_assert_num_queries(len(small)):
        projects = list(Project.objects.with_status(TODAY))
        ratings = {p.pk: status.project_rating(p, TODAY) for p in projects}
        statuses = {
            t.pk: status.assess_range(t, TODAY)[0].status for p in projects for t in p.targets.all()
        }

    assert len(projects) == 20
    for project in Project.objects.all():
        direct = [assess_directly(t, TODAY) for t in Target.objects.filter(project=project)]
        milestones = [m for m in Milestone.objects.filter(project=project) if m.is_open]
        overdue = sum(m.planned_on < TODAY for m in milestones)
        assert ratings[project.pk] == progress.project_rating(direct, overdue, len(milestones))
        for target, assessment in zip(Target.objects.filter(project=project), direct, strict=True):
            assert statuses[target.pk] == assessment.status
    # The data covers every verdict the pages must show.
    assert set(ratings.values()) >= {"green", "amber", "red"}
    assert set(statuses.values()) >= {
        progress.Status.ON_TRACK,
        progress.Status.OFF_TRACK,
        progress.Status.STALE,
        progress.Status.ACHIEVED,
    }


@pytest.mark.django_db
def test_programme_rollups_add_the_projects_and_count_them(django_assert_max_num_queries):
    programme = factories.ProgrammeFactory(announced_on=dt.date(2021, 1, 1))
    total = factories.ProgrammeTargetFactory(
        programme=programme,
        rollup=Target.Rollup.SUM,
        target_value=Decimal(3000),
        baseline_on=dt.date(2022, 1, 1),
        due_on=dt.date(2026, 1, 1),
    )
    identified = factories.ProgrammeTargetFactory(
        programme=programme,
        rollup=Target.Rollup.COUNT_PROJECTS,
        kind=Target.Kind.COUNT,
        currency="",
        target_value=Decimal(10),
        baseline_on=dt.date(2021, 1, 1),
        due_on=dt.date(2026, 1, 1),
    )
    values = [(dt.date(2023, 1, 1), 400, 300), (dt.date(2024, 1, 1), 900, 700)]
    for number, (identified_on, column) in enumerate(
        [(dt.date(2022, 6, 1), 1), (dt.date(2023, 3, 1), 2)]
    ):
        project = factories.ProjectFactory(programme=programme, identified_on=identified_on)
        target = factories.TargetFactory(project=project, programme=programme)
        for on, *amounts in values:
            factories.MeasurementFactory(target=target, as_of=on, value=amounts[column - 1])
        # A target in another currency is not added to the yuan total.
        if number == 0:
            factories.MeasurementFactory(
                target=factories.TargetFactory(
                    project=project, programme=programme, currency="USD"
                ),
                as_of=dt.date(2024, 1, 1),
                value=Decimal(99999),
            )
    factories.ProjectFactory(
        programme=programme,
        identified_on=dt.date(2023, 6, 1),
        lifecycle_status=Project.Lifecycle.CANCELLED,
    )

    # The programme, its headline targets and their measurements, its projects, their
    # targets, measurements and milestones: seven, however many projects there are.
    with django_assert_max_num_queries(7):
        loaded = Programme.objects.with_status().get(pk=programme.pk)
        headline = {item.target.pk: item for item in status.headline(loaded, TODAY)}

    assert status.rollup_value(programme, total, dt.date(2023, 6, 1)) == Decimal(700)
    assert headline[total.pk].final.actual == Decimal(1600)
    assert headline[total.pk].final.as_of == dt.date(2024, 1, 1)
    assert status.rollup_value(programme, identified, dt.date(2022, 12, 31)) == Decimal(1)
    assert headline[identified.pk].final.actual == Decimal(2), "the cancelled one is not counted"
    assert headline[identified.pk].final.as_of == TODAY
    series = status.rollup_points(programme, total, TODAY)
    assert [(p.on, p.value) for p in series] == [
        (dt.date(2023, 1, 1), Decimal(700)),
        (dt.date(2024, 1, 1), Decimal(1600)),
    ]


@pytest.mark.django_db
def test_slippage_counts_from_the_first_planned_date_in_history():
    milestone = factories.MilestoneFactory(planned_on=dt.date(2024, 3, 1))
    milestone.planned_on = dt.date(2024, 6, 1)
    milestone._change_reason = "Contractor late."
    milestone.save()
    milestone.planned_on = dt.date(2024, 9, 1)
    milestone.save()

    annotated = Milestone.objects.with_slippage().get(pk=milestone.pk)
    assert annotated.first_planned_on == dt.date(2024, 3, 1)
    assert annotated.slippage_days(dt.date(2024, 7, 1)) == 184
    fresh = Milestone.objects.get(pk=milestone.pk)
    assert fresh.slippage_days(dt.date(2024, 7, 1)) == 184


@pytest.mark.django_db
def test_milestone_completed_late_shows_days_late():
    milestone = factories.MilestoneFactory(
        planned_on=dt.date(2024, 3, 1),
        status=Milestone.Status.COMPLETED,
        completed_on=dt.date(2024, 3, 11),
    )
    assert milestone.days_late == 10
    assert not milestone.is_overdue


@pytest.mark.django_db
def test_admin_lists_show_computed_status_and_rating(admin_client):
    programme = factories.ProgrammeFactory()
    project = factories.ProjectFactory(
        programme=programme, declared_rating="green", declared_rating_reason_en="All fine."
    )
    target = factories.TargetFactory(
        project=project,
        programme=programme,
        target_value=Decimal(100),
        baseline_on=dt.date(2020, 1, 1),
        due_on=dt.date(2022, 1, 1),
    )
    factories.MeasurementFactory(target=target, as_of=dt.date(2021, 1, 1), value=Decimal(10))

    targets = admin_client.get(reverse("admin:tracker_target_changelist")).content.decode()
    assert "Missed" in targets
    projects = admin_client.get(reverse("admin:tracker_project_changelist")).content.decode()
    assert "Red: off course" in projects, "computed rating beside the declared green"
    assert "Green: on course" in projects


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["How status is computed", "0.95", "0.6", "Needs acceleration", "Open SDG"]),
        ("zh-hans", ["状态如何计算", "0.95", "0.6", "需要加速", "Open SDG"]),
    ],
)
def test_methodology_page_explains_the_rules_in_both_languages(client, language, expected):
    html = client.get(f"/{language}/methodology/").content.decode()
    for text in expected:
        assert text in html


@pytest.mark.django_db
def test_project_page_shows_computed_and_declared_rating_side_by_side(client):
    project = factories.ProjectFactory(
        declared_rating="green", declared_rating_reason_en="Contracts signed on time."
    )
    factories.MilestoneFactory(
        project=project, programme=project.programme, planned_on=dt.date(2020, 1, 1)
    )
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Red: off course" in html, "its only milestone is long overdue"
    assert "Green: on course" in html and "Contracts signed on time." in html
