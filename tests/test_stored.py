"""Stored statuses (tracker.stored): always what the rules compute afresh, recomputed
when a publication changes their inputs and on the first request of a new day."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.helpers import at_once, ensure_roles, manager_of, page_text
from tracker import progress, status, stored
from tracker.editorial.publishing import save_change
from tracker.models import Measurement, Milestone, Programme, Project, Target

START = dt.date(2023, 1, 1)


def travel(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime.combine(day, dt.time(12)), tick=False)


def fresh_values(programme: Programme, today: dt.date) -> dict:
    """What the rules give today, computed from scratch (no stored value read)."""
    loaded = Programme.objects.with_status(today).get(pk=programme.pk)
    overdue = Milestone.objects.overdue(today).filter(programme=loaded).count()
    targets, projects = {}, {}
    for project in loaded.status_projects:
        project.programme = loaded
        for target in project.targets.all():
            target.programme = loaded
        projects[project.pk] = (
            status.project_rating(project, today),
            project.open_milestones,
            project.overdue_milestones,
            status.milestone_progress(project),
        )
    everything = [t for p in loaded.status_projects for t in p.targets.all()]
    for target in [*everything, *loaded.headline_targets]:
        target.programme = loaded
        item = status.assess(target, today)
        targets[target.pk] = (item.final, item.earliest, item.not_at_current_rate, item.known)
    headline = status.current(loaded.headline_targets, today)
    counts = (
        status.identified(loaded.status_projects),
        len(loaded.status_projects),
        overdue,
        status.status_counts(headline),
        status.rating_counts(rating for rating, *_ in projects.values()),
    )
    return {"targets": targets, "projects": projects, "programme": counts}


def stored_values(programme: Programme) -> dict:
    """What the rows hold, read back as the pages read it."""
    loaded = Programme.objects.get(pk=programme.pk)
    targets, projects = {}, {}
    for project in Project.objects.filter(programme=loaded):
        projects[project.pk] = (
            project.computed_rating,
            project.milestones_open,
            project.milestones_overdue,
            status.stored_milestone_progress(project),
        )
    for target in Target.objects.filter(programme=loaded).with_points():
        item = status.stored(target)
        targets[target.pk] = (item.final, item.earliest, item.not_at_current_rate, item.known)
    counts = (
        loaded.projects_identified,
        loaded.projects_total,
        loaded.milestones_overdue,
        loaded.target_counts,
        loaded.rating_counts,
    )
    return {"targets": targets, "projects": projects, "programme": counts}


def dates_stored(programme: Programme) -> set:
    loaded = Programme.objects.get(pk=programme.pk)
    return {
        loaded.statuses_on,
        *Target.objects.filter(programme=loaded).values_list("assessed_on", flat=True),
        *Project.objects.filter(programme=loaded).values_list("rated_on", flat=True),
    }


def a_programme() -> tuple[Programme, list[Target], list[Project]]:
    """Two projects with a target each, a headline target of its own with a due range,
    a sum roll-up and a count roll-up, and milestones; nothing measured yet."""
    programme = factories.ProgrammeFactory(stale_after_days=200)
    projects = [
        factories.ProjectFactory(
            programme=programme, identified_on=START + dt.timedelta(days=30 * i)
        )
        for i in range(2)
    ]
    targets = [
        factories.TargetFactory(
            project=project,
            programme=programme,
            target_value=Decimal(1000),
            baseline_on=START,
            due_on=START + dt.timedelta(days=400 + 200 * i),
        )
        for i, project in enumerate(projects)
    ]
    targets.append(
        factories.ProgrammeTargetFactory(
            programme=programme,
            target_value=Decimal(500),
            comparator=Target.Comparator.AT_MOST,
            baseline_value=Decimal(900),
            baseline_on=START,
            due_earliest=START + dt.timedelta(days=300),
            due_on=START + dt.timedelta(days=700),
        )
    )
    targets.append(
        factories.ProgrammeTargetFactory(
            programme=programme,
            rollup=Target.Rollup.SUM,
            target_value=Decimal(1500),
            baseline_on=START,
            due_on=START + dt.timedelta(days=600),
        )
    )
    targets.append(
        factories.ProgrammeTargetFactory(
            programme=programme,
            rollup=Target.Rollup.COUNT_PROJECTS,
            kind=Target.Kind.COUNT,
            currency="",
            target_value=Decimal(3),
            baseline_on=START,
            due_on=START + dt.timedelta(days=500),
        )
    )
    for project in projects:
        factories.MilestoneFactory(
            project=project, programme=programme, planned_on=START + dt.timedelta(days=60)
        )
    return programme, targets, projects


# One step of a history: what a publication, an edit, a deletion or a day does.
days = st.integers(min_value=0, max_value=800)
steps = st.one_of(
    st.tuples(st.just("measure"), st.integers(0, 4), days, st.integers(0, 2000)),
    st.tuples(st.just("unmeasure"), st.integers(0, 50)),
    st.tuples(st.just("milestone"), st.integers(0, 1), days, st.booleans()),
    st.tuples(st.just("complete"), st.integers(0, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("unmilestone"), st.integers(0, 50)),
    st.tuples(st.just("retarget"), st.integers(0, 2), st.integers(1, 3000)),
    st.tuples(st.just("withdraw"), st.integers(0, 2)),
    st.tuples(st.just("cancel project"), st.integers(0, 1)),
    st.tuples(st.just("reported here"), st.booleans()),
    st.tuples(st.just("next day"), st.integers(1, 120), st.booleans()),
)


def apply(step: tuple, programme: Programme, targets: list[Target], projects: list[Project]):
    kind, *args = step
    today = timezone.localdate()
    source = factories.SourceFactory()
    if kind == "measure":
        index, day, value = args
        target = targets[index]
        if target.rollup != Target.Rollup.NONE:
            return
        on = min(START + dt.timedelta(days=day), today)
        Measurement.objects.update_or_create(
            target=target, as_of=on, defaults={"value": Decimal(value), "source": source}
        )
    elif kind == "unmeasure":
        rows = list(Measurement.objects.filter(target__programme=programme).order_by("pk"))
        if rows:
            rows[args[0] % len(rows)].delete()
    elif kind == "milestone":
        index, day, on_programme = args
        factories.MilestoneFactory(
            project=None if on_programme else projects[index],
            programme=programme,
            planned_on=START + dt.timedelta(days=day),
            weight=1 + day % 3,
        )
    elif kind in ("complete", "cancel"):
        rows = list(Milestone.objects.filter(programme=programme).order_by("pk"))
        if rows:
            milestone = rows[args[0] % len(rows)]
            if kind == "complete":
                milestone.status, milestone.completed_on = Milestone.Status.COMPLETED, today
            else:
                milestone.status, milestone.completed_on = Milestone.Status.CANCELLED, None
            milestone.save()
    elif kind == "unmilestone":
        rows = list(Milestone.objects.filter(programme=programme).order_by("pk"))
        if rows:
            rows[args[0] % len(rows)].delete()
    elif kind == "retarget":
        target = targets[args[0]]
        target.refresh_from_db()
        target.target_value = Decimal(args[1])
        target.save()
    elif kind == "withdraw":
        target = targets[args[0]]
        target.refresh_from_db()
        target.withdrawn_on, target.withdrawal_reason = today, "Dropped."
        target.save()
    elif kind == "cancel project":
        project = projects[args[0]]
        project.refresh_from_db()
        project.lifecycle_status = Project.Lifecycle.CANCELLED
        project.save()
    elif kind == "reported here":
        programme.refresh_from_db()
        programme.progress_reported_here = args[0]
        programme.save()


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first_day=days, history=st.lists(steps, min_size=1, max_size=10))
def test_stored_statuses_always_equal_a_fresh_computation(first_day, history):
    with transaction.atomic(), travel(START + dt.timedelta(days=first_day)) as clock:
        programme, targets, projects = a_programme()
        for step in history:
            if step[0] == "next day":
                _, ahead, by_job = step
                clock.shift(dt.timedelta(days=ahead))
                # The daily job, or else the first request of the day.
                if by_job:
                    call_command("refresh_statuses", stdout=io.StringIO())
                else:
                    stored.make_fresh([Programme.objects.get(pk=programme.pk)])
            else:
                apply(step, programme, targets, projects)
            today = timezone.localdate()
            assert stored_values(programme) == fresh_values(programme, today), step
            assert dates_stored(programme) == {today}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_publishing_a_measurement_changes_the_stored_assessment(
    client, settings, django_capture_on_commit_callbacks
):
    ensure_roles()
    with travel(dt.date(2024, 1, 1)):
        programme, targets, _ = a_programme()
        target = targets[0]
        target.refresh_from_db()
        assert target.status == progress.Status.NO_DATA
        manager = manager_of(programme)
        # As in production: recomputed once the publication commits.
        settings.STORED_STATUSES_AT_ONCE = False
        with django_capture_on_commit_callbacks(execute=True):
            save_change(
                instance=Measurement(
                    target=target,
                    as_of=dt.date(2023, 12, 1),
                    value=Decimal(1000),
                    source=factories.SourceFactory(),
                ),
                by=manager,
                reason="The annual report.",
            )
            # Marked stale within the transaction, in case recomputing fails later.
            assert Programme.objects.get(pk=programme.pk).statuses_on is None
            assert Target.objects.get(pk=target.pk).status == progress.Status.NO_DATA
        target.refresh_from_db()
    assert target.status == progress.Status.ACHIEVED
    assert status.stored(target).final.actual == Decimal(1000)
    assert stored_values(programme) == fresh_values(programme, dt.date(2024, 1, 1))
    # The pages read it.
    assert "Achieved" in page_text(client.get(target.get_absolute_url()))


@pytest.mark.django_db(transaction=True)
def test_a_publication_is_recomputed_when_it_commits(settings):
    """Outside the tests' own transaction: the receiver defers to the commit."""
    ensure_roles()
    settings.STORED_STATUSES_AT_ONCE = False
    with travel(dt.date(2024, 1, 1)):
        programme, targets, _ = a_programme()
        manager = manager_of(programme)
        with transaction.atomic():
            save_change(
                instance=Measurement(
                    target=targets[1],
                    as_of=dt.date(2023, 12, 1),
                    value=Decimal(10),
                    source=factories.SourceFactory(),
                ),
                by=manager,
                reason="The annual report.",
            )
            assert Target.objects.get(pk=targets[1].pk).status == progress.Status.NO_DATA
        stored_target = Target.objects.get(pk=targets[1].pk)
        assert stored_target.status == progress.Status.OFF_TRACK
        assert stored_values(programme) == fresh_values(programme, dt.date(2024, 1, 1))


