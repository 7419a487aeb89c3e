"""Milestone progress beside the rating: on the project page as a progress bar with its
text, in the programme's projects table, explained on the methodology page, in Chinese."""

import datetime as dt

import pytest

from tests import factories
from tests.helpers import page_text
from tracker.models import Milestone


def milestones(project, *weights_done):
    for weight, done in weights_done:
        extra = {"status": Milestone.Status.COMPLETED, "completed_on": dt.date(2024, 3, 1)}
        factories.MilestoneFactory(project=project, weight=weight, **(extra if done else {}))


@pytest.mark.django_db
def test_project_page_shows_weighted_milestone_progress_beside_its_rating(client, today):
    project = factories.ProjectFactory()
    milestones(project, (3, True), (2, False))
    response = client.get(project.get_absolute_url())
    html, text = response.content.decode(), page_text(response)
    assert "Milestone progress 60% of milestones done by weight" in text
    assert '<progress class="milestone-progress" max="100" value="60"' in html
    assert 'aria-labelledby="milestone-progress-text"' in html
    assert text.index("Computed rating") < text.index("Milestone progress")
    assert text.index("Milestone progress") < text.index("Declared rating")


@pytest.mark.django_db
def test_project_without_milestones_shows_no_percentage(client, today):
    project = factories.ProjectFactory()
    response = client.get(project.get_absolute_url())
    assert "Milestone progress No milestones yet" in page_text(response)
    assert "<progress" not in response.content.decode()


@pytest.mark.django_db
def test_programme_projects_table_has_milestones_done(client, today):
    programme = factories.ProgrammeFactory()
    busy = factories.ProjectFactory(programme=programme, name_en="Busy")
    milestones(busy, (1, True), (3, False))
    factories.ProjectFactory(programme=programme, name_en="Idle")
    response = client.get(programme.get_absolute_url())
    text = page_text(response)
    assert "Milestones done" in text
    assert "25%" in text and "No milestones yet" in text


@pytest.mark.django_db
def test_methodology_explains_milestone_progress_and_cancelled_ones(client):
    text = page_text(client.get("/en/methodology/"))
    assert "Cancelled and withdrawn milestones are not counted" in text
