"""Every public page is valid HTML by the Nu HTML checker (npm's vnu-jar, system Java)."""

import pytest

from tests.helpers import site_urls, vnu_errors


@pytest.mark.django_db
def test_every_public_page_is_valid_html(client, yizhuang, demo, tmp_path):
    pages = {}
    for lang in ("en", "zh-hans"):
        for url in site_urls(lang):
            pages[url] = client.get(url)
    assert len(pages) >= 30
    assert not vnu_errors(pages, tmp_path)


@pytest.mark.django_db
def test_staffing_and_two_factor_pages_are_valid_html(client, tmp_path):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests import factories
    from tracker.editorial.staff import invitation_url

    programme = factories.ProgrammeFactory()
    project = factories.ProjectFactory(programme=programme)
    manager = factories.UserFactory(is_staff=True, first_name="Mei")
    manager.groups.add(Group.objects.get(name="Programme manager"))
    programme.managers.add(manager)
    invitee = factories.UserFactory(is_staff=True)
    invitee.set_unusable_password()
    invitee.save()
    project.editors.add(invitee)
    link = invitation_url(invitee).split("://", 1)[1].split("/", 1)[1]
    client.force_login(manager)
    pages = {}
    for url in (
        reverse("admin:programme-staff", args=[programme.pk]),
        reverse("admin:invite", args=[programme.pk]),
        reverse("admin:my-profile"),
        reverse("admin:two-factor"),
        "/" + link,
    ):
        pages[url] = client.get(url)
    assert not vnu_errors(pages, tmp_path)