@pytest.mark.django_db
def test_the_first_request_of_a_new_day_recomputes_what_the_date_changes(client):
    with travel(dt.date(2023, 3, 1)):
        programme, targets, projects = a_programme()
        target = targets[0]
        url = projects[0].get_absolute_url()
        Milestone.objects.filter(project=projects[0]).update(planned_on=dt.date(2023, 3, 1))
        Target.objects.filter(pk=target.pk).update(due_on=dt.date(2023, 3, 1))
        stored.refresh([programme.pk])
        text = page_text(client.get(url))
        assert "milestone overdue" not in text
        assert "No data" in text
    with travel(dt.date(2023, 3, 2)):
        text = page_text(client.get(url))
        # Past its date: the milestone is overdue, the unmeasured target not reported.
        assert "1 milestone overdue" in text
        assert progress.Status.NOT_REPORTED.label in text
        assert dates_stored(programme) == {dt.date(2023, 3, 2)}
        target.refresh_from_db()
        assert target.status == progress.Status.NOT_REPORTED
        # The next request of the day finds them fresh: nothing recomputed again.
        assert stored.make_fresh([Programme.objects.get(pk=programme.pk)]) is False


@pytest.mark.django_db
def test_refresh_statuses_command_recomputes_every_programme():
    with travel(dt.date(2023, 3, 1)):
        programme, *_ = a_programme()
    with travel(dt.date(2024, 3, 1)):
        out = io.StringIO()
        call_command("refresh_statuses", "--stale", stdout=out)
        assert "1 programme" in out.getvalue()
        assert dates_stored(programme) == {dt.date(2024, 3, 1)}
        out = io.StringIO()
        call_command("refresh_statuses", "--stale", stdout=out)
        assert "0 programme" in out.getvalue()


