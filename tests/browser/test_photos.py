"""A photo on a progress update, in a real Chromium: an editor attaches it in the admin
and submits the update, the photo is not public, a manager publishes, and the project
page shows its preview with its text alternative and SHA-256, passing axe."""

import hashlib

import pytest
from django.contrib.auth.models import Group

from tests import factories, files
from tests.browser.test_review import log_in, shot
from tests.helpers import ensure_roles
from tracker.models import EvidenceFile, ProgressUpdate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def draft():
    ensure_roles()
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub", name_zh_hans="枢纽")
    project = factories.ProjectFactory(
        programme=programme, slug="mine", name_en="My project", name_zh_hans="我的项目"
    )
    people = {}
    for name, role in (("editor", "Project editor"), ("manager", "Programme manager")):
        user = factories.UserFactory(username=name, email=f"{name}@example.org", is_staff=True)
        user.set_password("a long test password")
        user.save()
        user.groups.add(Group.objects.get(name=role))
        people[name] = user
    project.editors.add(people["editor"])
    programme.managers.add(people["manager"])
    return factories.ProgressUpdateFactory(
        project=project,
        programme=programme,
        author=people["editor"],
        title_en="Gate finished",
        title_zh_hans="大门完工",
        state=ProgressUpdate.State.DRAFT,
        published_at=None,
    )


def test_editor_attaches_a_photo_manager_publishes_readers_see_preview_and_hash(
    chromium, page, live_server, draft, axe, tmp_path
):
    site = live_server.url
    photo_path = tmp_path / "IMG_0042.JPG"
    photo_path.write_bytes(files.jpeg_with_gps())
    change = f"{site}/admin/tracker/progressupdate/{draft.pk}/change/"

    log_in(page, site, "en", "editor")
    page.goto(change)
    page.set_input_files("#id_photos-0-upload", str(photo_path))
    page.fill("#id_photos-0-caption_en", "The north gate, finished")
    page.fill("#id_photos-0-alt_text_en", "A steel gate in front of a new building")
    with page.expect_navigation():
        page.click("input[name=_submit_for_review]")
    photo = EvidenceFile.objects.get(update=draft)
    public_page = f"{site}{draft.project.get_absolute_url()}"
    reader = chromium.new_context()
    assert photo.sha256 not in reader.new_page().goto(public_page).text()
    assert reader.new_page().goto(f"{site}{photo.get_absolute_url()}").status == 404
    reader.close()

    manager = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    reviewer = manager.new_page()
    log_in(reviewer, site, "en", "manager")
    reviewer.goto(change)
    with reviewer.expect_navigation():
        reviewer.click("input[name=_publish]")
    reviewer.goto(public_page)
    figure = reviewer.locator(f"#file-{photo.pk}")
    image = figure.get_by_role("img", name="A steel gate in front of a new building")
    image.scroll_into_view_if_needed()
    reviewer.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => img.naturalWidth") == 800
    assert f"SHA-256: {photo.sha256}" in figure.inner_text()
    assert "The north gate, finished" in figure.inner_text()
    shot(reviewer, "photo-published")
    assert axe(reviewer) == []

    # The full photo, as a reader downloads it, is the one the hash names.
    with reviewer.expect_response(f"**{photo.get_absolute_url()}") as answer:
        reviewer.goto(f"{site}{photo.get_absolute_url()}")
    body = answer.value.body()
    assert hashlib.sha256(body).hexdigest() == photo.sha256
    assert not files.gps_of(body)
    manager.close()
