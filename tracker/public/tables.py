"""The public tables (django-tables2): sortable, paginated, with an empty state."""

import functools
import types
from collections.abc import Hashable

import django_tables2 as tables
from django.template.loader import render_to_string
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
            "name": linked(record.get_absolute_url(), record.name) if record.name else self.default,
            "sector": self.shown(record.sector),
            "lifecycle_status": self.shown(record.get_lifecycle_status_display()),
            "computed": self.render_computed(record),
            "milestones": self.render_milestones(record),
            "declared_rating": self.render_declared_rating(record) if declared else self.default,
            "due_on": self.shown(record.due_on and date_format(record.due_on, "DATE_FORMAT")),
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
        project = record.project
        dates = {
            name: self.shown(on and date_format(on, "DATE_FORMAT"))
            for name, on in (
                ("planned_on", record.planned_on),
                ("forecast_on", record.forecast_on),
                ("completed_on", record.completed_on),
            )
        }
        return {
            "title": linked(record.get_absolute_url(), record.title)
            if record.title
            else self.default,
            "project": linked(project.get_absolute_url(), project.name)
            if project
            else self.default,
            **dates,
            "status": self.render_status(record) if record.get_status_display() else self.default,
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
