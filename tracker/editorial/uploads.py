"""Bounds on the spreadsheets staff upload to the admin's import pages.

A file is refused, with a message saying why, before it can cost much memory or time:
larger than IMPORT_MAX_FILE_BYTES (no more of it is even kept on disk); an XLSX that
would unpack to more than IMPORT_MAX_UNPACKED_BYTES (checked on the zip's directory,
before a spreadsheet reader sees it); more than IMPORT_MAX_ROWS rows; or a cell longer
than IMPORT_MAX_CELL_CHARS characters. A preview or import still running after
IMPORT_TIME_LIMIT_SECONDS is stopped and rolled back, so that no request outlives the
web server's timeout (see the README).

Only CSV and XLSX are offered: the formats people save spreadsheets in, and the two
read here with bounds of our own.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import time
import zipfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import openpyxl
import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.forms import ImportForm

# No import has more than a dozen columns; a sheet claiming thousands is not read.
MAX_COLUMNS = 50
# An XLSX holds a handful of parts; thousands of them is not a spreadsheet.
MAX_XLSX_MEMBERS = 1000


class UploadRefused(ValueError):
    """A file outside the bounds; the message is for the person who sent it."""


def max_file_bytes() -> int:
    return settings.IMPORT_MAX_FILE_BYTES


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def too_large_message(size: int) -> str:
    return _("The file is %(size)s; files of up to %(limit)s can be imported.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(max_file_bytes()),
    }


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Django's upload to a temporary file, keeping no more than one byte past the
    largest file accepted: a bigger upload is still counted (its size is reported, so
    that the form can refuse it by name) but neither kept in memory nor on disk."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # The largest file any form takes: an import, or an evidence file (files.py).
        room = max(max_file_bytes(), settings.EVIDENCE_MAX_FILE_BYTES) + 1 - start
        if room > 0:
            self.file.write(raw_data[:room])


class BoundedImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_file_bytes():
            raise forms.ValidationError(too_large_message(upload.size), code="too_large")
        return upload


def bounded_dataset(rows: Iterable[Sequence]) -> tablib.Dataset:
    """A dataset from a header row and data rows, refused past the row, column and cell
    limits. Empty rows are left out, and bounded too: a sheet may say it has a million."""
    max_rows, max_chars = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_CELL_CHARS
    dataset = tablib.Dataset()
    headers: list | None = None
    empty = 0
    for number, row in enumerate(rows, 1):
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if not cells:
            empty += 1
            if empty > max_rows:
                raise UploadRefused(
                    _("The file has more than %(limit)s empty rows; delete them and try again.")
                    % {"limit": _count(max_rows)}
                )
            continue
        if len(dataset) >= max_rows:
            raise UploadRefused(
                _("The file has more than %(limit)s rows; import at most %(limit)s at once.")
                % {"limit": _count(max_rows)}
            )
        if len(cells) > MAX_COLUMNS:
            raise UploadRefused(
                _("Row %(row)s has more than %(limit)s columns.")
                % {"row": _count(number), "limit": _count(MAX_COLUMNS)}
            )
        for column, value in enumerate(cells, 1):
            if isinstance(value, str) and len(value) > max_chars:
                raise UploadRefused(
                    _(
                        "Row %(row)s, column %(column)s holds %(length)s characters; "
                        "a cell may hold at most %(limit)s."
                    )
                    % {
                        "row": _count(number),
                        "column": _count(column),
                        "length": _count(len(value)),
                        "limit": _count(max_chars),
                    }
                )
        if headers is None:
            headers = cells
            dataset.headers = headers
            continue
        if len(cells) > len(headers):
            raise UploadRefused(
                _("Row %(row)s has more cells than the header row has column names.")
                % {"row": _count(number)}
            )
        dataset.append(cells + [None] * (len(headers) - len(cells)))
    return dataset


def _check_size(data: bytes | str) -> None:
    size = len(data.encode() if isinstance(data, str) else data)
    if size > max_file_bytes():
        raise UploadRefused(too_large_message(size))


class BoundedCSV(base_formats.CSV):
    def create_dataset(self, in_stream: bytes | str) -> tablib.Dataset:
        _check_size(in_stream)
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        reader = csv.reader(io.StringIO(in_stream))
        try:
            return bounded_dataset(reader)
        except csv.Error as error:
            # The csv module's own bound (131,072 characters a field) stops a runaway
            # field before it is read whole; shorter ones are measured above.
            if "field limit" in str(error):
                message = _("A cell holds more than %(limit)s characters.") % {
                    "limit": _count(settings.IMPORT_MAX_CELL_CHARS)
                }
            else:
                message = _("The file is not valid CSV (near line %(line)s).") % {
                    "line": _count(reader.line_num)
                }
            raise UploadRefused(message) from error


class BoundedXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        _check_size(in_stream)
        check_xlsx_archive(in_stream)
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            sheet = book.active
            # The sheet's stated size may be anything: each row would be padded to it.
            sheet.reset_dimensions()  # type: ignore[union-attr]  # else a read failure
            rows = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)  # type: ignore[union-attr]
            return bounded_dataset(rows)
        finally:
            book.close()


def check_xlsx_archive(data: bytes) -> None:
    """An XLSX is a zip archive: its directory says how large each part unpacks, and
    zipfile never unpacks more than it says, so a zip bomb is refused here, before a
    spreadsheet reader (which unpacks the shared strings whole) sees it."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as error:
        raise UploadRefused(_("The file is not an XLSX spreadsheet.")) from error
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS or unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise UploadRefused(
            _(
                "The spreadsheet unpacks to %(size)s, more than the %(limit)s accepted: "
                "remove what is not needed (long texts, images, other sheets) or split it."
            )
            % {
                "size": filesizeformat(unpacked),
                "limit": filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES),
            }
        )


