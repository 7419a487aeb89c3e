"""Evidence files: a document on a source, photos on updates and milestones. Checked by
their content, stored with their SHA-256 (shown beside them), served so that nothing in
them runs, and public only once their record is."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests import factories, files
from tests.helpers import admin_form_data, editor_of, manager_of, page_text
from tracker.editorial import files as checks
from tracker.models import ChangeRequest, EvidenceFile, ProgressUpdate


@pytest.fixture
def hub(db):
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub")
    project = factories.ProjectFactory(programme=programme, slug="mine", name_en="My project")
    source = factories.SourceFactory(title_en="Site survey")
    project.sources.add(source)  # cited by the public record
    return {
        "programme": programme,
        "project": project,
        "source": source,
        "editor": editor_of(project),
        "manager": manager_of(programme),
        "milestone": factories.MilestoneFactory(
            project=project, programme=programme, title_en="Gate built"
        ),
    }


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_with_file(client, url: str, prefix: str, content: bytes, name: str, button="", **fields):
    """The record's admin form as loaded, with a file in its first new inline row."""
    data = admin_form_data(client.get(url))
    if button:
        data[button] = "1"
    data.update({f"{prefix}-0-{key}": value for key, value in fields.items()})
    data[f"{prefix}-0-upload"] = SimpleUploadedFile(name, content)
    return client.post(url, data)


