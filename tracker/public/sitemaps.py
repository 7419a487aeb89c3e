from collections.abc import Sequence

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils.functional import cached_property

from tracker.models import Milestone, Programme, ProgrammeGroup, Project, Target


class LanguagePairs(Sequence):
    """Each record of `records` in each language, as Django's i18n sitemap pages them,
    read a page at a time: Django builds the pairs as a list of every record, which
    reads the whole table for any page of it."""

    def __init__(self, records, languages: list[str]):
        self.records, self.languages = records, languages

    @cached_property
    def size(self) -> int:
        return self.records.count() * len(self.languages)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        each = len(self.languages)
        first = start // each
        records = self.records[first : -(-stop // each)] if stop > start else []
        pairs = [(record, language) for record in records for language in self.languages]
        return pairs[start - first * each : stop - first * each]


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
