"""A reader sends evidence on the Yizhuang market value target in a real Chromium; it is
not public; a manager accepts it with a source; the figure waits for a second manager
(the programme asks for four eyes); once published the page credits the reader."""

import os

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from tests import factories
from tests.helpers import ensure_roles
from tracker.models import ChangeRequest, EvidenceSubmission, Programme, Target

pytestmark = pytest.mark.django_db(transaction=True)


def manager(programme, name: str):
    user = factories.UserFactory(username=name, email=f"{name}@example.org", is_staff=True)
    user.set_password("a long test password")
    user.save()
    user.groups.add(Group.objects.get(name="Programme manager"))
    programme.managers.add(user)
    return user


def log_in(page, site: str, username: str) -> None:
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a long test password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")


def test_reader_evidence_is_accepted_reviewed_and_credited(chromium, live_server, axe):
    with open(os.devnull, "w") as quiet:
        call_command("load_yizhuang", stdout=quiet)
    ensure_roles()
    programme = Programme.objects.get(slug="beijing-etown-ai")
    programme.requires_second_approval = True
    programme.save()
    manager(programme, "first"), manager(programme, "second")
    target = Target.objects.get(programme=programme, kind="money", project__isnull=True)
    site = live_server.url
    reader = chromium.new_context(bypass_csp=True)
    page = reader.new_page()
    page.goto(f"{site}{target.get_absolute_url()}")
    page.get_by_role("link", name="Send evidence").click()
    assert not axe(page)
    page.get_by_label("Source address").fill("https://example.org/yizhuang-2025")
    page.get_by_label("Quotation").fill("Output of the AI base reached 12 billion yuan.")
    page.get_by_label("Value (optional)", exact=True).fill("12000000000")
    page.get_by_label("Date of the value (optional)").fill("2025-12-31")
    page.get_by_role("button", name="Send evidence").click()
    assert "your evidence was received" in page.locator("h1").inner_text()
    assert not axe(page)
    page.goto(f"{site}{target.get_absolute_url()}")
    assert "Evidence sent by a reader" not in page.content()
    reader.close()

    submission = EvidenceSubmission.objects.get()
    staff = chromium.new_context(bypass_csp=True)
    page = staff.new_page()
    log_in(page, site, "first")
    page.goto(f"{site}/admin/tracker/evidencesubmission/{submission.pk}/change/")
    page.select_option("#id_decision", "accept")
    page.fill("#id_source_title", "Yizhuang AI base report 2025")
    page.fill("#id_publisher", "Beijing E-Town")
    page.click("input[name=_save]")
    page.wait_for_url("**/evidencesubmission/")
    change = ChangeRequest.objects.get(source="evidence")
    assert change.state == "pending"
    staff.close()

    public = chromium.new_context(bypass_csp=True)
    page = public.new_page()
    page.goto(f"{site}{target.get_absolute_url()}")
    assert "Yizhuang AI base report 2025" not in page.content()
    public.close()

    staff = chromium.new_context(bypass_csp=True)
    page = staff.new_page()
    log_in(page, site, "second")
    page.goto(f"{site}/admin/tracker/changerequest/{change.pk}/change/")
    page.locator("[name=_publish]").first.click()
    page.wait_for_load_state()
    staff.close()

    public = chromium.new_context(bypass_csp=True)
    page = public.new_page()
    page.goto(f"{site}{target.get_absolute_url()}")
    sources = page.locator("ol.sources").inner_text()
    assert "Yizhuang AI base report 2025" in sources
    assert "Evidence sent by a reader" in sources
    assert not axe(page)
    public.close()
