"""The editorial workflow with real users, real groups and the real admin."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.helpers import admin_form_data, editor_of, manager_of, page_text
from tracker.editorial.resources import MilestoneResource
from tracker.models import ChangeRequest, Milestone, ProgressUpdate, ReminderLog, Target


@pytest.fixture
def setup(db):
    programme = factories.ProgrammeFactory(slug="hub")
    mine = factories.ProjectFactory(programme=programme, slug="mine", name_en="My project")
    theirs = factories.ProjectFactory(programme=programme, slug="theirs", name_en="Their project")
    editor = editor_of(mine)
    manager = manager_of(programme)
    return {
        "programme": programme,
        "mine": mine,
        "theirs": theirs,
        "editor": editor,
        "manager": manager,
        "my_target": factories.TargetFactory(project=mine, programme=programme),
        "their_target": factories.TargetFactory(project=theirs, programme=programme),
        "my_milestone": factories.MilestoneFactory(project=mine, programme=programme),
        "their_milestone": factories.MilestoneFactory(project=theirs, programme=programme),
    }


def logged_in(client, user):
    client.force_login(user)
    return client


# Scope


@pytest.mark.parametrize("model", ["project", "target", "milestone"])
def test_editor_cannot_see_or_change_other_projects(client, setup, model):
    client = logged_in(client, setup["editor"])
    mine = {"project": "mine", "target": "my_target", "milestone": "my_milestone"}[model]
    theirs = {"project": "theirs", "target": "their_target", "milestone": "their_milestone"}[model]
    listing = page_text(client.get(reverse(f"admin:tracker_{model}_changelist")))
    assert str(setup[mine]) in listing
    assert str(setup[theirs]) not in listing

    own = client.get(reverse(f"admin:tracker_{model}_change", args=[setup[mine].pk]))
    assert own.status_code == 200
    other = client.get(reverse(f"admin:tracker_{model}_change", args=[setup[theirs].pk]))
    assert other.status_code == 302 and other.url == reverse("admin:index"), "not found"
    history = client.get(reverse(f"admin:tracker_{model}_history", args=[setup[theirs].pk]))
    assert history.status_code in (403, 404)


def test_editor_cannot_post_to_another_project(client, setup):
    client = logged_in(client, setup["editor"])
    url = reverse("admin:tracker_milestone_add")
    data = admin_form_data(client.get(url))
    data.update(
        {
            "project": str(setup["theirs"].pk),
            "title_en": "Sneaked in",
            "planned_on": "2026-01-01",
            "status": "planned",
            "weight": "1",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Milestone.objects.filter(title_en="Sneaked in").exists()


def test_editor_autocomplete_offers_only_their_projects(client, setup):
    client = logged_in(client, setup["editor"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "milestone", "field_name": "project", "term": ""},
    )
    names = [result["text"] for result in response.json()["results"]]
    assert names == ["My project"]


def test_editor_export_holds_only_their_projects(client, setup):
    client = logged_in(client, setup["editor"])
    response = client.post(
        reverse("admin:tracker_milestone_export"),
        {
            "format": "0",
            "resource": "0",
            **{
                f"milestoneresource_{f}": "on"
                for f in ["id", "project", "title_en", "planned_on", "status"]
            },
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert setup["my_milestone"].title in text
    assert setup["their_milestone"].title not in text


def test_manager_sees_and_changes_the_whole_programme(client, setup):
    client = logged_in(client, setup["manager"])
    listing = page_text(client.get(reverse("admin:tracker_milestone_changelist")))
    assert setup["my_milestone"].title in listing and setup["their_milestone"].title in listing
    url = reverse("admin:tracker_target_change", args=[setup["their_target"].pk])
    data = admin_form_data(client.get(url))
    data["target_value"] = "2000000000"
    data["change_reason"] = "Raised by the programme office."
    assert client.post(url, data).status_code == 302
    setup["their_target"].refresh_from_db()
    assert setup["their_target"].target_value == Decimal("2000000000")


# Review


def write_update(client, setup, title: str, button: str = "_save"):
    url = reverse("admin:tracker_progressupdate_add")
    data = admin_form_data(client.get(url))
    data.update(
        {
            "project": str(setup["mine"].pk),
            "title_en": title,
            "body_en": "Contracts **signed**.",
            button: "1",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return ProgressUpdate.objects.get(title_en=title)


def test_update_goes_from_draft_to_published_through_review(client, setup):
    editor = logged_in(client, setup["editor"])
    update = write_update(editor, setup, "Quarter one", "_submit_for_review")
    assert update.state == "submitted" and update.author == setup["editor"]
    assert update.submitted_at is not None

    # The editor cannot publish, and cannot change a submitted update any more.
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    page = editor.get(url).content.decode()
    assert 'name="_publish"' not in page
    data = admin_form_data(editor.get(url)) if 'name="title_en"' in page else {}
    data["_publish"] = "1"
    editor.post(url, data)
    update.refresh_from_db()
    assert update.state == "submitted"

    manager = logged_in(client, setup["manager"])
    data = admin_form_data(manager.get(url))
    data["_publish"] = "1"
    assert manager.post(url, data).status_code == 302
    update.refresh_from_db()
    assert update.state == "published" and update.reviewer == setup["manager"]
    assert update.published_at is not None


def test_manager_returns_an_update_with_a_comment(client, setup):
    update = write_update(logged_in(client, setup["editor"]), setup, "Draft", "_submit_for_review")
    manager = logged_in(client, setup["manager"])
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    data = admin_form_data(manager.get(url))
    data["_return"] = "1"
    refused = manager.post(url, data)
    assert "a returned update needs a comment" in refused.content.decode()
    data["review_comment"] = "Add the contract value."
    assert manager.post(url, data).status_code == 302
    update.refresh_from_db()
    assert (update.state, update.review_comment) == ("returned", "Add the contract value.")


def test_only_published_updates_are_public(client, setup):
    draft = factories.ProgressUpdateFactory(
        project=setup["mine"],
        programme=setup["programme"],
        title_en="Secret draft",
        state="draft",
        published_at=None,
    )
    assert "Secret draft" not in page_text(client.get(setup["mine"].get_absolute_url()))
    draft.state, draft.published_at = "published", timezone.now()
    draft.save()
    assert "Secret draft" in page_text(client.get(setup["mine"].get_absolute_url()))


# Revisions


def test_target_revision_needs_a_reason_and_is_public(client, setup):
    manager = logged_in(client, setup["manager"])
    target = setup["my_target"]
    url = reverse("admin:tracker_target_change", args=[target.pk])
    data = admin_form_data(manager.get(url))
    data["target_value"] = "1500000000"
    refused = manager.post(url, data)
    assert refused.status_code == 200
    assert "give the reason" in refused.content.decode()
    target.refresh_from_db()
    assert target.target_value == Decimal("1000000000")

    data["change_reason"] = "The investor cut the plan in March."
    assert manager.post(url, data).status_code == 302
    changes = page_text(client.get(f"/en/programmes/{setup['programme'].slug}/changes/"))
    assert "The investor cut the plan in March." in changes
    assert "CN¥1 billion" in changes and "CN¥1.5 billion" in changes


def test_moving_a_milestone_needs_a_reason(client, setup):
    editor = logged_in(client, setup["editor"])
    url = reverse("admin:tracker_milestone_change", args=[setup["my_milestone"].pk])
    data = admin_form_data(editor.get(url))
    data["planned_on"] = "2024-12-31"
    assert editor.post(url, data).status_code == 200
    data["change_reason"] = "Site handed over late."
    assert editor.post(url, data).status_code == 302
    changes_url = f"/en/programmes/{setup['programme'].slug}/changes/"
    assert "Site handed over late." not in page_text(client.get(changes_url)), "not reviewed yet"
    change = ChangeRequest.objects.get(state="pending")
    manager = logged_in(Client(), setup["manager"])
    manager.post(reverse("admin:tracker_changerequest_change", args=[change.pk]), {"_publish": "1"})
    assert "Site handed over late." in page_text(client.get(changes_url))


def test_public_targets_and_milestones_cannot_be_deleted(client, setup):
    admin_user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client = logged_in(client, admin_user)
    for name in ("target", "milestone"):
        record = setup[f"my_{name}"]
        response = client.post(
            reverse(f"admin:tracker_{name}_delete", args=[record.pk]), {"post": "yes"}
        )
        assert response.status_code == 403
        assert type(record).objects.filter(pk=record.pk).exists()


def test_withdrawn_target_stays_on_record_with_its_reason(client, setup):
    manager = logged_in(client, setup["manager"])
    target = setup["my_target"]
    url = reverse("admin:tracker_target_change", args=[target.pk])
    data = admin_form_data(manager.get(url))
    data.update(
        {
            "withdrawn_on": "2024-05-01",
            "withdrawal_reason_en": "Merged into the city-wide target.",
            "change_reason": "Merged.",
        }
    )
    data["withdrawal_reason"] = "Merged into the city-wide target."
    assert manager.post(url, data).status_code == 302, "withdrawn with a reason"
    text = page_text(client.get(setup["mine"].get_absolute_url()))
    assert "Merged into the city-wide target." in text


# No lost updates


def test_second_save_of_a_stale_form_is_refused_and_the_first_kept(client, setup):
    url = reverse("admin:tracker_target_change", args=[setup["my_target"].pk])
    first = logged_in(client.__class__(), setup["manager"])
    second = logged_in(client.__class__(), setup["editor"])
    first_data = admin_form_data(first.get(url))
    second_data = admin_form_data(second.get(url))

    first_data.update({"target_value": "1200000000", "change_reason": "Ministry letter."})
    assert first.post(url, first_data).status_code == 302
    second_data.update({"title_en": "Renamed meanwhile", "change_reason": "Typo."})
    refused = second.post(url, second_data)

    assert refused.status_code == 200
    text = refused.content.decode()
    # Staff are named by name and e-mail (tracker.editorial.notifications.display_name).
    assert "While you were editing, manager &lt;manager@example.org&gt; saved this record" in text
    assert "1000000000" in text and "1200000000" in text, "what changed meanwhile"
    changed = re.search(r"Changed meanwhile: (.*?)\. Your changes", page_text(refused)).group(1)
    assert changed.startswith("Target value:") and ";" not in changed, "only the real change"
    target = Target.objects.get(pk=setup["my_target"].pk)
    assert target.target_value == Decimal("1200000000")
    assert target.title != "Renamed meanwhile"


# Import and export

HEADER = "id,project,title_en,title_zh_hans,planned_on,forecast_on,completed_on,status,weight\n"


def import_file(client, content: bytes, name: str, fmt: str):
    url = reverse("admin:tracker_milestone_import")
    page = client.get(url)
    formats = {
        label.lower(): value
        for value, label in page.context["form"].fields["format"].choices
        if value != ""
    }
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(
        url,
        {"import_file": upload, "format": formats[fmt], "resource": "0"},
    )


def test_good_file_previews_then_saves_every_row(client, setup):
    editor = logged_in(client, setup["editor"])
    rows = (
        ",hub/mine,Survey done,,2025-03-01,,,planned,1\n"
        ",hub/mine,Permit issued,,2025-04-01,2025-05-01,,in_progress,2\n"
    )
    preview = import_file(editor, (HEADER + rows).encode(), "m.csv", "csv")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Survey done" in html and "Permit issued" in html
    assert not Milestone.objects.filter(title_en="Survey done").exists(), "nothing before confirm"
    confirm = preview.context["confirm_form"]
    response = editor.post(
        reverse("admin:tracker_milestone_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert not Milestone.objects.filter(title_en="Survey done").exists(), "waits for review"
    pending = ChangeRequest.objects.filter(state="pending", source="import")
    assert pending.count() == 2
    manager = logged_in(Client(), setup["manager"])
    for change in pending:
        review = reverse("admin:tracker_changerequest_change", args=[change.pk])
        manager.post(review, {"_publish": "1"})
    assert Milestone.objects.filter(project=setup["mine"], title_en="Survey done").exists()
    permit = Milestone.objects.get(title_en="Permit issued")
    assert permit.programme == setup["programme"] and permit.weight == 2


@pytest.mark.parametrize(
    ("bad_row", "complaint"),
    [
        (",hub/theirs,Not mine,,2025-03-01,,,planned,1\n", "No project “hub/theirs” among yours"),
        (",hub/nothing,Nowhere,,2025-03-01,,,planned,1\n", "No project “hub/nothing” among"),
        (",hub/mine,Bad date,,01/03/2025,,,planned,1\n", "Enter the date as YYYY-MM-DD"),
        (",hub/mine,Bad weight,,2025-03-01,,,planned,heavy\n", "Enter a whole number"),
    ],
)
def test_file_with_one_bad_row_saves_none_and_names_the_row(client, setup, bad_row, complaint):
    editor = logged_in(client, setup["editor"])
    good = ",hub/mine,Good row,,2025-03-01,,,planned,1\n"
    response = import_file(editor, (HEADER + good + bad_row).encode(), "m.csv", "csv")
    html = response.content.decode()
    assert (
        "confirm_form" not in (response.context or {})
        or response.context.get("confirm_form") is None
    )
    assert complaint in html
    result = response.context["result"]
    named = {row.number for row in result.invalid_rows} | {n for n, _ in result.row_errors()}
    assert named == {2}, "the second row is named"
    assert not Milestone.objects.filter(title_en="Good row").exists()


def test_export_reimports_to_the_same_data(client, setup):
    manager = logged_in(client, setup["manager"])
    before = sorted(Milestone.objects.values_list("pk", "title_en", "planned_on", "status"))
    exported = manager.post(
        reverse("admin:tracker_milestone_export"),
        {
            "format": "1",
            "resource": "0",
            **{f"milestoneresource_{f}": "on" for f in MilestoneResource._meta.fields},
        },
    )
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    preview = import_file(manager, exported.content, "m.xlsx", "xlsx")
    assert preview.status_code == 200 and preview.context.get("confirm_form") is not None
    confirm = preview.context["confirm_form"]
    manager.post(
        reverse("admin:tracker_milestone_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    after = sorted(Milestone.objects.values_list("pk", "title_en", "planned_on", "status"))
    assert after == before


# Reminders


def test_send_reminders_twice_in_a_day_sends_one_digest_per_person(
    setup, django_capture_on_commit_callbacks
):
    setup["editor"].email = "editor@example.org"
    setup["editor"].save()
    setup["my_milestone"].planned_on = dt.date(2020, 1, 1)
    setup["my_milestone"].save()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    to_editor = [m for m in mail.outbox if m.to == ["editor@example.org"]]
    assert len(to_editor) == 1
    assert setup["my_milestone"].title in to_editor[0].body
    assert "Overdue milestones" in to_editor[0].body
    assert ReminderLog.objects.filter(user=setup["editor"]).count() == 1


def test_manager_digest_lists_updates_waiting_for_review(setup, django_capture_on_commit_callbacks):
    setup["manager"].email = "manager@example.org"
    setup["manager"].save()
    factories.ProgressUpdateFactory(
        project=setup["mine"],
        programme=setup["programme"],
        title_en="Please review me",
        state="submitted",
        published_at=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    digest = next(m for m in mail.outbox if m.to == ["manager@example.org"])
    assert "Please review me" in digest.body


def test_editor_home_lists_my_projects_and_what_waits(client, setup):
    setup["my_milestone"].planned_on = dt.date(2020, 1, 1)
    setup["my_milestone"].save()
    page = page_text(logged_in(client, setup["editor"]).get(reverse("admin:index")))
    assert "My projects" in page and "My project" in page
    assert setup["my_milestone"].title in page
    assert "Their project" not in page


# Login protection


def test_sixth_wrong_password_locks_the_login_out(client, setup):
    setup["editor"].set_password("the right one 123")
    setup["editor"].save()
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": "editor", "password": "wrong"})
        assert (
            response.status_code == 200 and "Please enter the correct" in response.content.decode()
        )
    locked = client.post(url, {"username": "editor", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    still = client.post(url, {"username": "editor", "password": "the right one 123"})
    assert still.status_code == 429, "even the right password waits for the lock to end"


def test_lockouts_are_visible_to_admins(client, setup):
    for _ in range(6):
        client.post(reverse("admin:login"), {"username": "editor", "password": "wrong"})
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    page = page_text(logged_in(client, root).get(reverse("admin:axes_accessattempt_changelist")))
    assert "editor" in page


# Four eyes: what the public reads is not rewritten by one manager


def test_with_a_second_manager_asked_a_published_update_is_not_rewritten_in_place(client, setup):
    programme = setup["programme"]
    programme.requires_second_approval = True
    programme.save()
    update = factories.ProgressUpdateFactory(
        project=setup["mine"],
        programme=programme,
        title_en="Groundbreaking",
        body_en="Work began in March.",
        state="published",
        published_at=timezone.now(),
    )
    manager = logged_in(client, setup["manager"])
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    page = manager.get(url)
    assert page.status_code == 200
    assert "publish a correction as a new update" in page_text(page)
    data = {"title_en": "Groundbreaking", "body_en": "Work began in May.", "_save": "1"}
    assert manager.post(url, data).status_code == 403
    update.refresh_from_db()
    assert update.body_en == "Work began in March."
    assert "Work began in March." in page_text(client.get(setup["mine"].get_absolute_url()))


def test_with_a_second_manager_asked_a_cited_source_is_not_rewritten_in_place(client, setup):
    programme = setup["programme"]
    source = factories.SourceFactory(title_en="Annual report 2025")
    factories.MeasurementFactory(target=setup["my_target"], source=source)
    manager = logged_in(client, setup["manager"])
    url = reverse("admin:tracker_source_change", args=[source.pk])
    # Without second approval the manager of the citing programme may change it...
    assert 'name="title_en"' in manager.get(url).content.decode()
    programme.requires_second_approval = True
    programme.save()
    # ...with it, the source is shown, not offered for change.
    page = manager.get(url)
    assert 'name="title_en"' not in page.content.decode()
    assert "cite a new source in a change" in page_text(page)
    data = admin_form_data(page) | {"title_en": "Annual report 2026"}
    assert manager.post(url, data).status_code == 403
    source.refresh_from_db()
    assert source.title_en == "Annual report 2025"
