"""A project's milestone progress: the weighted completed share (progress.py), read the
same from annotated rows and from the milestones themselves (status.py)."""

import datetime as dt

import pytest

from tests import factories
from tracker import progress, status
from tracker.models import Milestone, Project


def test_weights_count_completed_over_all_but_cancelled_and_withdrawn():
    milestones = [
        (3, "completed", False),
        (1, "in_progress", False),
        (2, "planned", False),
        (5, "cancelled", False),  # left out: cannot be completed
        (4, "completed", True),  # left out: withdrawn
    ]
    assert progress.milestone_weights(milestones) == (3, 6)
    assert progress.milestone_percent(3, 6) == 50


def test_percent_rounds_down_so_100_means_all_done():
    assert progress.milestone_percent(199, 200) == 99
    assert progress.milestone_percent(200, 200) == 100
    assert progress.milestone_percent(0, 3) == 0
    assert progress.milestone_percent(1, 3) == 33


def test_no_milestone_to_count_is_no_percentage_not_zero():
    assert progress.milestone_percent(0, 0) is None
    assert progress.milestone_weights([(2, "cancelled", False)]) == (0, 0)


@pytest.mark.django_db
def test_annotated_and_plain_projects_agree(today):
    project = factories.ProjectFactory()
    done = {"status": Milestone.Status.COMPLETED, "completed_on": dt.date(2024, 1, 1)}
    factories.MilestoneFactory(project=project, weight=3, **done)
    factories.MilestoneFactory(project=project, weight=2)
    factories.MilestoneFactory(project=project, weight=5, status=Milestone.Status.CANCELLED)
    factories.MilestoneFactory(
        project=project, weight=4, withdrawn_on=dt.date(2024, 2, 1), withdrawal_reason="Merged"
    )
    plain = status.milestone_progress(Project.objects.get(pk=project.pk))
    annotated = status.milestone_progress(Project.objects.with_status(today).get(pk=project.pk))
    assert plain == annotated == status.MilestoneProgress(60, True)
    assert plain.text == "60% of milestones done by weight"


@pytest.mark.django_db
def test_without_milestones_says_so(today):
    empty = factories.ProjectFactory()
    cancelled = factories.ProjectFactory()
    factories.MilestoneFactory(project=cancelled, status=Milestone.Status.CANCELLED)
    rows = Project.objects.with_status(today)
    assert status.milestone_progress(rows.get(pk=empty.pk)).text == "No milestones yet"
    assert status.milestone_progress(rows.get(pk=cancelled.pk)).text == (
        "No milestones counted because all were cancelled or withdrawn"
    )
