"""A reader follows a project by e-mail in a real Chromium, from the cached page:
confirms by the link sent, is told of a publication, switches the e-mail to Chinese on
their page and unsubscribes with the button. Every page passes axe."""

import datetime as dt
import re

import pytest
from django.core import mail

from tests import factories
from tracker.editorial import publishing
from tracker.models import Follower, Milestone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.page_cache]

SITE = "http://127.0.0.1:8000"


def link(message, part: str, site: str) -> str:
    url = next(u for u in re.findall(rf"{re.escape(SITE)}/\S+", message.body) if part in u)
    return url.replace(SITE, site)


def test_a_reader_follows_confirms_hears_and_leaves(chromium, live_server, axe):
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub", name_zh_hans="枢纽")
    project = factories.ProjectFactory(programme=programme, slug="grid", name_en="Smart grid")
    milestone = factories.MilestoneFactory(
        project=project, programme=programme, title_en="Grid connected"
    )
    site = live_server.url
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site}/en/programmes/hub/projects/grid/")
    page.goto(f"{site}/en/programmes/hub/projects/grid/")  # now from the page cache
    assert not axe(page)
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_label("Weekly: one e-mail a week").check()
    page.get_by_label("At once: one e-mail each time something is published").check()
    page.get_by_role("button", name="Follow by e-mail").click()
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert not axe(page)
    [confirmation] = mail.outbox
    assert confirmation.to == ["reader@example.org"]

    page.goto(link(confirmation, "/follow/confirm/", site))
    assert not axe(page)
    page.get_by_role("button", name="Confirm").click()
    assert "You are following “Smart grid”" in page.locator("h1").inner_text()
    assert not axe(page)

    done = Milestone.objects.get(pk=milestone.pk)
    done.status, done.completed_on = Milestone.Status.COMPLETED, dt.date(2026, 6, 1)
    publishing.save_change(instance=done, by=None, reason="")  # the system, not a loader
    news = mail.outbox[-1]
    assert news.subject == "Milestone · Completed: Grid connected"

    page.goto(link(news, "/follow/manage/", site))
    assert not axe(page)
    page.get_by_label("简体中文").check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").count() == 1
    assert Follower.objects.get().language == "zh-hans"

    page.goto(link(news, "/follow/unsubscribe/", site).replace("/en/", "/zh-hans/"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert not axe(page)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert not Follower.objects.exists()
    assert not axe(page)
    context.close()
