"""Filters for the public tables (django-filter); their state lives in the URL."""

import datetime as dt

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import Milestone, MilestoneQuerySet, Project, Sector

WINDOWS = {
    "overdue": _("Overdue"),
    "30": _("Due in the next 30 days"),
    "90": _("Due in the next 90 days"),
    "365": _("Due in the next year"),
}


class MilestoneFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Milestone.Status.choices, empty_label=_("Any status")
    )
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"),
        field_name="project__sector",
        queryset=Sector.objects.none(),
        empty_label=_("Any sector"),
    )
    project = django_filters.ModelChoiceFilter(
        label=_("Project"),
        queryset=Project.objects.none(),
        empty_label=_("Any project"),
        to_field_name="slug",
    )
    window = django_filters.ChoiceFilter(
        label=_("Due"),
        choices=list(WINDOWS.items()),
        method="filter_window",
        empty_label=_("Any time"),
    )

    class Meta:
        model = Milestone
        fields = ("status", "sector", "project", "window")

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["sector"].queryset = Sector.objects.filter(
            projects__programme=programme
        ).distinct()
        self.filters["project"].queryset = Project.objects.published().filter(programme=programme)

    def filter_window(self, queryset: MilestoneQuerySet, name: str, value: str) -> QuerySet:
        return in_window(queryset, value, timezone.localdate())


def in_window(milestones: MilestoneQuerySet, window: str, today: dt.date) -> MilestoneQuerySet:
    """The milestones in one of the WINDOWS, as the dashboard counts them: open ones only,
    never a withdrawn one. The API's ?window= reads the same."""
    if window == "overdue":
        return milestones.overdue(today)
    return milestones.due_soon(today, dt.timedelta(days=int(window)))
