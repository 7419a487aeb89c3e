"""The public pages, under a language prefix (/en/, /zh-hans/)."""

from django.urls import path

from tracker.public import badges, evidence, views

app_name = "tracker"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/", views.ProgrammeListView.as_view(), name="programme-list"),
    path("methodology/", views.methodology, name="methodology"),
    path("status/", views.status_summary, name="status-summary"),
    path("search/", views.search_page, name="search"),
    path("groups/<slug:group>/", views.GroupDetailView.as_view(), name="group-detail"),
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
        "programmes/<slug:programme>/milestones/<int:pk>/",
        views.MilestoneDetailView.as_view(),
        name="milestone-detail",
    ),
    path(
        "programmes/<slug:programme>/sectors/<slug:sector>/",
        views.SectorDetailView.as_view(),
        name="sector-detail",
    ),
    path("programmes/<slug:programme>/changes/", views.changes, name="change-list"),
    path(
        "programmes/<slug:programme>/open-questions/",
        evidence.open_questions,
        name="open-questions",
    ),
    path(
        "programmes/<slug:programme>/targets/<int:key>/evidence/",
        evidence.send_evidence,
        {"kind": "target"},
        name="target-evidence",
    ),
    path(
        "programmes/<slug:programme>/milestones/<int:key>/evidence/",
        evidence.send_evidence,
        {"kind": "milestone"},
        name="milestone-evidence",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:key>/evidence/",
        evidence.send_evidence,
        {"kind": "project"},
        name="project-evidence",
    ),
]

# Badges are embedded elsewhere: one address for every language.
badge_patterns = [
    path(
        "<slug:programme>/projects/<slug:project>.svg",
        badges.project_badge,
        name="project-badge",
    ),
    path("<slug:programme>/targets/<int:pk>.svg", badges.target_badge, name="target-badge"),
]
