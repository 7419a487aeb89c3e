"""Every spreadsheet the tracker produces, public download or admin export, goes out
through one escaping rule, so that text typed by an editor or sent by the public is
never run as a formula by the program that opens the file.

A cell that begins with = + - @ (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets: `=HYPERLINK(...)` becomes a live link and
`=cmd|' /C calc'!A0` runs a program. Such text gets a leading apostrophe, the
spreadsheets' own mark for "this is text". Numbers are left alone, also a negative one
written as text in a CSV file, so that they stay numbers.
"""

import re

from django_tables2.export import TableExport
from import_export.formats import base_formats
from tablib import Dataset

# The full-width forms too: some spreadsheets read them as the ASCII sign.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape_formula(value):
    """The value as a spreadsheet should hold it: text that would start a formula gets
    a leading apostrophe; anything else, numbers and dates above all, is unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if NUMBER.fullmatch(value):
        return value
    return "'" + value


def escape_dataset(dataset: Dataset) -> Dataset:
    """A copy of the dataset with every cell escaped (the headers too)."""
    escaped = Dataset(title=dataset.title)
    escaped.headers = [escape_formula(header) for header in dataset.headers or []] or None
    for row in dataset:
        escaped.append([escape_formula(cell) for cell in row])
    return escaped


# The public downloads: what each table offers, and which of them are spreadsheets.
DOWNLOAD_FORMATS = ("csv", "xlsx", "json")
SPREADSHEET_FORMATS = ("csv", "xlsx")


class SafeTableExport(TableExport):
    """django-tables2's export, escaped for spreadsheets and limited to our formats."""

    def __init__(self, export_format, table, exclude_columns=None, dataset_kwargs=None):
        super().__init__(export_format, table, exclude_columns, dataset_kwargs)
        if export_format in SPREADSHEET_FORMATS:
            self.dataset = escape_dataset(self.dataset)  # type: ignore[has-type]  # untyped base

    @classmethod
    def is_valid_format(cls, export_format) -> bool:
        return export_format in DOWNLOAD_FORMATS


class EscapedFormat:
    """For django-import-export's formats: escape the dataset before it is written."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(escape_dataset(dataset), **kwargs)  # type: ignore[misc]  # mixin


class CSV(EscapedFormat, base_formats.CSV):
    pass


class XLSX(EscapedFormat, base_formats.XLSX):
    pass


# django-import-export writes native cells (numbers as numbers, dates as dates) only for
# the binary formats it lists, compared by exact class; ours is one of them.
base_formats.BINARY_FORMATS.append(XLSX)


# The admin's export formats (settings.EXPORT_FORMATS), in django-import-export's order:
# JSON is data, not a spreadsheet, and goes out as it is.
ADMIN_EXPORT_FORMATS = [CSV, XLSX, base_formats.JSON]
