"""Every address, by audience: the public pages (tracker.public), open data
(tracker.opendata), the staff's admin (tracker.editorial) and operations (tracker.ops)."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from tracker.opendata import urls as opendata
from tracker.ops import health
from tracker.public import files, views
from tracker.public import urls as public
from tracker.public.sitemaps import SITEMAPS

API = "api/v1/"
BADGES = "badges/"

# The public pages the page cache keeps (tracker.ops.pagecache): every page under a
# language prefix, the API's public records, the badges.
CACHED_PREFIXES = (
    *(f"/{code}/" for code, _ in settings.LANGUAGES),
    f"/{API}programmes",
    f"/{API}sources",
    f"/{BADGES}",
)

# The site's own error pages, in the language of the address, needing no database; a
# database outage answers 503 (tracker.ops.errors).
handler500 = "tracker.ops.errors.server_error"
handler404 = "tracker.ops.errors.not_found"
handler403 = "tracker.ops.errors.forbidden"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(API, opendata.api_urls),
    # An index of the sections, each in pages of PublicSitemap.limit records: a
    # response stays the same size however large the record grows.
    path(
        "sitemap.xml",
        sitemap_views.index,
        {
            "sitemaps": SITEMAPS,
            "sitemap_url_name": "sitemap-section",
            # Django's, with its entries drawn by one tag (tracker_tags.sitemap_entries).
            "template_name": "tracker/sitemap_index.xml",
        },
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", views.robots, name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    # Evidence files: one address per file, whatever the language of the page citing it.
    path("files/<int:pk>-preview.jpg", files.evidence_preview, name="evidence-preview"),
    path("files/<int:pk>/<str:name>", files.evidence_file, name="evidence-file"),
    path(BADGES, include(public.badge_patterns)),
    *i18n_patterns(
        path("", include((public.urlpatterns + opendata.localised, public.app_name))),
    ),
]
