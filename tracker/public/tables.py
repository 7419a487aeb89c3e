"""The public tables (django-tables2): sortable, paginated, with an empty state."""

import functools
import re
import types
from collections.abc import Hashable

import django_tables2 as tables
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_tables2 import utils as tables_utils

from tracker import status
from tracker.models import Milestone, Project
from tracker.opendata import downloads

TEMPLATE = "tracker/_table.html"

# django-tables2 reads the signature of a column's render method for every cell it
# renders (django_tables2.utils.call_with_appropriate), a third of a 50-row table's
# time. A function's signature never changes: it is read once per function here.
_read_signature = tables_utils.signature


@functools.cache
def _signature_of(function, bound: bool) -> tuple:
    return _read_signature(function.__get__(object()) if bound else function)


def _cached_signature(fn) -> tuple:
    if isinstance(fn, types.MethodType):
        return _signature_of(fn.__func__, True)
    if isinstance(fn, types.FunctionType):
        return _signature_of(fn, False)
    return _read_signature(fn)


tables_utils.signature = _cached_signature


class DateColumn(tables.DateColumn):
    """django-tables2's date column, formatted as its `date` filter would be, without
    compiling its template again for every cell (a third of a 50-row table's time)."""

    def __init__(self, *args, short: bool = True, **kwargs):
        super().__init__(*args, short=short, **kwargs)
        self.date_format = "SHORT_DATE_FORMAT" if short else "DATE_FORMAT"

    def render(self, record, table, value, bound_column, **kwargs):
        return date_format(value, self.date_format) if value else bound_column.default


def badge(drawn: status.Badge) -> str:
    """The one status, rating or overdue badge (templates/tracker/_status.html)."""
    return drawn_once("tracker/_status.html", "badge", drawn, get_language())


@functools.lru_cache(maxsize=1024)
def drawn_once(template: str, name: str, value: Hashable, language: str | None) -> str:
    """A cell drawn by `template` from `value` alone (a frozen dataclass: a badge, a
    milestone progress) in the active `language`: a table draws the same few in every
    row, and rendering the template for each was a fifth of a 50-row table's time."""
    return render_to_string(template, {name: value})


@functools.lru_cache(maxsize=4096)
def date_text(on, language: str | None) -> str:
    """A date as the `date` filter shows it with DATE_FORMAT, in the active `language`
    (named for the cache): a table shows the same few dates in many rows."""
    return date_format(on, "DATE_FORMAT")


# Stands for a row's key while an address is built (a number: any route's key takes it).
KEY_MARK = 8191073549311


class Addresses:
    """reverse() for the rows of a table: each route's address is built once (for the
    page's language and the given arguments) with a mark where the row's key goes, then
    the key put in; reverse's work for every row was a tenth of a table's time. A key
    that reverse would escape (not a whole number or a slug) goes through reverse."""

    def __init__(self) -> None:
        self.made: dict[tuple, list[str]] = {}

    def __call__(self, route: str, key_name: str, key, **given) -> str:
        made = (route, key_name, get_language(), tuple(sorted(given.items())))
        parts = self.made.get(made)
        if parts is None:
            url = reverse(route, kwargs={**given, key_name: KEY_MARK})
            parts = self.made[made] = url.split(str(KEY_MARK))
        if len(parts) != 2 or not SLUG.fullmatch(str(key)):
            return reverse(route, kwargs={**given, key_name: key})
        return f"{parts[0]}{key}{parts[1]}"


SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def linked(url: str, text) -> str:
    """A linkified column's cell (django-tables2's LinkTransform, no other attribute)."""
    return format_html('<a href="{}">{}</a>', url, text)


class RowCells:
    """A table whose cells `row_cells` gives for a record, by column name, as
    django-tables2 renders them (BoundRow.items): templatetags table_rows draws its rows
    from them without the per-cell work of django-tables2 (accessors, field lookups,
    signatures, attributes: most of a 50-row table's time). tests/public/test_render_tags.py
    compares the two."""

    default: str

    @functools.cached_property
    def addresses(self) -> Addresses:
        return Addresses()

    def project_url(self, project: Project) -> str:
        """project.get_absolute_url(), by `addresses`."""
        return self.addresses(
            "tracker:project-detail", "project", project.slug, programme=project.programme.slug
        )

    def shown(self, value):
        """A cell's value, or the table's default when empty (None, "")."""
        return self.default if value is None or value == "" else value


