"""Every public page is valid HTML by the Nu HTML checker (npm's vnu-jar, system Java)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import site_urls

VNU = (
    Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)


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


def vnu_errors(responses: dict, folder: Path) -> list:
    """The Nu HTML checker's errors for each page (address: response), by address."""
    java = shutil.which("java")
    require(java is not None, "no Java to run the Nu HTML checker")
    require(VNU.exists(), "vnu-jar is not installed (npm ci)")
    pages = {}
    for url, response in responses.items():
        assert response.status_code == 200, url
        path = folder / f"page{len(pages)}.html"
        path.write_bytes(response.content)
        pages[f"file:{path}"] = url
    checked = subprocess.run(  # noqa: S603 (fixed arguments, our own files)
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages_of(folder))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
    return [
        (pages.get(m.get("url"), m.get("url")), m.get("lastLine"), m["message"])
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def pages_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))
