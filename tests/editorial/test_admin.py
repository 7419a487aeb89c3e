"""The admin staff work in all day: every page answers, at a cost that does not grow."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories
from tests.helpers import admin_form_data, count_queries, list_rows
from tracker.models import Milestone, Programme, Project, Target


def build_records(size: int) -> None:
    """`size` more projects, and `size` more targets, milestones, updates and measurements
    for each of them and for the first project, whose pages the test reads."""
    programme = Programme.objects.filter(slug="first").first()
    if programme is None:
        programme = factories.ProgrammeFactory(slug="first")
        factories.ProgrammeTargetFactory(programme=programme, rollup=Target.Rollup.SUM)
    source = factories.SourceFactory()
    programme.sources.add(source)
    projects = list(Project.objects.order_by("pk")[:1])
    for _ in range(size):
        factories.ProgrammeFactory()
        projects.append(factories.ProjectFactory(programme=programme))
    for project in projects:
        project.lead_organisations.add(factories.OrganisationFactory())
        project.sources.add(factories.SourceFactory())
        for index in range(size):
            target = factories.TargetFactory(project=project, programme=programme)
            first_target = Target.objects.filter(project__isnull=False).order_by("pk").first()
            for measured in (target, first_target):
                factories.MeasurementFactory(target=measured, value=Decimal(index), source=source)
            milestone = factories.MilestoneFactory(
                project=project, programme=programme, evidence=source
            )
            milestone.forecast_on = dt.date(2025, 1, index + 1)
            milestone._change_reason = "Supplier late."
            milestone.save()
            update = factories.ProgressUpdateFactory(project=project, programme=programme)
            update.milestones.add(milestone)
            update.sources.add(source)


def admin_urls() -> list[str]:
    """Changelist, add, change and history pages of every registered model."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    urls.append(reverse("admin:index"))
    return sorted(urls)


def _superuser_request():
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.user.is_superuser = True
    request.user.is_active = True
    request.user.is_staff = True
    request.user.has_perm = lambda *args, **kwargs: True
    return request


@pytest.mark.django_db
def test_every_admin_page_answers_with_queries_that_do_not_grow(admin_client, admin_user):
    build_records(2)
    # The first visit fills per-process caches (content types).
    count_queries(admin_client, admin_urls())
    small = count_queries(admin_client, admin_urls())
    build_records(5)
    large = count_queries(admin_client, admin_urls())
    assert len(small) >= 4 * 9, "every tracker model has a list, add, change and history page"
    grown = {url: (small[url], large[url]) for url in small if large[url] != small[url]}
    assert not grown, f"query counts grew with the data: {grown}"


@pytest.mark.django_db
def test_milestones_are_updated_in_place_across_many_rows(admin_client):
    milestones = factories.MilestoneFactory.create_batch(3, planned_on=dt.date(2024, 3, 1))
    url = reverse("admin:tracker_milestone_changelist")
    ordered = Milestone.objects.order_by("planned_on", "title")
    data = list_rows(
        *(
            {
                "id": str(milestone.pk),
                "status": "in_progress",
                "forecast_on": "2024-09-30",
                "completed_on": "",
            }
            for milestone in ordered
        )
    )
    data["form-0-status"] = "completed"
    data["form-0-completed_on"] = "2024-03-05"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    statuses = dict(Milestone.objects.values_list("pk", "status"))
    first = ordered.first()
    assert statuses[first.pk] == "completed"
    assert sorted(statuses.values()) == ["completed", "in_progress", "in_progress"]
    assert set(Milestone.objects.values_list("forecast_on", flat=True)) == {dt.date(2024, 9, 30)}
    assert len(milestones) == 3


