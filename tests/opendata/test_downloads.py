"""Downloads people can open: every table as CSV (with a byte-order mark, in the page's
language, with the codes beside their labels), XLSX and JSON (keys that never change
with the language), and each programme whole as a Frictionless data package."""

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import frictionless
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.factories import extra_data
from tests.helpers import editor_of, ensure_roles
from tracker.editorial import publishing
from tracker.models import Measurement, Milestone, Programme, ProgressUpdate, Project, Target

LANGS = ("en", "zh-hans")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def table_urls(lang: str) -> list[str]:
    base = f"/{lang}/programmes/demo-hub/"
    target = Target.objects.get(project__slug="smart-signals")
    return [
        base,
        f"{base}sectors/banking/",
        f"{base}milestones/",
        f"{base}targets/{target.pk}/",
        f"{base}changes/",
    ]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


# CSV


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_csv_download_starts_with_a_byte_order_mark_and_has_no_dash(client, demo, lang):
    for url in table_urls(lang):
        response = client.get(f"{url}?_export=csv")
        assert response.content.startswith("\ufeff".encode()), url
        assert response["Content-Disposition"].startswith("attachment;"), url
        rows = read_csv(response)
        assert len(rows) > 1, url
        # Missing values are empty cells, not a dash a program would read as text.
        assert not [cell for row in rows for cell in row if cell.strip() in ("—", "-")], url


@pytest.mark.django_db
def test_chinese_milestones_csv_reads_in_chinese_with_codes_and_iso_dates(client, demo):
    rows = read_csv(client.get("/zh-hans/programmes/demo-hub/milestones/?_export=csv"))
    assert rows[0][0] == "里程碑"
    assert rows[0][4:7] == ["计划日期", "预计日期", "完成日期"]
    # The label in Chinese, and beside it the code, headed by its machine name.
    status = rows[0].index("状态")
    assert rows[0][status + 1] == "status"
    completed = [row for row in rows[1:] if row[status + 1] == "completed"]
    assert completed and {row[status] for row in completed} == {"已完成"}
    assert set(column(rows, "status")) <= set(Milestone.Status.values)
    project = rows[0].index("项目")
    assert rows[0][project + 1] == "project"
    assert {row[project + 1] for row in rows[1:]} <= set(
        Project.objects.values_list("slug", flat=True)
    )
    # Dates are ISO whatever the language; a milestone without a forecast has an empty cell.
    planned = [row[4] for row in rows[1:]]
    assert all(ISO_DATE.fullmatch(day) for day in planned)
    forecasts = [row[5] for row in rows[1:]]
    assert "" in forecasts and all(ISO_DATE.fullmatch(day) for day in forecasts if day)
    assert all(re.fullmatch(r"-?\d+", days) for days in column(rows, "延误（天）"))


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_csv_numbers_are_plain_numbers(client, demo, lang):
    target = Target.objects.get(project__slug="smart-signals")
    Measurement.objects.filter(target=target).update(value=Decimal("1234567.50"))
    rows = read_csv(client.get(f"/{lang}/programmes/demo-hub/targets/{target.pk}/?_export=csv"))
    values = [row[1] for row in rows[1:]]
    assert values and set(values) == {"1234567.5"}
    assert all(ISO_DATE.fullmatch(row[0]) for row in rows[1:])


@pytest.mark.django_db
def test_projects_csv_has_the_rating_label_and_its_code(client, demo):
    rows = read_csv(client.get("/zh-hans/programmes/demo-hub/?_export=csv"))
    computed = rows[0].index("计算评级")
    assert rows[0][computed + 1] == "computed_rating"
    codes = {row[computed + 1] for row in rows[1:]}
    assert codes and codes <= {"green", "amber", "red", ""}
    labels = {row[computed + 1]: row[computed] for row in rows[1:]}
    assert labels.get("amber", "黄色：存在风险") == "黄色：存在风险"
    assert labels.get("", "") == ""
    lifecycle = rows[0].index("lifecycle_status")
    assert {row[lifecycle] for row in rows[1:]} <= set(Project.Lifecycle.values)


