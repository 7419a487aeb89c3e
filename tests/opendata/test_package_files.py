"""The programme's data package lists the evidence files of its public record: where to
fetch each and its SHA-256, linked to the source, update or milestone that carries it;
never a file the public pages do not show."""

import hashlib
import urllib.parse

import frictionless
import pytest

from tests import factories, files
from tests.opendata.test_document_files import attach, with_files  # noqa: F401 (a fixture)
from tests.opendata.test_downloads import package_rows, unpack
from tracker.models import ProgressUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(with_files):  # noqa: F811 (the fixture imported above)
    """The programme with a file on a source, a milestone and an update, and two files
    the public does not see: a draft update's photo and an uncited source's document."""
    project = with_files.projects.get(slug="mine")
    draft = factories.ProgressUpdateFactory(
        project=project, programme=with_files, state=ProgressUpdate.State.DRAFT, published_at=None
    )
    attach(files.jpeg_with_gps((100, 100)), "draft.jpg", update=draft)
    attach(files.PDF, "private.pdf", source=factories.SourceFactory(title_en="Nobody cites"))
    return with_files


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_package_lists_the_public_files_with_their_hashes(client, hub, tmp_path, lang):
    folder, descriptor = unpack(client.get(f"/{lang}/programmes/hub/download.zip"), tmp_path)
    assert "files" in [resource["name"] for resource in descriptor["resources"]]
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = package_rows(folder, "files")
    assert sorted(row["original_name"] for row in rows) == ["gate.jpg", "site.jpg", "survey.pdf"]
    for row in rows:
        # Each file is fetched from its address and is the file its hash names.
        path = urllib.parse.urlsplit(row["url"]).path
        served = client.get(path)
        assert served.status_code == 200, row
        assert hashlib.sha256(b"".join(served.streaming_content)).hexdigest() == row["sha256"]
    survey = next(row for row in rows if row["original_name"] == "survey.pdf")
    assert survey["source"] in {r["id"] for r in package_rows(folder, "sources")}
    assert survey["kind"] == "document" and survey["update"] == survey["milestone"] == ""


def test_the_api_lists_the_same_files(client, hub):
    response = client.get("/api/v1/programmes/hub/files")
    assert response.status_code == 200
    listed = response.json()["items"]
    assert sorted(item["name"] for item in listed) == ["gate.jpg", "site.jpg", "survey.pdf"]
    gate = next(item for item in listed if item["name"] == "gate.jpg")
    assert gate["kind"] == "photo" and gate["milestone"] and gate["source"] is None
    assert gate["alt_text"] == {"en": "About gate.jpg", "zh_hans": ""}
    served = client.get(gate["url"])
    assert hashlib.sha256(b"".join(served.streaming_content)).hexdigest() == gate["sha256"]
    assert client.get("/api/v1/programmes/nowhere/files").status_code == 404
    assert client.get("/api/v1/programmes/hub/files?page=0").status_code == 422
