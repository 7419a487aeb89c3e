"""The public pages, under a language prefix (/en/, /zh-hans/)."""

from django.urls import path

from tracker.public import badges, evidence, following, views

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
    # Following by e-mail (tracker/public/following.py): the form, then the links that
    # messages carry, each with its secret token.
    path(
        "programmes/<slug:programme>/follow/",
        following.follow,
        {"kind": "programme"},
        name="programme-follow",
    ),
    path(
        "programmes/<slug:programme>/projects/<slug:key>/follow/",
        following.follow,
        {"kind": "project"},
        name="project-follow",
    ),
    path(
        "programmes/<slug:programme>/targets/<int:key>/follow/",
        following.follow,
        {"kind": "target"},
        name="target-follow",
    ),
    path("follow/confirm/<str:token>/", following.confirm, name="follow-confirm"),
    path("follow/manage/<str:token>/", following.manage, name="follow-manage"),
    path("follow/unsubscribe/<str:token>/", following.unsubscribe, name="follow-unsubscribe"),
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