@pytest.mark.django_db
def test_a_target_moved_to_another_programme_leaves_both_current():
    with travel(dt.date(2024, 3, 1)):
        programme, targets, projects = a_programme()
        other = factories.ProgrammeFactory(slug="elsewhere")
        moved = Target.objects.get(pk=next(t.pk for t in targets if t.project_id is None))
        moved.programme = other
        moved.save()
        for each in (programme, other):
            assert stored_values(each) == fresh_values(each, dt.date(2024, 3, 1))


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_of_a_day_recompute_safely(settings):
    settings.STORED_STATUSES_AT_ONCE = False
    with travel(dt.date(2023, 3, 1)):
        programme, _, projects = a_programme()
        Milestone.objects.filter(project=projects[0]).update(planned_on=dt.date(2023, 3, 1))
        stored.refresh([programme.pk])
    with travel(dt.date(2023, 3, 2)):
        url = programme.get_absolute_url()
        answers = at_once(*[lambda: Client().get(url) for _ in range(4)])
        assert [answer.status_code for answer in answers] == [200] * 4
        for answer in answers:
            assert "1 milestone overdue" in page_text(answer)
        assert dates_stored(programme) == {dt.date(2023, 3, 2)}
        assert stored_values(programme) == fresh_values(programme, dt.date(2023, 3, 2))


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_publications_leave_the_stored_values_current(settings):
    ensure_roles()
    settings.STORED_STATUSES_AT_ONCE = False
    with travel(dt.date(2024, 1, 1)):
        programme, targets, _ = a_programme()
        manager = manager_of(programme)
        source = factories.SourceFactory()

        def publish(target: Target, value: int):
            def call():
                return save_change(
                    instance=Measurement(
                        target=target, as_of=dt.date(2023, 12, 1), value=value, source=source
                    ),
                    by=manager,
                    reason="The annual report.",
                )

            return call

        at_once(publish(targets[0], 400), publish(targets[1], 700))
        # The sum roll-up adds both, whichever committed last.
        assert stored_values(programme) == fresh_values(programme, dt.date(2024, 1, 1))
        total = Target.objects.get(pk=targets[3].pk)
        assert status.stored(total).final.actual == Decimal(1100)
