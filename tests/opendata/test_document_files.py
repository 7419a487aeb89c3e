"""The programme document carries its evidence files: exported in full with their
SHA-256, restored by an import byte for byte, refused if a file does not match its hash."""

import base64
import io
import json

import pytest
from django.core.management import call_command

from tests import factories, files
from tracker.editorial import files as checks
from tracker.models import DEMO_MODELS, EvidenceFile, Programme
from tracker.opendata.document import DocumentError, export_programme, import_programme


def attach(content: bytes, name: str, **record) -> EvidenceFile:
    checked = checks.check(content, name)
    kind = EvidenceFile.Kind.DOCUMENT if "source" in record else EvidenceFile.Kind.PHOTO
    obj = checked.attach_to(EvidenceFile(kind=kind, alt_text_en=f"About {name}", **record))
    obj.save()
    return obj


@pytest.fixture
def with_files(db):
    programme = factories.ProgrammeFactory(slug="hub")
    project = factories.ProjectFactory(programme=programme, slug="mine")
    source = factories.SourceFactory(title_en="Survey")
    project.sources.add(source)
    milestone = factories.MilestoneFactory(project=project, programme=programme)
    update = factories.ProgressUpdateFactory(project=project, programme=programme)
    attach(files.PDF, "survey.pdf", source=source)
    attach(files.jpeg_with_gps((300, 200)), "gate.jpg", milestone=milestone)
    attach(files.jpeg_with_gps((200, 300)), "site.jpg", update=update)
    return programme


def empty_database() -> None:
    for model in DEMO_MODELS:
        for obj in model.objects.all():
            obj.sources.clear() if hasattr(obj, "sources") else None
        model.objects.all().delete()


def test_files_travel_in_the_document_and_come_back_byte_for_byte(with_files, tmp_path):
    before = {f.sha256: f.file.read() for f in EvidenceFile.objects.all()}
    path = tmp_path / "hub.json"
    call_command("export_programme", "hub", output=str(path))
    first = json.loads(path.read_text())
    assert [f["sha256"] for f in first["sources"][0]["files"]] == [
        f.sha256 for f in EvidenceFile.objects.filter(source__isnull=False)
    ]
    empty_database()
    assert not EvidenceFile.objects.exists()

    call_command("import_programme", str(path), stdout=io.StringIO())
    restored = {f.sha256: f.file.read() for f in EvidenceFile.objects.all()}
    assert restored == before
    assert all(f.preview for f in EvidenceFile.objects.filter(kind="photo"))
    assert export_programme(Programme.objects.get(slug="hub")) == first


def test_a_file_that_does_not_match_its_hash_is_refused(with_files):
    document = export_programme(with_files)
    empty_database()
    entry = document["programme"]["projects"][0]["milestones"][0]["photos"][0]
    entry["content"] = base64.b64encode(files.PDF).decode()
    with pytest.raises(DocumentError, match="does not match its SHA-256"):
        import_programme(document)
    assert not Programme.objects.exists() and not EvidenceFile.objects.exists()


def test_an_image_still_carrying_its_location_is_refused(with_files):
    document = export_programme(with_files)
    empty_database()
    entry = document["programme"]["projects"][0]["updates"][0]["photos"][0]
    raw = files.jpeg_with_gps((50, 50))
    entry["content"] = base64.b64encode(raw).decode()
    entry["sha256"] = checks.CheckedFile(raw, "image/jpeg", "x").sha256
    with pytest.raises(DocumentError, match="still carries EXIF"):
        import_programme(document)