class ProjectTable(RowCells, tables.Table):
    download_fields = downloads.PROJECTS

    name = tables.Column(verbose_name=_("Project"), linkify=True)
    sector = tables.Column(verbose_name=_("Sector"), order_by=("sector__name",))
    lifecycle_status = tables.Column(verbose_name=_("Lifecycle status"))
    computed = tables.Column(verbose_name=_("Computed rating"), empty_values=(), orderable=False)
    milestones = tables.Column(verbose_name=_("Milestones done"), empty_values=(), orderable=False)
    declared_rating = tables.Column(verbose_name=_("Declared rating"))
    due_on = DateColumn(verbose_name=_("Due"), short=False)

    class Meta:
        model = Project
        fields = (
            "name",
            "sector",
            "lifecycle_status",
            "computed",
            "milestones",
            "declared_rating",
            "due_on",
        )
        template_name = TEMPLATE
        empty_text = _("No project of this programme has been publicly identified yet.")
        attrs = {"class": "data"}

    def render_computed(self, record: Project) -> str:
        rating = record.computed_rating  # stored (tracker.stored)
        if not rating:
            return str(_("Unknown"))
        return badge(status.rating_badge(rating))

    def render_milestones(self, record: Project) -> str:
        done = status.stored_milestone_progress(record)
        if done.percent is None:
            return done.text
        return drawn_once("tracker/_milestone_progress.html", "progress", done, get_language())

    def render_declared_rating(self, record: Project) -> str:
        return badge(
            status.rating_badge(record.declared_rating, record.get_declared_rating_display())
        )

    def row_cells(self, record: Project) -> dict:
        declared = record.get_declared_rating_display()
        return {
            "name": linked(self.project_url(record), record.name) if record.name else self.default,
            "sector": self.shown(record.sector),
            "lifecycle_status": self.shown(record.get_lifecycle_status_display()),
            "computed": self.render_computed(record),
            "milestones": self.render_milestones(record),
            "declared_rating": self.render_declared_rating(record) if declared else self.default,
            "due_on": self.shown(record.due_on and date_text(record.due_on, get_language())),
        }


class MilestoneTable(RowCells, tables.Table):
    download_fields = downloads.MILESTONES

    title = tables.Column(verbose_name=_("Milestone"), linkify=True)
    project = tables.Column(verbose_name=_("Project"), linkify=True, order_by=("project__name",))
    planned_on = DateColumn(verbose_name=_("Planned for"), short=False)
    forecast_on = DateColumn(verbose_name=_("Forecast for"), short=False)
    completed_on = DateColumn(verbose_name=_("Completed on"), short=False)
    status = tables.Column(verbose_name=_("Status"))
    slippage = tables.Column(verbose_name=_("Slippage (days)"), empty_values=(), orderable=False)

    class Meta:
        model = Milestone
        fields = (
            "title",
            "project",
            "planned_on",
            "forecast_on",
            "completed_on",
            "status",
            "slippage",
        )
        template_name = TEMPLATE
        empty_text = _("No milestone matches.")
        attrs = {"class": "data"}

    def render_project(self, value) -> str:
        return value.name

    def render_status(self, record: Milestone) -> str:
        return badge(status.overdue_badge(record, timezone.localdate()))

    def render_slippage(self, record: Milestone) -> int:
        return record.slippage_days()

    def row_cells(self, record: Milestone) -> dict:
        project, language = record.project, get_language()
        dates = {
            name: self.shown(on and date_text(on, language))
            for name, on in (
                ("planned_on", record.planned_on),
                ("forecast_on", record.forecast_on),
                ("completed_on", record.completed_on),
            )
        }
        return {
            "title": linked(
                self.addresses(
                    "tracker:milestone-detail", "pk", record.pk, programme=record.programme.slug
                ),
                record.title,
            )
            if record.title
            else self.default,
            "project": linked(self.project_url(project), project.name) if project else self.default,
            **dates,
            # get_status_display() is falsy exactly when the status is.
            "status": self.render_status(record) if record.status else self.default,
            "slippage": self.render_slippage(record),
        }


class MeasurementTable(tables.Table):
    """A target's measurements, for its downloads only."""

    download_fields = downloads.MEASUREMENTS

    class Meta:
        template_name = TEMPLATE


class ChangeTable(tables.Table):
    """The What changed log, for its downloads only."""

    download_fields = downloads.CHANGES

    class Meta:
        template_name = TEMPLATE
