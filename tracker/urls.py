from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from tracker import badges, feeds, views
from tracker.api import api
from tracker.sitemaps import SITEMAPS

# A database outage answers 503 with a page that needs no database (tracker.errors).
handler500 = "tracker.errors.server_error"

public_patterns = [
    path("", views.home, name="home"),
    path("programmes/", views.ProgrammeListView.as_view(), name="programme-list"),
    path("methodology/", views.methodology, name="methodology"),
    path(
        "programmes/<slug:programme>/",
        views.ProgrammeDetailView.as_view(),
        name="programme-detail",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/",
        views.ProjectDetailView.as_view(),
        name="project-detail",
    ),
    path(
        "programmes/<slug:programme>/targets/<int:pk>/",
        views.TargetDetailView.as_view(),
        name="target-detail",
    ),
    path(
        "programmes/<slug:programme>/milestones/",
        views.MilestoneListView.as_view(),
        name="milestone-list",
    ),
    path(
        "programmes/<slug:programme>/sectors/<slug:sector>/",
        views.SectorDetailView.as_view(),
        name="sector-detail",
    ),
    path("programmes/<slug:programme>/changes/", views.changes, name="change-list"),
    path(
        "programmes/<slug:programme>/updates.atom",
        feeds.UpdatesFeed(),
        name="programme-updates-feed",
    ),
    path(
        "programmes/<slug:programme>/changes.atom",
        feeds.ChangesFeed(),
        name="programme-changes-feed",
    ),
    path("programmes/<slug:programme>/milestones.ics", feeds.calendar, name="programme-calendar"),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/updates.atom",
        feeds.UpdatesFeed(),
        name="project-updates-feed",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/changes.atom",
        feeds.ChangesFeed(),
        name="project-changes-feed",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:project>/milestones.ics",
        feeds.calendar,
        name="project-calendar",
    ),
    path(
        "programmes/<slug:programme>/milestones/<int:pk>/",
        views.MilestoneDetailView.as_view(),
        name="milestone-detail",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path(
        "sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("robots.txt", views.robots, name="robots"),
    path("healthz", views.healthz, name="healthz"),
    # Badges have one address for every language: they are embedded elsewhere.
    path(
        "badges/<slug:programme>/projects/<slug:project>.svg",
        badges.project_badge,
        name="project-badge",
    ),
    path("badges/<slug:programme>/targets/<int:pk>.svg", badges.target_badge, name="target-badge"),
    *i18n_patterns(path("", include((public_patterns, "tracker")))),
]
handler404 = views.not_found