IMPORT_FORMATS: list[type[BoundedCSV] | type[BoundedXLSX]] = [BoundedCSV, BoundedXLSX]


def read_failure_message(error: Exception, input_format: str) -> str:
    """What to tell the person whose file could not be read (never the exception's
    name or text, which mean nothing to them and may repeat what they sent)."""
    if isinstance(error, UploadRefused):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return _("The file is not UTF-8 text: save it as “CSV UTF-8” and try again.")
    return _("The file could not be read as %(format)s. Check that you chose the right format.") % {
        "format": input_format
    }


class ImportTooSlow(Exception):
    """An import stopped at its time limit; everything it did is rolled back."""

    def __init__(self, row: int, total: int, seconds: float):
        super().__init__(row, total, seconds)
        self.row, self.total, self.seconds = row, total, seconds

    def message(self) -> str:
        rows_per_part = max(1, int(self.row * 0.8))
        return _(
            "The import was stopped after %(seconds)s seconds, at row %(row)s of %(total)s, "
            "and nothing was saved: split the file into parts of about %(part)s rows."
        ) % {
            "seconds": _count(round(self.seconds)),
            "row": _count(self.row),
            "total": _count(self.total),
            "part": _count(rows_per_part),
        }


_timed_classes: dict[type, type] = {}


def timed(resource_class: type) -> type:
    """The resource, stopping its import once it has run IMPORT_TIME_LIMIT_SECONDS, so
    that no preview or import outlives the web server's timeout: it stops with a message
    saying how to split the file, where gunicorn would kill the worker (GUNICORN_TIMEOUT)
    and leave the person an error page."""
    if resource_class not in _timed_classes:

        class Timed(resource_class):
            def import_data(self, dataset, *args, **kwargs):
                self._started = time.monotonic()
                self._total_rows = len(dataset)
                return super().import_data(dataset, *args, **kwargs)

            def import_row(self, row, instance_loader, **kwargs):
                elapsed = time.monotonic() - self._started
                if elapsed > settings.IMPORT_TIME_LIMIT_SECONDS:
                    raise ImportTooSlow(kwargs.get("row_number", 0), self._total_rows, elapsed)
                return super().import_row(row, instance_loader, **kwargs)

        Timed.__name__ = Timed.__qualname__ = resource_class.__name__
        _timed_classes[resource_class] = Timed
    return _timed_classes[resource_class]


if TYPE_CHECKING:
    from import_export.admin import ImportMixin
else:
    ImportMixin = object


class BoundedImportMixin(ImportMixin):
    """For a ModelAdmin with django-import-export's ImportMixin: the bounded formats and
    form, an import stopped at its time limit, readable messages, and no temporary file
    left behind by a preview that cannot be confirmed."""

    import_form_class = BoundedImportForm

    def get_import_formats(self) -> list:
        return [f for f in IMPORT_FORMATS if f().can_import()]

    def choose_import_resource_class(self, form, request):
        return timed(super().choose_import_resource_class(form, request))

    def add_data_read_fail_error_to_form(self, form, e: Exception) -> None:
        formats = self.get_import_formats()
        index = form.cleaned_data.get("format")
        title = formats[int(index)]().get_title().upper() if index not in (None, "") else ""
        form.add_error("import_file", read_failure_message(e, title))

    def _remove_kept_file(self, name: str | None) -> None:
        if name:
            storage = self.get_tmp_storage_class()(
                name=os.path.basename(name), **self.get_tmp_storage_class_kwargs()
            )
            with contextlib.suppress(FileNotFoundError):
                storage.remove()

    def _back_to_import(self, request: HttpRequest, message: str) -> HttpResponse:
        messages.error(request, message)
        url = "admin:{}_{}_import".format(*self.get_model_info())
        return HttpResponseRedirect(reverse(url, current_app=self.admin_site.name))

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        try:
            response = super().import_action(request, **kwargs)
        except ImportTooSlow as error:
            self._remove_kept_file(
                getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            )
            return self._back_to_import(request, error.message())
        context = getattr(response, "context_data", None) or {}
        if context.get("confirm_form") is None:
            # Nothing to confirm: the copy kept for the confirmation goes now.
            self._remove_kept_file(
                getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            )
        return response

    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        try:
            return super().process_import(request, **kwargs)
        except ImportTooSlow as error:
            self._remove_kept_file(request.POST.get("import_file_name"))
            return self._back_to_import(request, error.message())
        except (ValueError, IndexError, KeyError):
            # A confirm form whose format was altered on its way back.
            return self._back_to_import(request, _("Choose the file's format and upload it again."))
        except (FileNotFoundError, UploadRefused):
            # Confirmed twice, or on another server than the preview's.
            return self._back_to_import(request, _("The previewed file is gone: upload it again."))
