"""The benchmark's own parts work on a tiny data set (its figures are read, not tested)."""

import pytest
from django.test import Client

from bench.data import build
from bench.measure import measure
from bench.run import pages
from tracker.models import Measurement, Milestone, Project


@pytest.mark.django_db
def test_bench_builds_its_data_and_every_page_answers(admin_user, django_assert_num_queries):
    sizes = {"programmes": 2, "projects": 4, "milestones": 8, "measurements": 16, "updates": 4}
    build(sizes, "tiny")
    assert Project.objects.count() == 4
    assert Milestone.objects.count() == 8
    assert Measurement.objects.count() == 16
    client = Client()
    client.force_login(admin_user)
    for name, url in pages("tiny").items():
        assert client.get(url).status_code == 200, name
    dashboard = pages("tiny")["dashboard"]
    queries, _, _ = measure(client, dashboard, runs=1)
    # The figure the bench prints is the page's own query count, rendered afresh.
    with django_assert_num_queries(queries):
        client.get(dashboard)
