"""Files uploaded to the admin's import pages are bounded: size, unpacked size, rows and
cell length, each refused with a message, never a 500, nothing saved or kept."""

import io
import tempfile
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from tests import factories
from tracker.models import Milestone

HEADER = "id,project,title_en,title_zh_hans,planned_on,forecast_on,completed_on,status,weight\n"


def row(title: str) -> str:
    return f",hub/mine,{title},,2025-03-01,,,planned,1\n"


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for values in rows:
        book.active.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def preview(client, content: bytes, name: str, fmt: str = "csv"):
    url = reverse("admin:tracker_milestone_import")
    choices = client.get(url).context["form"].fields["format"].choices
    formats = {label.lower(): value for value, label in choices if value != ""}
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(url, {"import_file": upload, "format": formats[fmt], "resource": "0"})


def refusal(response) -> str:
    """The message under the file field; and nothing to confirm."""
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    return " ".join(response.context["form"].errors.get("import_file", [])).replace("\xa0", " ")


@pytest.fixture
def staff(admin_client, db, tmp_path, monkeypatch):
    programme = factories.ProgrammeFactory(slug="hub")
    factories.ProjectFactory(programme=programme, slug="mine")
    # The copies kept between preview and confirmation go to a folder of this test's.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return admin_client


def test_only_csv_and_xlsx_are_offered(staff):
    choices = staff.get(reverse("admin:tracker_milestone_import")).context["form"]
    labels = {label for value, label in choices.fields["format"].choices if value}
    assert labels == {"csv", "xlsx"}


def test_a_file_over_the_size_limit_is_refused_and_not_kept(staff, tmp_path):
    content = (HEADER + row("x" * 100) * 25_000).encode()
    assert len(content) > 2 * 1024 * 1024
    message = refusal(preview(staff, content, "big.csv"))
    assert "files of up to 2.0 MB can be imported" in message
    assert "The file is 3.2 MB" in message
    assert list(tmp_path.iterdir()) == []