@pytest.mark.django_db
def test_bulk_edit_refuses_a_broken_row_with_a_message(admin_client):
    milestone = factories.MilestoneFactory()
    url = reverse("admin:tracker_milestone_changelist")
    data = list_rows(
        {"id": str(milestone.pk), "status": "completed", "forecast_on": "", "completed_on": ""}
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Give the date the milestone was completed." in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status == "planned"


@pytest.mark.django_db
def test_history_page_shows_who_changed_what_and_why(admin_client, admin_user):
    target = factories.TargetFactory(target_value=Decimal(100))
    url = reverse("admin:tracker_target_change", args=[target.pk])
    data = admin_form_data(admin_client.get(url))
    data["target_value"] = "120"
    data["title_zh_hans"] = "新的标题"
    data["change_reason"] = "The ministry raised the target in its 2024 plan."
    assert admin_client.post(url, data).status_code == 302

    page = admin_client.get(reverse("admin:tracker_target_history", args=[target.pk]))
    html = page.content.decode()
    assert "The ministry raised the target in its 2024 plan." in html
    assert admin_user.username in html
    assert "120" in html
    assert "新的标题" in html, "a change to the Chinese text is part of the history"


@pytest.mark.django_db
def test_project_page_edits_its_targets_and_milestones_inline(admin_client):
    project = factories.ProjectFactory()
    url = reverse("admin:tracker_project_change", args=[project.pk])
    data = admin_form_data(admin_client.get(url))
    data.update(
        {
            "targets-TOTAL_FORMS": "1",
            "targets-0-title_en": "Jobs created",
            "targets-0-kind": "count",
            "targets-0-comparator": "at_least",
            "targets-0-target_value": "500",
            "targets-0-due_on": "2026-12-31",
            "milestones-TOTAL_FORMS": "1",
            "milestones-0-title_en": "Pilot opens",
            "milestones-0-planned_on": "2025-06-30",
            "milestones-0-status": "planned",
            "milestones-0-weight": "1",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
    ]
    target = project.targets.get()
    assert target.title == "Jobs created"
    assert target.programme == project.programme
    assert project.milestones.get().programme == project.programme


@pytest.mark.django_db
def test_programme_page_lists_its_targets_inline(admin_client, yizhuang):
    response = admin_client.get(reverse("admin:tracker_programme_change", args=[yizhuang.pk]))
    html = response.content.decode()
    assert "Market value of the AI application base" in html
    assert "AI application projects" in html


@pytest.mark.django_db
def test_history_page_shows_changed_sources(admin_client):
    project = factories.ProjectFactory()
    old, new = (
        factories.SourceFactory(title_en="Old report"),
        factories.SourceFactory(title_en="Ministry bulletin"),
    )
    project.sources.add(old)
    url = reverse("admin:tracker_project_change", args=[project.pk])
    data = admin_form_data(admin_client.get(url))
    data["sources"] = [str(new.pk)]
    data["change_reason"] = "Replaced a press report with the official bulletin."
    assert admin_client.post(url, data).status_code == 302

    html = admin_client.get(reverse("admin:tracker_project_history", args=[project.pk])).content
    text = html.decode()
    assert "Replaced a press report with the official bulletin." in text
    assert "Old report" in text and "Ministry bulletin" in text


@pytest.mark.django_db
def test_measurement_list_shows_the_newest_first_across_targets(admin_client):
    older, newer = factories.TargetFactory(title_en="A target"), factories.TargetFactory()
    for target, day in ((older, "2023-05-01"), (newer, "2024-02-01"), (older, "2025-03-01")):
        factories.MeasurementFactory(target=target, as_of=dt.date.fromisoformat(day))
    html = admin_client.get(reverse("admin:tracker_measurement_changelist")).content.decode()
    shown = [html.index(day) for day in ("March 1, 2025", "Feb. 1, 2024", "May 1, 2023")]
    assert shown == sorted(shown)


@pytest.mark.django_db
def test_a_row_edited_in_the_list_never_overwrites_a_later_save(admin_client, admin_user):
    milestone = factories.MilestoneFactory(planned_on=dt.date(2024, 3, 1))
    url = reverse("admin:tracker_milestone_changelist")
    page = admin_client.get(url).content.decode()
    loaded = re.search(r'name="form-0-loaded_version" value="([^"]+)"', page).group(1)
    # Meanwhile someone else completes it from the milestone's own page.
    milestone.status, milestone.completed_on = "completed", dt.date(2024, 3, 2)
    milestone._history_user = admin_user
    milestone.save()
    row = {
        "id": str(milestone.pk),
        "loaded_version": loaded,
        "status": "in_progress",
        "forecast_on": "2024-09-30",
        "completed_on": "",
    }
    response = admin_client.post(url, list_rows(row))
    assert response.status_code == 200
    text = response.content.decode()
    assert "While you were editing" in text and "Your changes were not saved" in text
    milestone.refresh_from_db()
    assert milestone.status == "completed" and milestone.forecast_on is None

    row["loaded_version"] = milestone.updated_at.isoformat()
    row["status"], row["completed_on"] = "completed", "2024-03-02"
    assert admin_client.post(url, list_rows(row)).status_code == 302, "a current row saves"
    milestone.refresh_from_db()
    assert milestone.forecast_on == dt.date(2024, 9, 30)
