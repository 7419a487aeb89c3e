from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from tracker.models import Milestone, Programme, ProgrammeGroup, Project, Target


class PublicSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    limit = 5000

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
