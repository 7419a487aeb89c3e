"""A programme manager staffs a project in a real Chromium, with no superuser anywhere:
invites an editor, the e-mailed link sets a password, the editor sees only their project."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from tests import factories
from tests.helpers import ensure_roles

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long pass phrase 42"
# Screenshots for a person to look at: SCREENSHOTS=/some/folder keeps them.
SHOTS = os.environ.get("SCREENSHOTS")


def log_in(page, site: str, username: str, password: str) -> None:
    page.goto(f"{site}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()


def shoot(chromium, site: str, state, path: str, name: str) -> None:
    """The page at 390 px wide, in English and in Chinese."""
    if not SHOTS:
        return
    for lang, locale in (("en", "en-GB"), ("zh", "zh-CN")):
        context = chromium.new_context(
            viewport={"width": 390, "height": 844}, locale=locale, storage_state=state
        )
        phone = context.new_page()
        phone.goto(f"{site}{path}")
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways in {lang}"
        phone.screenshot(path=str(Path(SHOTS) / f"{name}-{lang}.png"), full_page=True)
        context.close()


def test_manager_invites_an_editor_who_sets_a_password_and_sees_only_their_project(
    chromium, live_server, settings, axe
):
    settings.SITE_URL = live_server.url
    site = live_server.url
    ensure_roles()
    programme = factories.ProgrammeFactory(slug="hub", name_en="AI hub")
    factories.ProjectFactory(programme=programme, slug="city", name_en="City brain")
    factories.ProjectFactory(programme=programme, slug="bank", name_en="Bank risk platform")
    factories.ProjectFactory(slug="far", name_en="Another programme's project")
    manager = factories.UserFactory(
        username="mei", first_name="Mei", last_name="Wang", is_staff=True
    )
    manager.set_password(PASSWORD)
    manager.save()
    manager.groups.add(Group.objects.get(name="Programme manager"))
    programme.managers.add(manager)
    assert not get_user_model().objects.filter(is_superuser=True).exists()

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, site, "mei", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("link", name="Staff and editors").click()
    assert page.locator("h1").inner_text() == "Who can edit what: AI hub"
    managers = page.get_by_role("region", name="Programme managers")
    assert managers.get_by_text("Mei Wang <mei@example.org>").is_visible()
    assert axe(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name="Invite a new editor").click()
    assert axe(page) == []
    page.get_by_label("Full name").fill("Zhang Wei")
    page.get_by_label("E-mail address").fill("zhang.wei@example.org")
    page.get_by_label("Language for e-mail").select_option("en")
    page.get_by_label("Bank risk platform").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("Invitation sent to Zhang Wei <zhang.wei@example.org>.").is_visible()
    bank = page.get_by_role("region", name="Bank risk platform")
    assert bank.get_by_text("Zhang Wei <zhang.wei@example.org>").is_visible()
    assert bank.get_by_text("has not set a password yet").is_visible()

    state = context.storage_state()
    shoot(chromium, site, state, f"/admin/staff/{programme.pk}/", "who-edits-what")
    shoot(chromium, site, state, f"/admin/staff/{programme.pk}/invite/", "invitation")
    shoot(chromium, site, state, "/admin/two-factor/", "two-factor")
    context.close()

    (message,) = mail.outbox
    assert message.to == ["zhang.wei@example.org"]
    link = re.search(r"http://\S+/admin/invitation/\S+/", message.body).group(0)

    invited = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    editor = invited.new_page()
    editor.goto(link)
    assert editor.locator("h1").inner_text() == "Set your password"
    assert axe(editor) == []
    editor.locator("#id_new_password1").fill("river stone lantern 7")
    editor.locator("#id_new_password2").fill("river stone lantern 7")
    with editor.expect_navigation():
        editor.get_by_role("button", name="Set my password").click()
    assert editor.get_by_text("Your password is set.").is_visible()

    log_in(editor, site, "zhang.wei@example.org", "river stone lantern 7")
    assert editor.get_by_role("link", name="Bank risk platform").first.is_visible()
    editor.goto(f"{site}/admin/tracker/project/")
    rows = editor.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Bank risk platform" in rows.first.inner_text()
    assert editor.get_by_text("City brain").count() == 0

    editor.goto(link)
    assert editor.locator("h1").inner_text() == "This link no longer works"
    invited.close()
