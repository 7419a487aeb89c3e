"""The public tables (django-tables2): sortable, paginated, with an empty state."""

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker import status
from tracker.models import Milestone, Project

TEMPLATE = "tracker/_table.html"


def badge(drawn: status.Badge) -> str:
    """The one status, rating or overdue badge (templates/tracker/_status.html)."""
    return render_to_string("tracker/_status.html", {"badge": drawn})


class ProjectTable(tables.Table):
    name = tables.Column(verbose_name=_("Project"), linkify=True)
    sector = tables.Column(verbose_name=_("Sector"), order_by=("sector__name",))
    lifecycle_status = tables.Column(verbose_name=_("Lifecycle status"))
    computed = tables.Column(verbose_name=_("Computed rating"), empty_values=(), orderable=False)
    declared_rating = tables.Column(verbose_name=_("Declared rating"))
    due_on = tables.DateColumn(verbose_name=_("Due"), short=False)

    class Meta:
        model = Project
        fields = ("name", "sector", "lifecycle_status", "computed", "declared_rating", "due_on")
        template_name = TEMPLATE
        empty_text = _("No project of this programme has been publicly identified yet.")
        attrs = {"class": "data"}

    def value_computed(self, record: Project) -> str:
        return status.project_rating(record, timezone.localdate())

    def value_declared_rating(self, record: Project) -> str:
        return record.declared_rating

    def value_name(self, record: Project) -> str:
        return record.name

    def render_computed(self, record: Project) -> str:
        rating = status.project_rating(record, timezone.localdate())
        if not rating:
            return str(_("Unknown"))
        return badge(status.rating_badge(rating))

    def render_declared_rating(self, record: Project) -> str:
        return badge(
            status.rating_badge(record.declared_rating, record.get_declared_rating_display())
        )


class MilestoneTable(tables.Table):
    title = tables.Column(verbose_name=_("Milestone"), linkify=True)
    project = tables.Column(verbose_name=_("Project"), linkify=True, order_by=("project__name",))
    planned_on = tables.DateColumn(verbose_name=_("Planned for"), short=False)
    forecast_on = tables.DateColumn(verbose_name=_("Forecast for"), short=False)
    completed_on = tables.DateColumn(verbose_name=_("Completed on"), short=False)
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

    def value_project(self, value) -> str:
        return value.slug if value else ""

    def value_status(self, record: Milestone) -> str:
        return record.status

    def render_status(self, record: Milestone) -> str:
        return badge(status.overdue_badge(record, timezone.localdate()))

    def render_slippage(self, record: Milestone) -> int:
        return record.slippage_days()


class MeasurementTable(tables.Table):
    """For downloads of a target's data: one row a measurement."""

    as_of = tables.DateColumn(verbose_name=_("As of"), format="Y-m-d")
    value = tables.Column(verbose_name=_("Value"))
    unit = tables.Column(verbose_name=_("Unit"), empty_values=(), accessor="target")
    source = tables.Column(verbose_name=_("Source"))
    source_url = tables.Column(verbose_name=_("Address"), accessor="source__url")
    note = tables.Column(verbose_name=_("Note"))

    class Meta:
        template_name = TEMPLATE

    def value_unit(self, record) -> str:
        target = record.target
        return target.currency if target.kind == "money" else target.unit

    def value_source(self, record) -> str:
        return record.source.title if record.source_id else ""


class ChangeTable(tables.Table):
    """For downloads of the What changed log."""

    when = tables.DateTimeColumn(verbose_name=_("Date"), format="c")
    kind = tables.Column(verbose_name=_("Record"))
    subject = tables.Column(verbose_name=_("Target or milestone"))
    what = tables.Column(verbose_name=_("What changed"))
    old = tables.Column(verbose_name=_("Old value"))
    new = tables.Column(verbose_name=_("New value"))
    reason = tables.Column(verbose_name=_("Reason given"))
    url = tables.Column(verbose_name=_("Address"))

    class Meta:
        template_name = TEMPLATE