def attach_to_source(hub, content: bytes, name: str, **fields):
    url = reverse("admin:tracker_source_change", args=[hub["source"].pk])
    return post_with_file(as_user(hub["manager"]), url, "files", content, name, **fields)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_pdf_on_a_source_is_kept_with_its_hash_and_served_as_a_download(hub, client):
    response = attach_to_source(hub, files.PDF, "survey.pdf", caption_en="Survey, signed")
    assert response.status_code == 302, page_text(response)
    document = EvidenceFile.objects.get(source=hub["source"])
    assert document.sha256 == hashlib.sha256(files.PDF).hexdigest()
    assert document.media_type == "application/pdf"

    page = page_text(client.get(hub["project"].get_absolute_url()))
    assert f"SHA-256: {document.sha256}" in page
    assert "Survey, signed" in page

    served = client.get(document.get_absolute_url())
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == files.PDF
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_spreadsheets_are_recognised_by_their_content_not_their_name(db):
    cases = {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": files.xlsx(),
        "application/vnd.oasis.opendocument.spreadsheet": files.ods(),
        "text/csv": files.CSV,
        "application/pdf": files.PDF,
    }
    for media_type, content in cases.items():
        checked = checks.check(content, "named-anything.bin")
        assert checked.media_type == media_type
        assert checked.stored_name.startswith(f"evidence/{checked.sha256}/named-anything.")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", files.HTML_AS_PDF, "Web pages (HTML) are refused"),
        ("chart.svg", files.SVG, "SVG images are refused"),
        ("notes.xlsx", b"PK\x03\x04 not a zip at all", "This zip file is not a spreadsheet"),
        ("data.bin", bytes(range(256)) * 4, "This file is not one that can be attached"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_kept(
    hub, media_root, name, content, message
):
    response = attach_to_source(hub, content, name)
    assert response.status_code == 200
    assert message in page_text(response)
    assert not EvidenceFile.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_file_is_refused_by_its_size(hub, media_root, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    response = attach_to_source(hub, files.PDF + b"0" * 2000, "big.pdf")
    assert "The file is 2.0\xa0KB; files of up to 1000\xa0bytes can be attached." in (
        response.content.decode()
    )
    assert not EvidenceFile.objects.exists()
    assert stored_files(media_root) == []


def test_a_zip_bomb_is_not_read_as_a_spreadsheet(db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(1500):
            archive.writestr(f"part{index}", "")
    with pytest.raises(checks.FileRefused, match="not a spreadsheet"):
        checks.check(out.getvalue(), "sheet.xlsx")


def editor_attaches_photo(hub, update) -> object:
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    return post_with_file(
        as_user(hub["editor"]),
        url,
        "photos",
        files.jpeg_with_gps(),
        "IMG_0001.JPG",
        caption_en="The gate, north side",
        alt_text_en="A steel gate in front of a building site",
        button="_submit_for_review",
    )


def test_an_editors_photo_is_public_only_once_the_update_is_published(hub, client, media_root):
    update = factories.ProgressUpdateFactory(
        project=hub["project"],
        programme=hub["programme"],
        author=hub["editor"],
        title_en="Gate finished",
        state=ProgressUpdate.State.DRAFT,
        published_at=None,
    )
    response = editor_attaches_photo(hub, update)
    assert response.status_code == 302, page_text(response)
    photo = EvidenceFile.objects.get(update=update)
    update.refresh_from_db()
    assert update.state == ProgressUpdate.State.SUBMITTED

    # Stored without the place the photo was taken, and its hash is the stored file's.
    stored = (media_root / photo.file.name).read_bytes()
    assert files.gps_of(files.jpeg_with_gps()) and not files.gps_of(stored)
    assert b"PhoneMaker" not in stored
    assert photo.sha256 == hashlib.sha256(stored).hexdigest()

    # Not public yet: neither on the page nor at its address.
    assert "Gate finished" not in page_text(client.get(hub["project"].get_absolute_url()))
    assert client.get(photo.get_absolute_url()).status_code == 404
    assert client.get(photo.get_preview_url()).status_code == 404

    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    manager = as_user(hub["manager"])
    published = manager.post(url, {**admin_form_data(manager.get(url)), "_publish": "1"})
    assert published.status_code == 302
    update.refresh_from_db()
    assert update.state == ProgressUpdate.State.PUBLISHED

    page = client.get(hub["project"].get_absolute_url())
    html = page.content.decode()
    assert f'src="{photo.get_preview_url()}"' in html
    assert 'alt="A steel gate in front of a building site"' in html
    assert f"SHA-256: {photo.sha256}" in page_text(page)
    served = client.get(photo.get_absolute_url())
    assert served["Content-Type"] == "image/jpeg"
    assert "attachment" not in served.get("Content-Disposition", "")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(served.streaming_content) == stored
    preview = client.get(photo.get_preview_url())
    assert preview["Content-Type"] == "image/jpeg"
    assert max(photo.preview_width, photo.preview_height) == 800


def test_an_editors_milestone_photo_waits_for_the_manager(hub, client):
    milestone = hub["milestone"]
    url = reverse("admin:tracker_milestone_change", args=[milestone.pk])
    response = post_with_file(
        as_user(hub["editor"]),
        url,
        "photos",
        files.jpeg_with_gps((400, 300)),
        "gate.jpg",
        alt_text_en="The gate",
    )
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()
    change = ChangeRequest.objects.get(state=ChangeRequest.State.PENDING)
    assert change.content_type.model == "evidencefile"
    assert "The gate" not in client.get(milestone.get_absolute_url()).content.decode()

    # The manager sees the photo before publishing it; no one else does.
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    manager = as_user(hub["manager"])
    preview = reverse("admin:tracker_changerequest_file", args=[change.pk, "preview"])
    assert f'src="{preview}" alt="The gate"' in manager.get(review).content.decode()
    assert manager.get(preview)["Content-Type"] == "image/jpeg"
    assert client.get(preview).status_code == 302  # to the login page
    other = manager_of(factories.ProgrammeFactory(), "other-manager")
    assert as_user(other).get(preview).status_code == 404
    manager.post(review, {"_publish": "1"})
    photo = EvidenceFile.objects.get(milestone=milestone)
    html = client.get(milestone.get_absolute_url()).content.decode()
    assert 'alt="The gate"' in html and photo.sha256 in html
    assert client.get(photo.get_absolute_url()).status_code == 200


def test_an_editor_cannot_attach_a_photo_to_another_projects_milestone(hub):
    other = factories.MilestoneFactory(programme=hub["programme"])
    url = reverse("admin:tracker_milestone_change", args=[other.pk])
    client = as_user(hub["editor"])
    assert client.get(url).status_code in (302, 403, 404)
    assert not EvidenceFile.objects.exists()


def test_a_pdf_is_not_accepted_as_a_photo(hub):
    update = factories.ProgressUpdateFactory(
        project=hub["project"], state=ProgressUpdate.State.DRAFT, published_at=None
    )
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    response = post_with_file(as_user(hub["editor"]), url, "photos", files.PDF, "photo.jpg")
    assert "A photo must be an image" in page_text(response)
    assert not EvidenceFile.objects.exists()


def test_a_source_no_published_record_cites_keeps_its_file_private(hub, client):
    uncited = factories.SourceFactory.build(title_en="Draft memo")
    uncited._history_user = hub["manager"]
    uncited.save()
    url = reverse("admin:tracker_source_change", args=[uncited.pk])
    post_with_file(as_user(hub["manager"]), url, "files", files.PDF, "memo.pdf")
    document = EvidenceFile.objects.get(source=uncited)
    assert client.get(document.get_absolute_url()).status_code == 404
    # Whoever added it reads it...
    assert as_user(hub["manager"]).get(document.get_absolute_url()).status_code == 200
    # ...and no one else's staff: an editor of another programme can neither read its
    # file nor add one that would become the first programme's evidence unseen.
    stranger = editor_of(factories.ProjectFactory(programme=factories.ProgrammeFactory()))
    assert as_user(stranger).get(document.get_absolute_url()).status_code == 404
    assert 'type="file"' not in as_user(stranger).get(url).content.decode()
    post_with_file(as_user(stranger), url, "files", files.PDF, "forged.pdf")
    assert EvidenceFile.objects.filter(source=uncited).count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/files/999999/x.pdf",
        "/files/1/../../settings.py",
        "/files/abc/x.pdf",
        "/files/999999-preview.jpg",
    ],
)
def test_bad_file_addresses_are_not_found(hub, client, path):
    assert client.get(path).status_code == 404


def test_a_nul_in_a_file_address_is_a_bad_request(hub, client):
    assert client.get("/files/1/%00.pdf").status_code == 400


def test_a_wrong_name_or_a_lost_file_is_not_found(hub, client, media_root):
    attach_to_source(hub, files.PDF, "survey.pdf")
    document = EvidenceFile.objects.get()
    assert client.get(f"/files/{document.pk}/other.pdf").status_code == 404
    (media_root / document.file.name).unlink()
    assert client.get(document.get_absolute_url()).status_code == 404


def test_files_on_a_page_cost_one_query_however_many(hub, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.opendata.test_document_files import attach

    urls = [hub["project"].get_absolute_url(), hub["programme"].get_absolute_url()]
    updates = [
        factories.ProgressUpdateFactory(project=hub["project"], programme=hub["programme"])
        for _ in range(3)
    ]
    hub["programme"].sources.add(hub["source"])

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    without = queries()
    attach(files.PDF, "survey.pdf", source=hub["source"])
    for update in updates:
        attach(files.jpeg_with_gps((40, 30)), "site.jpg", update=update)
        attach(files.jpeg_with_gps((30, 40)), "gate.jpg", update=update)
    with_files = queries()
    assert [after - before for before, after in zip(without, with_files, strict=True)] == [1, 1]
    page = client.get(urls[0]).content.decode()
    assert page.count('class="photo"') == 6 and page.count('class="source-file"') == 1


def test_pages_with_files_are_valid_html_and_punctuate_in_chinese(hub, client, tmp_path):
    import html as html_module

    from tests.helpers import vnu_errors
    from tests.opendata.test_document_files import attach
    from tests.public.test_bilingual import western_marks

    update = factories.ProgressUpdateFactory(project=hub["project"], programme=hub["programme"])
    photo = attach(files.jpeg_with_gps((40, 30)), "site.jpg", update=update)
    photo.caption_zh_hans = "工地大门"
    photo.save()
    attach(files.jpeg_with_gps((30, 40)), "gate.jpg", milestone=hub["milestone"])
    attach(files.PDF, "survey.pdf", source=hub["source"])
    archived = checks.check(b"<!DOCTYPE html><p>page</p>", "page.html", html_allowed=True)
    archived.attach_to(
        EvidenceFile(
            source=hub["source"],
            kind="archive",
            retrieved_at="2026-11-28T10:00:00+08:00",
            retrieved_from=hub["source"].url,
        )
    ).save()
    hub["milestone"].evidence = hub["source"]
    hub["milestone"].save()
    project = hub["project"].get_absolute_url()
    urls = [
        address.replace("/en/", f"/{lang}/")
        for lang in ("en", "zh-hans")
        for address in (project, hub["milestone"].get_absolute_url())
    ]
    pages = {url: client.get(url) for url in urls}
    chinese = page_text(pages[project.replace("/en/", "/zh-hans/")])
    assert "SHA-256：" in chinese and "工地大门" in chinese
    assert not western_marks(html_module.unescape(chinese))
    assert "Archived copy (retrieved Nov. 28, 2026, 10 a.m.)" in page_text(pages[project])
    assert not vnu_errors(pages, tmp_path)


def test_an_editor_cannot_attach_a_file_to_a_source_the_public_record_cites(hub):
    url = reverse("admin:tracker_source_change", args=[hub["source"].pk])
    response = post_with_file(as_user(hub["editor"]), url, "files", files.PDF, "survey.pdf")
    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()


def test_an_editor_of_another_project_cannot_reach_an_updates_photos(hub, client):
    update = factories.ProgressUpdateFactory(
        project=hub["project"], state=ProgressUpdate.State.DRAFT, published_at=None
    )
    outsider = editor_of(factories.ProjectFactory(programme=hub["programme"]), "outsider")
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    response = as_user(outsider).post(url, {"photos-TOTAL_FORMS": "1"})
    assert response.status_code in (302, 404)
    assert not EvidenceFile.objects.exists()


def test_a_photos_comment_and_xmp_do_not_survive_in_the_file_or_its_preview():
    from PIL import Image

    from tracker.editorial import files as checks

    image = Image.new("RGB", (900, 600), (30, 120, 200))
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>39,47N</exif:GPSLatitude>'
    xmp += b"</x:xmpmeta>"
    image.save(out, format="JPEG", comment=b"Taken at Rongchang East Street", xmp=xmp)
    checked = checks.check(out.getvalue(), "site.jpg")
    for content in (checked.content, checked.preview):
        assert b"Rongchang" not in content and b"GPSLatitude" not in content
        with Image.open(io.BytesIO(content)) as kept:
            assert "comment" not in kept.info and "xmp" not in kept.info


def draft_with_photo(hub, **fields) -> tuple[ProgressUpdate, EvidenceFile]:
    update = factories.ProgressUpdateFactory(
        project=hub["project"],
        programme=hub["programme"],
        author=hub["editor"],
        state=ProgressUpdate.State.DRAFT,
        published_at=None,
        **fields,
    )
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    response = post_with_file(
        as_user(hub["editor"]),
        url,
        "photos",
        files.jpeg_with_gps((400, 300)),
        "wrong.jpg",
        alt_text_en="A photo of the wrong site",
    )
    assert response.status_code == 302, page_text(response)
    return update, EvidenceFile.objects.get(update=update)


def remove_photos(user, update):
    """The update's admin form, sent with each photo row's "Delete" ticked (as a browser
    sends it, whether or not the page showed the box)."""
    client = as_user(user)
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    page = client.get(url)
    data = admin_form_data(page)
    for key in [key for key in data if key.startswith("photos-") and key.endswith("-id")]:
        if data[key]:
            data[key.removesuffix("-id") + "-DELETE"] = "on"
    return page, client.post(url, data)


def test_a_photo_is_taken_off_a_draft_update_with_its_file(
    hub, media_root, django_capture_on_commit_callbacks
):
    update, photo = draft_with_photo(hub)
    kept = [media_root / photo.file.name, media_root / photo.preview.name]
    assert all(path.exists() for path in kept)
    with django_capture_on_commit_callbacks(execute=True):
        page, response = remove_photos(hub["editor"], update)
    assert 'name="photos-0-DELETE"' in page.content.decode(), "the box is offered"
    assert response.status_code == 302, page_text(response)
    assert not EvidenceFile.objects.filter(update=update).exists()
    assert not any(path.exists() for path in kept), "the stored file and preview are gone"


def test_a_file_another_record_holds_is_kept_when_one_copy_is_taken_off(
    hub, media_root, django_capture_on_commit_callbacks
):
    update, photo = draft_with_photo(hub)
    other, copy = draft_with_photo(hub)
    assert copy.file.name == photo.file.name, "the same content is stored once"
    with django_capture_on_commit_callbacks(execute=True):
        remove_photos(hub["editor"], update)
    assert (media_root / copy.file.name).exists()
    assert client_sees_nothing_lost(copy)


def client_sees_nothing_lost(photo: EvidenceFile) -> bool:
    return checks.stored_problems() == [] and EvidenceFile.objects.filter(pk=photo.pk).exists()


def test_a_published_updates_photo_stays(hub, client):
    update, photo = draft_with_photo(hub)
    update.state = ProgressUpdate.State.PUBLISHED
    update.published_at = update.created_at
    update.save()
    for user in (hub["editor"], hub["manager"]):
        page, response = remove_photos(user, update)
        assert 'name="photos-0-DELETE"' not in page.content.decode()
        assert EvidenceFile.objects.filter(pk=photo.pk).exists()
    assert client.get(photo.get_absolute_url()).status_code == 200


def test_an_editor_of_another_project_cannot_take_a_photo_off(hub):
    update, photo = draft_with_photo(hub)
    other_project = factories.ProjectFactory(programme=hub["programme"], slug="theirs")
    stranger = editor_of(other_project, username="stranger")
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    data = {
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "1",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
        "photos-0-id": str(photo.pk),
        "photos-0-update": str(update.pk),
        "photos-0-DELETE": "on",
    }
    response = as_user(stranger).post(url, data)
    assert response.status_code in (302, 403, 404)
    assert EvidenceFile.objects.filter(pk=photo.pk).exists()
