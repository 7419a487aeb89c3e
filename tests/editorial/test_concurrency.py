"""Two people saving at the same moment, with real threads against PostgreSQL: the
check and the write are one step, so nothing is overwritten and nothing fails."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.helpers import admin_form_data, at_once, ensure_roles, page_text
from tracker.models import Measurement, Milestone

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)"
    ),
]


@pytest.fixture
def managers():
    ensure_roles()  # an earlier live-server test may have emptied the migrated groups
    programme = factories.ProgrammeFactory(slug="hub")
    project = factories.ProjectFactory(programme=programme, slug="mine")
    people = []
    for name in ("first", "second"):
        user = factories.UserFactory(username=name, is_staff=True)
        user.groups.add(Group.objects.get(name="Programme manager"))
        programme.managers.add(user)
        client = Client()
        client.force_login(user)
        people.append(client)
    return programme, project, people


def test_the_same_stale_form_posted_twice_at_once_keeps_exactly_one(managers):
    programme, project, (first, second) = managers
    milestone = factories.MilestoneFactory(project=project, programme=programme)
    url = reverse("admin:tracker_milestone_change", args=[milestone.pk])
    for trial in range(10):
        loaded = admin_form_data(first.get(url))
        mine = {**loaded, "title_en": f"First {trial}"}
        theirs = {**loaded, "title_en": f"Second {trial}"}
        responses = at_once(lambda m=mine: first.post(url, m), lambda t=theirs: second.post(url, t))
        codes = sorted(response.status_code for response in responses)
        assert codes == [200, 302], f"trial {trial}: {codes}"
        kept = next(r for r in responses if r.status_code == 302)
        refused = next(r for r in responses if r.status_code == 200)
        assert "While you were editing" in page_text(refused)
        milestone.refresh_from_db()
        winner = mine if kept is responses[0] else theirs
        assert milestone.title_en == winner["title_en"], "no lost update"


def test_two_people_adding_the_same_figure_at_once_get_a_message(managers):
    programme, project, (first, second) = managers
    target = factories.TargetFactory(project=project, programme=programme)
    source = factories.SourceFactory()
    url = reverse("admin:tracker_measurement_add")
    blank = admin_form_data(first.get(url))
    for trial in range(8):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=trial)
        data = {**blank, "target": target.pk, "source": source.pk, "as_of": day.isoformat()}
        responses = at_once(
            lambda d=data: first.post(url, {**d, "value": "1"}),
            lambda d=data: second.post(url, {**d, "value": "2"}),
        )
        codes = sorted(response.status_code for response in responses)
        assert codes == [200, 302], f"trial {trial}: {codes}"
        refused = next(r for r in responses if r.status_code == 200)
        assert "already has a measurement on this date" in page_text(refused)
        assert Measurement.objects.filter(target=target, as_of=day).count() == 1
    assert Milestone.objects.count() == 0
