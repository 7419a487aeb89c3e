"""Filters for the public tables (django-filter); their state lives in the URL."""

import datetime as dt

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import Milestone, Project, Sector

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
        self.filters["project"].queryset = Project.objects.filter(programme=programme)

    def filter_window(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        open_milestones = Q(status__in=[Milestone.Status.PLANNED, Milestone.Status.IN_PROGRESS])
        if value == "overdue":
            return queryset.filter(open_milestones, planned_on__lt=today)
        end = today + dt.timedelta(days=int(value))
        return queryset.filter(open_milestones, planned_on__gte=today, planned_on__lte=end)
