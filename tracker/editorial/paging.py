"""Staff lists that cost the same on a table of millions as on one of thousands.

Django's change list counts every matching row to number its pages, and reaches a deep
page by skipping every row before it (OFFSET): both read the whole table. Here a list
longer than EXACT_BELOW rows is numbered from the planner's estimate (shown as one), and
only its first MAX_PAGES pages are offered (staff filter, search or sort the other way to
reach the rest); a shorter list is counted exactly. Both are asked on every list, the
estimate and a count that stops at EXACT_BELOW, so that a list makes as many queries
whatever its length (and the count bounds the work the estimate would not). Dates are
picked by year from a filter whose years come from the first and last date (two index
reads), not from a distinct-dates query over the whole table as the admin's date
drill-down makes."""

import datetime as dt
import json

from django.contrib import admin
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import DateTimeField, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

# Below this many rows (as the planner expects) a list is counted exactly.
EXACT_BELOW = 20_000
MAX_PAGES = 200


def estimated_rows(queryset: QuerySet) -> int | None:
    """The rows the planner expects `queryset` to hold (PostgreSQL), else None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (a junk year): no rows
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class LargeTablePaginator(Paginator):
    # Whether `count` is the planner's estimate rather than the rows counted.
    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        estimate = estimated_rows(queryset)
        if estimate is None:  # not PostgreSQL: counted, as the test databases are small
            return super().count
        # Counted up to EXACT_BELOW rows at most (a bounded read: in key order, so
        # through the key's index, not the table); past that, the estimate, never
        # below what was counted.
        counted = queryset.order_by("pk").values("pk")[:EXACT_BELOW].count()
        if counted < EXACT_BELOW:
            return counted
        self.estimated = True
        return max(estimate, counted)

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_PAGES)


def year_filter(field_name: str, title) -> type[admin.SimpleListFilter]:
    """A list filter by the year of `field_name`, offered from its first year to its last."""

    class YearFilter(admin.SimpleListFilter):
        parameter_name = f"{field_name}_year"

        def lookups(self, request, model_admin):
            span = model_admin.get_queryset(request).aggregate(
                first=Min(field_name), last=Max(field_name)
            )
            if span["first"] is None:
                return []
            first, last = (value.year for value in (span["first"], span["last"]))
            return [(str(year), str(year)) for year in range(last, first - 1, -1)]

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            try:
                year = int(value)
                start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
            except (ValueError, OverflowError):
                return queryset.none()
            if isinstance(queryset.model._meta.get_field(field_name), DateTimeField):
                # From the first moment of the year where the site is.
                zone = timezone.get_current_timezone()
                start, end = (dt.datetime.combine(day, dt.time(), zone) for day in (start, end))
            # A range, so that the date's index serves it.
            return queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})

    YearFilter.title = title
    return YearFilter


# Records a related-record filter lists at most; past that, staff type part of a name.
MAX_CHOICES = 30


class ShortRelatedListFilter(admin.RelatedFieldListFilter):
    """The admin's filter by a related record (a programme), listing at most MAX_CHOICES
    of them, the chosen one always among them: listing two thousand programmes in every
    list's sidebar cost more than the list itself. `name_filter` finds the others."""

    template = "admin/tracker/short_filter.html"

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        records = field.remote_field.model._default_manager.order_by(*ordering)
        choices = [(record.pk, str(record)) for record in records[: MAX_CHOICES + 1]]
        self.more = len(choices) > MAX_CHOICES
        choices = choices[:MAX_CHOICES]
        chosen = [int(value) for value in self.lookup_val or () if str(value).isdigit()]
        listed = {pk for pk, _ in choices}
        choices += [
            (record.pk, str(record))
            for record in records.filter(pk__in=chosen)
            if record.pk not in listed
        ]
        return choices


def name_filter(path: str, title) -> type[admin.SimpleListFilter]:
    """A list filter by part of the name, in either language, of the record at `path`
    (a programme), typed in a box."""

    class NameFilter(admin.SimpleListFilter):
        parameter_name = f"{path}_name"
        template = "admin/tracker/name_filter.html"

        def lookups(self, request, model_admin):
            return [("", "")]  # never listed: the template shows a box

        def choices(self, changelist):
            kept = [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ]
            yield {"name": self.parameter_name, "value": self.value() or "", "kept": kept}

        def queryset(self, request, queryset):
            text = (self.value() or "").strip()
            if not text:
                return queryset
            return queryset.filter(
                Q(**{f"{path}__name_en__icontains": text})
                | Q(**{f"{path}__name_zh_hans__icontains": text})
            )

    NameFilter.title = title
    return NameFilter