def test_an_xlsx_that_unpacks_to_a_huge_cell_is_refused_before_it_is_read(staff, tmp_path):
    """A zip bomb: a small file whose one cell unpacks to tens of megabytes."""
    small = io.BytesIO(xlsx([HEADER.strip().split(","), ["", "hub/mine", "Bomb"]]))
    bomb = io.BytesIO()
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(bomb, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"Bomb", b"A" * 30_000_000)
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    content = bomb.getvalue()
    assert len(content) < 100_000
    tracemalloc.start()
    try:
        response = preview(staff, content, "bomb.xlsx", "xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "The spreadsheet unpacks to 28.6 MB, more than the 20.0 MB accepted" in refusal(response)
    assert peak < 10_000_000, "the cell was never unpacked"
    assert not Milestone.objects.filter(project__slug="mine").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_csv_with_a_runaway_field_is_refused_with_a_clear_message(staff):
    content = (HEADER + ',hub/mine,"' + "x" * 1_500_000 + '",,2025-03-01,,,planned,1\n').encode()
    message = refusal(preview(staff, content, "field.csv"))
    assert message == "A cell holds more than 5,000 characters."


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cell_over_the_length_limit_is_refused_naming_its_row_and_column(staff, fmt):
    if fmt == "csv":
        content = (HEADER + row("Fine") + row("y" * 6000)).encode()
    else:
        content = xlsx(
            [
                HEADER.strip().split(","),
                ["", "hub/mine", "Fine", "", "2025-03-01", "", "", "planned", 1],
                ["", "hub/mine", "y" * 6000, "", "2025-03-01", "", "", "planned", 1],
            ]
        )
    message = refusal(preview(staff, content, f"long.{fmt}", fmt))
    assert message == "Row 3, column 3 holds 6,000 characters; a cell may hold at most 5,000."
    assert not Milestone.objects.filter(title_en="Fine").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_rows_than_the_limit_are_refused(staff, settings, fmt):
    settings.IMPORT_MAX_ROWS = 20
    titles = [f"Row {n}" for n in range(21)]
    if fmt == "csv":
        content = (HEADER + "".join(row(t) for t in titles)).encode()
    else:
        content = xlsx(
            [HEADER.strip().split(",")]
            + [["", "hub/mine", t, "", "2025-03-01", "", "", "planned", 1] for t in titles]
        )
    message = refusal(preview(staff, content, f"many.{fmt}", fmt))
    assert message == "The file has more than 20 rows; import at most 20 at once."


def test_a_file_within_the_limits_previews_every_row(staff, settings):
    settings.IMPORT_MAX_ROWS = 20
    content = (HEADER + "".join(row(f"Row {n}") for n in range(20)) + ",,,\n" * 20).encode()
    response = preview(staff, content, "fine.csv")
    assert response.context["confirm_form"] is not None, "20 rows, and 20 empty ones"
    assert len(response.context["result"].rows) == 20
    response = preview(staff, content + b",,\n", "fine.csv")
    assert refusal(response) == "The file has more than 20 empty rows; delete them and try again."


def test_an_xlsx_claiming_a_huge_sheet_is_read_by_its_cells(staff):
    content = io.BytesIO(
        xlsx(
            [
                HEADER.strip().split(","),
                ["", "hub/mine", "Only row", "", "2025-03-01", "", "", "planned", 1],
            ]
        )
    )
    patched = io.BytesIO()
    with zipfile.ZipFile(content) as source, zipfile.ZipFile(patched, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:I2" />', b'<dimension ref="A1:XFD9999" />')
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    response = preview(staff, patched.getvalue(), "wide.xlsx", "xlsx")
    assert response.context["confirm_form"] is not None
    assert "Only row" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "name", "fmt", "complaint"),
    [
        ("título,ok\n".encode("latin-1"), "latin.csv", "csv", "The file is not UTF-8 text"),
        (HEADER.encode(), "not.xlsx", "xlsx", "The file is not an XLSX spreadsheet."),
        (b"PK\x03\x04garbage", "broken.xlsx", "xlsx", "The file is not an XLSX spreadsheet."),
    ],
)
def test_an_unreadable_file_gets_a_message_not_an_exception_name(
    staff, content, name, fmt, complaint
):
    message = refusal(preview(staff, content, name, fmt))
    assert complaint in message
    assert "encountered" not in message


def test_confirming_a_preview_whose_file_is_gone_asks_for_it_again(staff, tmp_path):
    response = preview(staff, (HEADER + row("Survey done")).encode(), "m.csv")
    confirm = response.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    for kept in tmp_path.iterdir():
        kept.unlink()  # as if the preview had been on another server
    response = staff.post(reverse("admin:tracker_milestone_process_import"), data, follow=True)
    assert response.status_code == 200
    assert "The previewed file is gone: upload it again." in response.content.decode()
    assert not Milestone.objects.filter(title_en="Survey done").exists()


def test_an_import_that_runs_too_long_is_stopped_and_saves_nothing(staff, settings, tmp_path):
    settings.IMPORT_TIME_LIMIT_SECONDS = 0.2
    content = (HEADER + "".join(row(f"Slow {n}") for n in range(300))).encode()
    response = preview(staff, content, "slow.csv")
    assert response.status_code == 302
    page = staff.get(response.url).content.decode()
    assert "The import was stopped after 0 seconds, at row" in page
    assert "of 300, and nothing was saved: split the file into parts of about" in page
    assert not Milestone.objects.filter(title_en__startswith="Slow").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_confirmed_import_that_runs_too_long_is_stopped_and_saves_nothing(
    staff, settings, tmp_path
):
    content = (HEADER + "".join(row(f"Slow {n}") for n in range(30))).encode()
    confirm = preview(staff, content, "slow.csv").context["confirm_form"]
    settings.IMPORT_TIME_LIMIT_SECONDS = 0
    response = staff.post(
        reverse("admin:tracker_milestone_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
        follow=True,
    )
    assert "The import was stopped after" in response.content.decode()
    assert not Milestone.objects.filter(title_en__startswith="Slow").exists()
    assert list(tmp_path.iterdir()) == []
