"""Every rule that must never be false: refused by the database, and by the admin form
with a readable message next to the field."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests import factories
from tests.helpers import admin_form_data
from tracker.models import Measurement, Milestone, Programme, ProgressUpdate, Project, Target


def programme():
    return factories.ProgrammeFactory()


def second_project():
    first = factories.ProjectFactory(slug="taken")
    return factories.ProjectFactory(programme=first.programme, slug="free")


def project():
    return factories.ProjectFactory()


def project_target():
    return factories.TargetFactory()


def programme_target():
    return factories.ProgrammeTargetFactory()


def second_measurement():
    first = factories.MeasurementFactory(as_of=dt.date(2023, 1, 1))
    return factories.MeasurementFactory(target=first.target, as_of=dt.date(2023, 4, 1))


def milestone():
    return factories.MilestoneFactory()


def published_update():
    return factories.ProgressUpdateFactory()


# (make a valid record, bad values for the database, bad values for the form,
#  the field the message stands beside, the message)
CASES = {
    "programme horizon ends before it starts": (
        programme,
        {"horizon_end_earliest": dt.date(2020, 1, 1)},
        {"horizon_end_earliest": "2020-01-01"},
        "horizon_end_earliest",
        "The horizon must end after it starts.",
    ),
    "programme horizon range reversed": (
        programme,
        {"horizon_end_latest": dt.date(2023, 1, 1)},
        {"horizon_end_latest": "2023-01-01"},
        "horizon_end_latest",
        "The latest end of the horizon cannot be before its earliest end.",
    ),
    "programme horizon latest end before start": (
        programme,
        {"horizon_end_earliest": None, "horizon_end_latest": dt.date(2020, 6, 1)},
        {"horizon_end_earliest": "", "horizon_end_latest": "2020-06-01"},
        "horizon_end_latest",
        "The horizon must end after it starts.",
    ),
    "project slug used twice in a programme": (
        second_project,
        {"slug": "taken"},
        {"slug": "taken"},
        "slug",
        "This programme already has a project with this slug.",
    ),
    "project due before it starts": (
        project,
        {"due_on": dt.date(2020, 1, 1)},
        {"due_on": "2020-01-01"},
        "due_on",
        "A project cannot be due before it starts.",
    ),
    "negative target value": (
        project_target,
        {"target_value": Decimal(-1)},
        {"target_value": "-1"},
        "target_value",
        "A target value cannot be negative.",
    ),
    "negative baseline": (
        project_target,
        {"baseline_value": Decimal(-5)},
        {"baseline_value": "-5"},
        "baseline_value",
        "A baseline value cannot be negative.",
    ),
    "due range ends before it starts": (
        project_target,
        {"due_earliest": dt.date(2026, 1, 1)},
        {"due_earliest": "2026-01-01"},
        "due_on",
        "The end of a due range must come after its start.",
    ),
    "due before the baseline": (
        project_target,
        {"baseline_on": dt.date(2027, 1, 1)},
        {"baseline_on": "2027-01-01"},
        "due_on",
        "A target must fall due after its baseline date.",
    ),
    "a project target rolls up": (
        project_target,
        {"rollup": "sum"},
        {"rollup": "sum"},
        "rollup",
        "Only a programme-level target (with no project) can roll up projects.",
    ),
    "money without a currency": (
        programme_target,
        {"currency": ""},
        {"currency": ""},
        "currency",
        "A money target needs a currency.",
    ),
    "reported equivalent without its currency": (
        programme_target,
        {"reported_equivalent_value": Decimal(5)},
        {"reported_equivalent_value": "5"},
        "reported_equivalent_currency",
        "Give the reported amount's currency.",
    ),
    "negative measurement": (
        second_measurement,
        {"value": Decimal(-3)},
        {"value": "-3"},
        "value",
        "A measured value cannot be negative.",
    ),
    "two measurements on one date": (
        second_measurement,
        {"as_of": dt.date(2023, 1, 1)},
        {"as_of": "2023-01-01"},
        "as_of",
        "This target already has a measurement on this date; correct that one instead.",
    ),
    "completed milestone without a date": (
        milestone,
        {"status": "completed"},
        {"status": "completed"},
        "completed_on",
        "Give the date the milestone was completed.",
    ),
    "completion date on an open milestone": (
        milestone,
        {"completed_on": dt.date(2024, 7, 1)},
        {"completed_on": "2024-07-01"},
        "completed_on",
        "Only a completed milestone has a completion date",
    ),
    "milestone weight of zero": (
        milestone,
        {"weight": 0},
        {"weight": "0"},
        "weight",
        "Ensure this value is greater than or equal to 1.",
    ),
    # Set only by the review workflow, never typed in a form: the database still holds it.
    "published update without a time": (
        published_update,
        {"published_at": None},
        None,
        "published_at",
        "Give the time the update was published.",
    ),
    "returned update without a comment": (
        published_update,
        {"state": "returned", "published_at": None},
        None,
        "review_comment",
        "",
    ),
    "withdrawn target without a reason": (
        project_target,
        {"withdrawn_on": dt.date(2024, 1, 1)},
        {"withdrawn_on": "2024-01-01", "change_reason": "Dropped by the ministry."},
        "withdrawal_reason",
        "A withdrawal needs a reason.",
    ),
    "withdrawn milestone without a reason": (
        milestone,
        {"withdrawn_on": dt.date(2024, 1, 1)},
        {"withdrawn_on": "2024-01-01", "change_reason": "Dropped."},
        "withdrawal_reason",
        "A withdrawal needs a reason.",
    ),
}
FORM_CASES = {name: case for name, case in CASES.items() if case[2] is not None}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_database_refuses_what_must_never_be_false(case):
    make, bad_values, _form_values, _field, _message = case
    record = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(record).objects.filter(pk=record.pk).update(**bad_values)


@pytest.mark.django_db
@pytest.mark.parametrize("case", FORM_CASES.values(), ids=FORM_CASES.keys())
def test_admin_form_shows_the_rule_next_to_the_field(admin_client, case):
    make, _bad_values, form_values, field, message = case
    record = make()
    model = type(record)
    url = reverse(f"admin:tracker_{model._meta.model_name}_change", args=[record.pk])
    before = model.objects.values().get(pk=record.pk)

    data = admin_form_data(admin_client.get(url))
    data.update(form_values)
    response = admin_client.post(url, data)

    assert response.status_code == 200, "the form is shown again with the error"
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors.get(field, [])), errors
    assert escape(message) in response.content.decode()
    assert model.objects.values().get(pk=record.pk) == before, "nothing was saved"


@pytest.mark.django_db
def test_unchanged_admin_form_saves(admin_client):
    """The form helper posts what a browser posts: an untouched form is accepted, and
    writes nothing, not even a history entry."""
    target = factories.TargetFactory()
    url = reverse("admin:tracker_target_change", args=[target.pk])
    data = admin_form_data(admin_client.get(url))
    data["change_reason"] = "Checked against the source."
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert target.history.count() == 1


@pytest.mark.django_db
def test_project_target_takes_its_programme_from_the_project():
    project = factories.ProjectFactory()
    target = Target.objects.create(
        project=project, title_en="Jobs", kind="count", target_value=10, due_on=dt.date(2026, 1, 1)
    )
    assert target.programme == project.programme


@pytest.mark.django_db
def test_milestone_of_another_programmes_project_is_refused():
    milestone = factories.MilestoneFactory()
    milestone.programme = factories.ProgrammeFactory()
    with pytest.raises(Exception, match="another programme"):
        milestone.full_clean()


@pytest.mark.django_db
def test_milestone_cannot_be_completed_in_the_future():
    milestone = factories.MilestoneFactory()
    milestone.status = Milestone.Status.COMPLETED
    milestone.completed_on = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(Exception, match="cannot be completed in the future"):
        milestone.full_clean()


def test_models_listed_for_demo_cleanup_cover_every_tracked_model():
    from tracker.models import DEMO_MODELS, Organisation, Sector, Source

    assert set(DEMO_MODELS) == {
        Organisation,
        Source,
        Programme,
        Sector,
        Project,
        Target,
        Measurement,
        Milestone,
        ProgressUpdate,
    }
