"""Programme managers staff their own projects: find, invite, assign, unassign; no
superuser needed, and nothing beyond their programme within reach."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from tests import factories
from tests.helpers import ensure_roles, page_text
from tracker.models import OutgoingMessage, StaffProfile

User = get_user_model()


def visible(response) -> str:
    return html.unescape(page_text(response))


def person(username: str, group: str | None = None, **extra):
    user = factories.UserFactory(username=username, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def team(db):
    # The roles as migrated: a test committing for real may follow one that emptied them.
    ensure_roles()
    programme = factories.ProgrammeFactory(slug="hub", name_en="AI hub")
    city = factories.ProjectFactory(programme=programme, slug="city", name_en="City brain")
    bank = factories.ProjectFactory(
        programme=programme, slug="bank", name_en="Bank risk", name_zh_hans="银行风险"
    )
    elsewhere = factories.ProjectFactory(slug="far", name_en="Far away")
    manager = person("mgr", "Programme manager", first_name="Mei", last_name="Wang")
    programme.managers.add(manager)
    alice = person("alice", "Project editor", first_name="Alice", last_name="Chen")
    city.editors.add(alice)
    bob = person("bob", "Project editor", first_name="Bob", last_name="Li")
    root = factories.UserFactory(
        username="root", is_staff=True, is_superuser=True, first_name="Root"
    )
    public = factories.UserFactory(username="reader", first_name="Alina")
    return locals()


def autocomplete(client, term: str):
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tracker", "model_name": "project", "field_name": "editors", "term": term},
    )


def test_manager_finds_staff_by_name_or_email_in_the_editors_picker(client, team):
    client.force_login(team["manager"])
    found = autocomplete(client, "ali")
    assert found.status_code == 200
    assert [r["text"] for r in found.json()["results"]] == ["Alice Chen <alice@example.org>"]
    by_mail = autocomplete(client, "bob@example")
    assert [r["text"] for r in by_mail.json()["results"]] == ["Bob Li <bob@example.org>"]
    assert autocomplete(client, "root").json()["results"] == [], "no superuser"
    assert autocomplete(client, "reader").json()["results"] == [], "no one outside the staff"


def test_editor_cannot_list_users(client, team):
    client.force_login(team["alice"])
    assert autocomplete(client, "bob").status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_manager_sees_staff_but_changes_no_account(client, team):
    client.force_login(team["manager"])
    listing = visible(client.get(reverse("admin:auth_user_changelist")))
    assert "Alice Chen <alice@example.org>" in listing
    assert "Root" not in listing and "Alina" not in listing  # the superuser, the reader
    page = client.get(reverse("admin:auth_user_change", args=[team["bob"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "bob@example.org" in html
    assert "Superuser status" not in html and "user_permissions" not in html
    refused = client.post(
        reverse("admin:auth_user_change", args=[team["bob"].pk]),
        {"username": "bob", "is_superuser": "on", "is_staff": "on", "is_active": "on"},
    )
    assert refused.status_code == 403
    assert not User.objects.get(pk=team["bob"].pk).is_superuser
    root = client.get(reverse("admin:auth_user_change", args=[team["root"].pk]))
    assert root.status_code == 302, "a superuser is not there for a manager"


def test_manager_assigns_and_unassigns_editors_on_the_who_edits_what_page(client, team):
    client.force_login(team["manager"])
    url = reverse("admin:programme-staff", args=[team["programme"].pk])
    text = visible(client.get(url))
    assert "Mei Wang <mgr@example.org>" in text
    assert "City brain" in text and "Alice Chen <alice@example.org>" in text
    assert "Far away" not in text

    response = client.post(
        url, {"action": "assign", "project": team["bank"].pk, "user": team["bob"].pk}, follow=True
    )
    assert "Bob Li <bob@example.org> can now edit Bank risk." in visible(response)
    assert team["bob"] in team["bank"].editors.all()

    client.post(url, {"action": "unassign", "project": team["city"].pk, "user": team["alice"].pk})
    assert team["alice"] not in team["city"].editors.all()


def test_manager_cannot_staff_another_programme_or_assign_a_superuser(client, team):
    client.force_login(team["manager"])
    url = reverse("admin:programme-staff", args=[team["programme"].pk])
    client.post(url, {"action": "assign", "project": team["elsewhere"].pk, "user": team["bob"].pk})
    assert not team["elsewhere"].editors.exists()
    client.post(url, {"action": "assign", "project": team["city"].pk, "user": team["root"].pk})
    assert team["root"] not in team["city"].editors.all()
    other = reverse("admin:programme-staff", args=[team["elsewhere"].programme.pk])
    assert client.get(other).status_code == 404
    client.force_login(team["alice"])
    assert client.get(url).status_code == 404, "an editor staffs nothing"


def invite(client, team, **data):
    return client.post(
        reverse("admin:invite", args=[team["programme"].pk]),
        {
            "name": "Zhang Wei",
            "email": "zhang.wei@example.org",
            "language": "zh-hans",
            "projects": [team["bank"].pk],
            **data,
        },
    )


def invitation_link(message) -> str:
    return re.search(r"https?://\S+/admin/invitation/\S+/", message.body).group(0)


def test_invitation_link_sets_a_password_once(client, team, django_capture_on_commit_callbacks):
    client.force_login(team["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(client, team).status_code == 302
    invited = User.objects.get(email="zhang.wei@example.org")
    assert invited.is_staff and not invited.is_superuser
    assert not invited.has_usable_password()
    assert list(invited.groups.values_list("name", flat=True)) == ["Project editor"]
    assert list(invited.edited_projects.all()) == [team["bank"]]
    assert StaffProfile.objects.get(user=invited).language == "zh-hans"

    (message,) = mail.outbox
    assert message.to == ["zhang.wei@example.org"]
    assert "政策目标" in message.subject, "in the invitee's language"
    assert "银行风险" in message.body and "zhang.wei@example.org" in message.body
    assert message.alternatives[0][1] == "text/html"
    link = invitation_link(message)
    assert link in message.alternatives[0][0]

    client.logout()
    path = link.split("127.0.0.1:8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "设置密码" in page.content.decode()
    weak = client.post(path, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 400
    done = client.post(
        path, {"new_password1": "a long pass phrase 42", "new_password2": "a long pass phrase 42"}
    )
    assert done.status_code == 302 and done.url.startswith(reverse("admin:login"))
    login = client.post(
        reverse("admin:login"),
        {
            "username": "zhang.wei@example.org",
            "password": "a long pass phrase 42",
            "next": "/admin/",
        },
    )
    assert login.status_code == 302
    projects = visible(client.get(reverse("admin:tracker_project_changelist")))
    assert "Bank risk" in projects and "1 project" in projects
    client.logout()
    assert client.get(path).status_code == 410, "a used link no longer works"


def test_invitation_link_expires(client, team, django_capture_on_commit_callbacks):
    client.force_login(team["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, team)
    path = invitation_link(mail.outbox[0]).split("127.0.0.1:8000", 1)[1]
    client.logout()
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=4)):
        assert client.get(path).status_code == 410
    assert client.get(path.replace("/invitation/", "/invitation/x")).status_code == 410


def test_inviting_an_existing_colleague_only_assigns_them(
    client, team, django_capture_on_commit_callbacks
):
    client.force_login(team["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, team, email="ALICE@example.org", name="Alice")
    assert team["alice"] in team["bank"].editors.all()
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    assert "/invitation/" not in mail.outbox[0].body, "she has a password already"


def test_invitation_cannot_reach_a_superuser_or_another_programme(client, team):
    client.force_login(team["manager"])
    refused = invite(client, team, email="root@example.org")
    assert refused.status_code == 400
    assert "ask an administrator" in visible(refused)
    assert team["root"] not in team["bank"].editors.all()
    other = invite(client, team, projects=[team["elsewhere"].pk], email="new@example.org")
    assert other.status_code == 400
    assert not User.objects.filter(email="new@example.org").exists()
    assert mail.outbox == []


def test_staff_choose_the_language_of_their_email(client, team):
    client.force_login(team["alice"])
    url = reverse("admin:my-profile")
    assert "City brain" in visible(client.get(url))
    response = client.post(url, {"name": "Alice Chen", "language": "zh-hans"})
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=team["alice"]).language == "zh-hans"


def test_only_an_administrator_names_a_programmes_managers(client, team):
    client.force_login(team["manager"])
    page = client.get(reverse("admin:tracker_programme_change", args=[team["programme"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="managers"' not in html and "Mei Wang &lt;mgr@example.org&gt;" in html
    assert 'name="requires_two_factor"' in html, "a manager may require two-factor"


@pytest.fixture
def mail_server_down(settings):
    # Nothing listens on this port (the project's own range on this machine).
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 8129, "timeout": 2},
        }
    }


# Committed for real: the message is tried when the invitation commits, as in
# development (tasks run at once); the view then knows the mail server refused it.
@pytest.mark.django_db(transaction=True)
def test_invitation_with_the_mail_server_down_says_so(client, team, mail_server_down):
    client.force_login(team["manager"])
    response = invite(client, team, language="en")
    assert response.status_code == 302
    page = visible(client.get(response.url))
    assert "could not be sent yet; it will be tried again" in page
    assert "Send the invitation again" in page, "the manager can try again later"
    assert User.objects.filter(email="zhang.wei@example.org").exists()
    # It waits in the outbox, with the error, for the worker to try again.
    (queued,) = OutgoingMessage.objects.all()
    assert queued.to == ["zhang.wei@example.org"] and queued.state == "queued"
    assert queued.attempts == 1 and "Connection refused" in queued.last_error


def test_who_edits_what_shows_who_has_a_second_factor(client, team):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=team["manager"], name="app", confirmed=True)
    client.force_login(team["manager"])
    text = visible(client.get(reverse("admin:programme-staff", args=[team["programme"].pk])))
    assert "Mei Wang <mgr@example.org> (uses two-factor)" in text
    assert "Alice Chen <alice@example.org> (no two-factor yet)" in text
