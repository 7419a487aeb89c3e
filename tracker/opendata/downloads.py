"""Downloads people can open in a spreadsheet and programs can read, in either language.

Each table of the public pages downloads as CSV, XLSX or JSON (`?_export=`), and each
programme downloads whole as a data package (tracker.opendata.package). They follow the
same rules:

- A CSV file starts with a UTF-8 byte-order mark, without which Excel on Windows reads
  Chinese as garbage.
- Headers and values are in the page's language. A coded value (a status, a rating)
  is shown by its label, and beside it is its code, in a column headed by the field's
  machine name, the same in every language.
- Dates are ISO 8601 (2026-03-31), numbers are plain (50000000000: no grouping, no
  unit), and what is missing is an empty cell (null in JSON), never a dash.
- JSON keys are the machine names, whatever the language; numbers are JSON numbers.
- Spreadsheet text is escaped against formulas (tracker.spreadsheets).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from tablib import Dataset

from tracker import revisions
from tracker.models import Measurement, Milestone, Project, Rating
from tracker.spreadsheets import escape_dataset, escape_formula

BOM = "\ufeff"
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass(frozen=True)
class Field:
    """One column of a download.

    `name` is the machine name: the JSON key, the data package's field and the header
    of the code column, never translated. `title` is the header people read. A field
    with `label` holds a code: people read the label, programs the code (one of
    `codes`). `type` is the Table Schema type (string, integer, number, date,
    datetime, boolean); `format="uri"` makes a path an absolute address."""

    name: str
    title: Any
    type: str = "string"
    get: Callable[[Any], Any] | None = None
    label: Callable[[Any], Any] | None = None
    codes: Sequence[str] | None = None
    format: str | None = None

    def value(self, record: Any, request: HttpRequest | None = None) -> Any:
        value = self.get(record) if self.get else getattr(record, self.name)
        if value == "" or value is None:
            return None
        if self.format == "uri" and request is not None:
            return request.build_absolute_uri(value)
        return value

    def readable(self, record: Any) -> str | None:
        """The label of the code in the page's language; None when there is no code."""
        if self.label is None or self.value(record) is None:
            return None
        return str(self.label(record)) or None


def display(name: str) -> Callable[[Any], str]:
    """The label of a choice field, as get_FOO_display gives it."""
    return lambda record: getattr(record, f"get_{name}_display")()


def url(record) -> str:
    return record.get_absolute_url()


def rating_label(code: str) -> str:
    return str(Rating(code).label) if code else ""


# What people see: readable columns, each code beside its label.


def headers(fields: Sequence[Field]) -> list[str]:
    names = []
    for field in fields:
        names.append(str(field.title))
        if field.label:
            names.append(field.name)
    return names


def row(fields: Sequence[Field], record: Any, request: HttpRequest | None) -> list[Any]:
    cells = []
    for field in fields:
        if field.label:
            cells.append(field.readable(record))
        cells.append(field.value(record, request))
    return cells


# What programs read: machine names, codes, and each label under `<name>_label`.


def record_dict(fields: Sequence[Field], record: Any, request: HttpRequest | None) -> dict:
    cells = machine_row(fields, record, request)
    return {name: json_value(cell) for name, cell in zip(machine_names(fields), cells, strict=True)}


def machine_names(fields: Sequence[Field]) -> list[str]:
    names = []
    for field in fields:
        names.append(field.name)
        if field.label:
            names.append(f"{field.name}_label")
    return names


def machine_row(fields: Sequence[Field], record: Any, request: HttpRequest | None) -> list[Any]:
    cells = []
    for field in fields:
        cells.append(field.value(record, request))
        if field.label:
            cells.append(field.readable(record))
    return cells


# Cells