@pytest.mark.django_db
def test_changes_csv_keeps_the_old_and_new_values_as_data(client, demo):
    rows = read_csv(client.get("/en/programmes/demo-hub/changes/?_export=csv"))
    header = rows[0]
    for name in ("kind", "field", "old_value", "new_value"):
        assert name in header
    moved = [row for row in rows[1:] if row[header.index("field")] == "planned_on"]
    assert moved
    for row in moved:
        assert ISO_DATE.fullmatch(row[header.index("old_value")])
        assert ISO_DATE.fullmatch(row[header.index("new_value")])
    assert {row[header.index("kind")] for row in rows[1:]} <= {
        "created",
        "withdrawn",
        "completed",
        "measurement",
        "update",
        "revised",
    }
    assert {row[header.index("record")] for row in rows[1:]} <= {
        "project",
        "target",
        "milestone",
        "measurement",
        "update",
    }
    assert all(row[header.index("Address")].startswith("http://testserver/en/") for row in rows[1:])


# JSON


@pytest.mark.django_db
def test_json_keys_never_change_with_the_language(client, demo):
    for en, zh in zip(table_urls("en"), table_urls("zh-hans"), strict=True):
        english = json.loads(client.get(f"{en}?_export=json").content)
        chinese = json.loads(client.get(f"{zh}?_export=json").content)
        assert english and len(english) == len(chinese), en
        assert [list(row) for row in english] == [list(row) for row in chinese], en
        for key in english[0]:
            assert re.fullmatch(r"[a-z_]+", key), (en, key)


@pytest.mark.django_db
def test_json_has_numbers_as_numbers_and_null_for_missing(client, demo):
    milestones = json.loads(
        client.get("/zh-hans/programmes/demo-hub/milestones/?_export=json").content
    )
    assert {row["status"] for row in milestones} <= set(Milestone.Status.values)
    assert "已完成" in {row["status_label"] for row in milestones}
    assert all(isinstance(row["slippage_days"], int) for row in milestones)
    assert None in {row["forecast_on"] for row in milestones}
    assert all(ISO_DATE.fullmatch(row["planned_on"]) for row in milestones)
    target = Target.objects.get(project__slug="smart-signals")
    measurements = json.loads(client.get(f"{target.get_absolute_url()}?_export=json").content)
    assert measurements and all(isinstance(row["value"], int | float) for row in measurements)
    assert all(isinstance(row["source"], int) for row in measurements)


# The data package


def unpack(response, tmp_path):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
    folder = tmp_path / names[0].split("/")[0]
    return folder, json.loads((folder / "datapackage.json").read_text("utf-8"))


