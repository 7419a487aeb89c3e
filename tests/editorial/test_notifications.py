"""Workflow e-mail goes out at once, to whoever acts next, in their language."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.helpers import admin_form_data
from tracker.editorial import notifications
from tracker.editorial import workflow as services
from tracker.models import OutgoingMessage, ProgressUpdate, StaffProfile


def person(username: str, group: str, language: str = "en", **extra):
    user = factories.UserFactory(
        username=username, is_staff=True, first_name=username.title(), last_name="Lee", **extra
    )
    user.groups.add(Group.objects.get(name=group))
    StaffProfile.objects.create(user=user, language=language)
    return user


@pytest.fixture
def team(db):
    programme = factories.ProgrammeFactory(slug="hub")
    project = factories.ProjectFactory(programme=programme, slug="mine")
    editor = person("editor", "Project editor", "zh-hans")
    project.editors.add(editor)
    reviewer = person("reviewer", "Programme manager")
    quiet = person("quiet", "Programme manager", email="")
    # A manager of the programme without the right to publish is not asked to review.
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    other = person("other", "Programme manager")  # manages another programme
    factories.ProgrammeFactory().managers.add(other)
    programme.managers.add(reviewer, quiet, viewer)
    update = factories.ProgressUpdateFactory(
        project=project,
        programme=programme,
        title_en="Quarter one",
        author=editor,
        state="draft",
        published_at=None,
    )
    return {"programme": programme, "editor": editor, "reviewer": reviewer, "update": update}


def test_reviewers_are_the_managers_who_may_publish_and_have_an_address(team):
    assert list(notifications.reviewers_of(team["programme"])) == [team["reviewer"]]


def test_submitting_mails_the_reviewers_at_once(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.update_submit(update=team["update"], by=team["editor"])
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]
    message = mail.outbox[0]
    assert message.subject == "Review requested: Quarter one"
    assert "Editor Lee <editor@example.org> submitted “Quarter one”" in message.body
    url = f"http://127.0.0.1:8000/admin/tracker/progressupdate/{team['update'].pk}/change/"
    assert url in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert f'<a href="{url}">' in html and "Quarter one" in html


def test_return_mails_the_author_in_their_language(
    client, team, django_capture_on_commit_callbacks
):
    update = team["update"]
    services.update_submit(update=update, by=team["editor"])
    client.force_login(team["reviewer"])
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    data = admin_form_data(client.get(url))
    data.update({"_return": "1", "review_comment": "Add the contract value."})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    message = mail.outbox[0]
    assert message.subject.startswith("退回修改")
    assert "Add the contract value." in message.body
    assert "退回" in message.body
    assert '<html lang="zh-hans">' in message.alternatives[0][0]
    assert "Add the contract value." in message.alternatives[0][0]


def test_publishing_mails_the_author(client, team, django_capture_on_commit_callbacks):
    update = team["update"]
    services.update_submit(update=update, by=team["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        services.update_publish(update=update, by=team["reviewer"])
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    assert "已发布" in mail.outbox[0].subject


def test_a_refused_step_sends_nothing(client, team, django_capture_on_commit_callbacks):
    update = team["update"]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_submit(update=update, by=team["editor"])
    mail.outbox.clear()
    client.force_login(team["reviewer"])
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    data = admin_form_data(client.get(url))
    data["_return"] = "1"  # without the comment a return needs
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert "a returned update needs a comment" in response.content.decode()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.WorkflowError),
    ):
        services.update_publish(update=update, by=team["editor"])
    update.refresh_from_db()
    assert update.state == ProgressUpdate.State.SUBMITTED
    assert mail.outbox == []


def test_first_approval_message_for_the_review_queue(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = notifications.send_workflow_mail(
            event="approved",
            recipients=[team["reviewer"], team["editor"]],
            item_title="Milestone dates",
            item_url="http://127.0.0.1:8000/admin/",
            actor=team["reviewer"],
            reason="Contract signed.",
        )
    assert sent == 1, "the actor is not told of their own step"
    message = mail.outbox[0]
    assert message.to == ["editor@example.org"]
    assert "Contract signed." in message.body
    assert "第二位" in message.body


def test_daily_digest_stays_and_is_in_the_readers_language(
    team, django_capture_on_commit_callbacks
):
    import datetime as dt
    import io

    from django.core.management import call_command

    project = team["update"].project
    factories.MilestoneFactory(
        project=project, programme=team["programme"], planned_on=dt.date(2020, 1, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    digest = next(m for m in mail.outbox if m.to == ["editor@example.org"])
    assert "逾期里程碑" in digest.body


def test_a_mail_server_that_is_down_does_not_undo_the_step(
    team, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 8129, "timeout": 2},
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.update_submit(update=team["update"], by=team["editor"])
    team["update"].refresh_from_db()
    assert team["update"].state == ProgressUpdate.State.SUBMITTED
    assert mail.outbox == []
    # The message waits to be tried again, with what went wrong.
    (queued,) = OutgoingMessage.objects.all()
    assert queued.to == ["reviewer@example.org"] and queued.state == "queued"
    assert queued.attempts == 1 and "Connection refused" in queued.last_error
