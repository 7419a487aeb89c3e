"""The publishing journey in a real Chromium at phone width: an editor moves a date
with a reason, the public page still shows the old one, a manager reads the change
before and after in the review queue and publishes it."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests import factories
from tests.browser.conftest import browser_page
from tests.helpers import ensure_roles

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir())) / "tracker-screenshots"


@pytest.fixture
def phone(chromium):
    yield from browser_page(chromium, viewport={"width": 390, "height": 844}, bypass_csp=True)


@pytest.fixture
def staff():
    ensure_roles()
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub", name_zh_hans="枢纽")
    project = factories.ProjectFactory(programme=programme, slug="mine", name_en="My project")
    milestone = factories.MilestoneFactory(
        project=project,
        programme=programme,
        title_en="Permit issued",
        title_zh_hans="取得许可",
        planned_on=dt.date(2026, 6, 30),
    )
    people = {}
    for name, role in (("editor", "Project editor"), ("manager", "Programme manager")):
        user = factories.UserFactory(
            username=name, first_name=name.title(), email=f"{name}@example.org", is_staff=True
        )
        user.set_password("a long test password")
        user.save()
        user.groups.add(Group.objects.get(name=role))
        people[name] = user
    project.editors.add(people["editor"])
    programme.managers.add(people["manager"])
    return milestone


def log_in(page, site: str, lang: str, username: str) -> None:
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a long test password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_editor_proposes_manager_publishes_at_phone_width(
    chromium, phone, live_server, staff, axe, lang
):
    site, milestone = live_server.url, staff
    phone.context.add_cookies([{"name": "django_language", "value": lang, "url": site}])
    log_in(phone, site, lang, "editor")
    phone.goto(f"{site}/admin/tracker/milestone/{milestone.pk}/change/")
    phone.fill("#id_planned_on", "2026-12-31")
    phone.fill("#id_change_reason", "The site was handed over late.")
    with phone.expect_navigation():
        phone.click("input[name=_save]")
    assert phone.locator(".messagelist").count() == 1
    shot(phone, f"editor-sent-{lang}")
    public = phone.context.new_page()
    public.goto(f"{site}{milestone.get_absolute_url().replace('/en/', f'/{lang}/')}")
    assert "2026-12-31" not in public.content()
    public.close()

    manager = chromium.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = manager.new_page()
    manager.add_cookies([{"name": "django_language", "value": lang, "url": site}])
    log_in(page, site, lang, "manager")
    page.goto(f"{site}/admin/tracker/changerequest/")
    shot(page, f"queue-{lang}")
    with page.expect_navigation():
        page.locator("#result_list tbody a").first.click()
    body = page.locator("table.change-diff").inner_text()
    assert "The site was handed over late." in page.content()
    assert "2026" in body
    shot(page, f"review-{lang}")
    assert axe(page) == []
    with page.expect_navigation():
        page.click("input[name=_publish]")
    page.goto(f"{site}{milestone.get_absolute_url().replace('/en/', f'/{lang}/')}")
    assert "The site was handed over late." in page.content()
    shot(page, f"published-{lang}")
    manager.close()