def plain_number(value: Decimal) -> str:
    """50000000000, 0.25: no exponent, no grouping, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value).replace(microsecond=0)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return local(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, str):
        return escape_formula(value)
    return str(value)


def xlsx_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the local time, as the pages show it.
        return local(value).replace(tzinfo=None)
    return value


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return local(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV file as text, starting with the byte-order mark."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(cell) for cell in cells] for cells in rows)
    return out.getvalue()


def attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_response(
    fmt: str,
    fields: Sequence[Field],
    records: Iterable[Any],
    filename: str,
    request: HttpRequest | None = None,
) -> HttpResponse:
    """One table as a download in `fmt` (csv, xlsx or json), named `filename`."""
    records = list(records)
    if fmt == "json":
        data = [record_dict(fields, record, request) for record in records]
        content = json.dumps(data, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        content = csv_text(headers(fields), (row(fields, r, request) for r in records))
    else:
        dataset = Dataset(headers=headers(fields))
        for record in records:
            dataset.append([xlsx_cell(cell) for cell in row(fields, record, request)])
        content = escape_dataset(dataset).export("xlsx")
    return attachment(content, CONTENT_TYPES[fmt], filename)


# The tables' downloads


def _source_title(measurement: Measurement) -> str:
    return measurement.source.title if measurement.source else ""


def _unit(measurement: Measurement) -> str:
    target = measurement.target
    return target.currency if target.kind == "money" else target.unit


PROJECT_NAME = Field("name", _("Project"))
PROJECT_SLUG = Field("slug", _("Identifier"))
SECTOR = Field(
    "sector",
    _("Sector"),
    get=lambda p: p.sector.slug if p.sector_id else None,
    label=lambda p: p.sector.name,
)
LIFECYCLE = Field(
    "lifecycle_status",
    _("Lifecycle status"),
    label=display("lifecycle_status"),
    codes=Project.Lifecycle.values,
)
COMPUTED_RATING = Field(
    "computed_rating",
    _("Computed rating"),
    # Stored (tracker.stored), as the pages show it.
    label=lambda p: rating_label(p.computed_rating),
    codes=Rating.values,
)
DECLARED_RATING = Field(
    "declared_rating", _("Declared rating"), label=display("declared_rating"), codes=Rating.values
)

PROJECTS = (
    PROJECT_NAME,
    PROJECT_SLUG,
    SECTOR,
    LIFECYCLE,
    COMPUTED_RATING,
    DECLARED_RATING,
    Field("due_on", _("Due"), "date"),
)

MILESTONE_PROJECT = Field(
    "project",
    _("Project"),
    get=lambda m: m.project.slug if m.project_id else None,
    label=lambda m: m.project.name,
)
MILESTONE_STATUS = Field(
    "status", _("Status"), label=display("status"), codes=Milestone.Status.values
)
SLIPPAGE = Field("slippage_days", _("Slippage (days)"), "integer", get=lambda m: m.slippage_days())

MILESTONES = (
    Field("title", _("Milestone")),
    Field("id", _("Identifier"), "integer"),
    MILESTONE_PROJECT,
    Field("planned_on", _("Planned for"), "date"),
    Field("forecast_on", _("Forecast for"), "date"),
    Field("completed_on", _("Completed on"), "date"),
    MILESTONE_STATUS,
    SLIPPAGE,
)

MEASUREMENTS = (
    Field("as_of", _("As of"), "date"),
    Field("value", _("Value"), "number"),
    Field("unit", _("Unit"), get=_unit),
    Field("source", _("Source"), "integer", get=lambda m: m.source_id, label=_source_title),
    Field("source_url", _("Address"), get=lambda m: m.source.url if m.source_id else None),
    Field("note", _("Note")),
)


CHANGES = (
    Field("when", _("Date"), "datetime"),
    Field("kind", _("Kind"), label=lambda c: c.kind_label, codes=tuple(revisions.KINDS)),
    Field("record", _("Record"), label=lambda c: c.record_label, codes=tuple(revisions.RECORDS)),
    Field("record_id", _("Identifier"), "integer"),
    Field("subject", _("Subject")),
    Field("field", _("What changed"), label=lambda c: c.what),
    Field("old_value", _("Old value"), label=lambda c: c.old),
    Field("new_value", _("New value"), label=lambda c: c.new),
    Field("reason", _("Reason given")),
    Field("role", _("By"), label=lambda c: c.role_label, codes=tuple(revisions.ROLES)),
    Field("url", _("Address"), format="uri"),
)
