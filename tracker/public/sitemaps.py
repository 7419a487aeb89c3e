from collections.abc import Sequence

from django.contrib.sitemaps import Sitemap
from django.db import connections
from django.urls import reverse
from django.utils.functional import cached_property

from tracker.models import Milestone, Programme, ProgrammeGroup, Project, Target


class LanguagePairs(Sequence):
    """Each record of `records` (ordered by primary key) in each language, as Django's
    i18n sitemap pages them, read a page at a time: Django builds the pairs as a list of
    every record, which reads the whole table for any page of it.

    Numbered by key, not by rank: the pair of the record with key k in the i-th language
    is at (k - first key) * languages + i, so that the number of pages comes from the
    first and last keys (two index reads, the same on a table of millions) rather than
    from a count of every record, and a page reads the records whose keys fall in its
    range. A key left unused (a deleted record) leaves its page a little shorter: every
    record is still on exactly one page."""

    def __init__(self, records, languages: list[str]):
        self.records, self.languages = records, languages

    @cached_property
    def bounds(self) -> tuple[int, int] | None:
        """The first and last keys of the records (one query), or None if none."""
        keys = self.records.values("pk")
        first, first_params = keys.order_by("pk")[:1].query.sql_with_params()
        last, last_params = keys.order_by("-pk")[:1].query.sql_with_params()
        with connections[self.records.db].cursor() as cursor:
            cursor.execute(f"SELECT ({first}), ({last})", (*first_params, *last_params))
            low, high = cursor.fetchone()
        return None if low is None else (low, high)

    def __len__(self) -> int:
        if self.bounds is None:
            return 0
        low, high = self.bounds
        return (high - low + 1) * len(self.languages)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        if stop <= start or self.bounds is None:
            return []
        each, low = len(self.languages), self.bounds[0]
        first, last = low + start // each, low + (stop - 1) // each
        # At most one record a key: the slice says so to the database too.
        records = self.records.filter(pk__gte=first, pk__lte=last)[: last - first + 1]
        return [
            (record, language)
            for record in records
            for position, language in enumerate(self.languages, (record.pk - low) * each)
            if start <= position < stop
        ]


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def get_latest_lastmod(self):
        # The index names no date for a section: Django's would read every record.
        return None

    def _items(self):
        # Django's own hook, which lists every record in every language at once.
        return LanguagePairs(self.items(), self._languages())  # type: ignore[attr-defined]

    # Records per page of a section (each in both languages, with its alternates).
    limit = 2000

    def lastmod(self, obj):
        return obj.updated_at


class ProgrammeSitemap(PublicSitemap):
    priority = 1.0

    def items(self):
        return Programme.objects.published().order_by("pk")


class ProjectSitemap(PublicSitemap):
    def items(self):
        return Project.objects.published().select_related("programme").order_by("pk")


class TargetSitemap(PublicSitemap):
    def items(self):
        return Target.objects.published().select_related("programme").order_by("pk")


class MilestoneSitemap(PublicSitemap):
    priority = 0.4

    def items(self):
        return Milestone.objects.published().select_related("programme").order_by("pk")


class GroupSitemap(PublicSitemap):
    priority = 0.8

    def items(self):
        return ProgrammeGroup.objects.published().order_by("pk")


class PagesSitemap(Sitemap):
    i18n = True

    def items(self):
        return ["tracker:programme-list", "tracker:methodology", "tracker:status-summary"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "programmes": ProgrammeSitemap,
    "projects": ProjectSitemap,
    "targets": TargetSitemap,
    "milestones": MilestoneSitemap,
    "groups": GroupSitemap,
    "pages": PagesSitemap,
}
