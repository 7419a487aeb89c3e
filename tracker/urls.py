from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from tracker import views

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
        "programmes/<slug:programme>/milestones/<int:pk>/",
        views.MilestoneDetailView.as_view(),
        name="milestone-detail",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    *i18n_patterns(path("", include((public_patterns, "tracker")))),
]