def package_rows(folder, name: str) -> list[dict[str, str]]:
    text = (folder / f"{name}.csv").read_text("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_programme_package_is_a_valid_data_package(client, demo, tmp_path, lang):
    folder, descriptor = unpack(client.get(f"/{lang}/programmes/demo-hub/download.zip"), tmp_path)
    names = [resource["name"] for resource in descriptor["resources"]]
    assert names == [
        "programme",
        "projects",
        "targets",
        "measurements",
        "milestones",
        "sources",
        "updates",
        "files",
    ]
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # Every table has rows, checked against their types and links by the validation
    # (the demo carries no files: tests/opendata/test_package_files.py has some).
    for name in names[:-1]:
        assert package_rows(folder, name), name
    assert (folder / "projects.csv").read_bytes().startswith("\ufeff".encode())


@pytest.mark.django_db
def test_package_names_columns_the_same_in_every_language(client, demo, tmp_path):
    _, english = unpack(client.get("/en/programmes/demo-hub/download.zip"), tmp_path / "en")
    folder, chinese = unpack(
        client.get("/zh-hans/programmes/demo-hub/download.zip"), tmp_path / "zh"
    )

    def names(descriptor):
        return [
            [field["name"] for field in resource["schema"]["fields"]]
            for resource in descriptor["resources"]
        ]

    assert names(english) == names(chinese)
    # The data dictionary, in the reader's language.
    milestones = chinese["resources"][4]["schema"]["fields"]
    assert {"name": "title", "type": "string", "title": "里程碑"} in milestones
    status = next(field for field in milestones if field["name"] == "status")
    assert status["constraints"]["enum"] == Milestone.Status.values
    rows = package_rows(folder, "milestones")
    assert {row["status"] for row in rows} <= set(Milestone.Status.values)
    assert "已完成" in {row["status_label"] for row in rows}
    targets = package_rows(folder, "targets")
    assert all(re.fullmatch(r"\d+(\.\d+)?", row["target_value"]) for row in targets)


@pytest.mark.django_db
def test_package_holds_only_the_published_record(client, demo, tmp_path):
    programme = Programme.objects.get(slug="demo-hub")
    project = Project.objects.get(slug="credit-risk-ai")
    hidden_source = factories.SourceFactory(title_en="Draft-only source")
    draft = factories.ProgressUpdateFactory(
        project=project,
        programme=programme,
        title_en="A draft nobody has published",
        state=ProgressUpdate.State.DRAFT,
        published_at=None,
    )
    draft.sources.add(hidden_source)
    ensure_roles()  # a live-server test may have emptied the migrated groups
    editor = editor_of(project)
    proposed = Milestone(
        programme=programme,
        project=project,
        title_en="A milestone waiting for review",
        planned_on=dt.date(2027, 1, 1),
    )
    change = publishing.save_change(instance=proposed, by=editor, reason="Proposed.")
    assert change.state == change.State.PENDING

    folder, _ = unpack(client.get("/en/programmes/demo-hub/download.zip"), tmp_path)
    text = " ".join(path.read_text("utf-8") for path in folder.iterdir())
    assert "A draft nobody has published" not in text
    assert "A milestone waiting for review" not in text
    assert "Draft-only source" not in text
    assert {row["title"] for row in package_rows(folder, "updates")} == set(
        ProgressUpdate.objects.published()
        .filter(programme=programme)
        .values_list("title_en", flat=True)
    )
    assert report_is_valid(folder)


def report_is_valid(folder) -> bool:
    return frictionless.validate(str(folder / "datapackage.json")).valid


@pytest.mark.django_db
def test_package_text_is_escaped_against_formulas(client, demo, tmp_path):
    programme = Programme.objects.get(slug="demo-hub")
    factories.ProjectFactory(
        programme=programme, slug="hostile", name_en='=HYPERLINK("http://evil.example/")'
    )
    folder, _ = unpack(client.get("/en/programmes/demo-hub/download.zip"), tmp_path)
    names = {row["name"] for row in package_rows(folder, "projects")}
    assert '\'=HYPERLINK("http://evil.example/")' in names
    assert not [name for name in names if name.startswith("=")]


@pytest.mark.django_db
def test_programme_page_links_the_package(client, demo):
    page = client.get("/zh-hans/programmes/demo-hub/")
    assert 'href="/zh-hans/programmes/demo-hub/download.zip"' in page.content.decode()
    assert client.get("/en/programmes/no-such-programme/download.zip").status_code == 404


@pytest.mark.django_db
def test_package_runs_the_same_queries_at_any_size(client, demo):
    url = "/en/programmes/demo-hub/download.zip"
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries()
    extra_data(Programme.objects.get(slug="demo-hub"), 6)
    assert queries() == small


@pytest.mark.page_cache
@pytest.mark.django_db(transaction=True)  # the cache's version moves when a change commits
def test_cached_package_stays_an_attachment_and_follows_the_record(client, demo, tmp_path):
    url = "/en/programmes/demo-hub/download.zip"
    first = client.get(url)
    hit = client.get(url)
    assert hit["X-Cache"] == "hit"
    assert hit.content == first.content
    assert hit["Content-Type"] == "application/zip"
    assert hit["Content-Disposition"] == 'attachment; filename="demo-hub-en.zip"'

    milestone = Milestone.objects.filter(programme__slug="demo-hub").order_by("pk").first()
    milestone.title_en = "Demo: renamed after publication"
    milestone._change_reason = "Test."
    milestone.save()
    folder, _ = unpack(client.get(url), tmp_path)
    assert "Demo: renamed after publication" in {
        row["title"] for row in package_rows(folder, "milestones")
    }
