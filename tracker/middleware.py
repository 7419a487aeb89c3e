"""Public pages cached per language in the shared cache, never stale.

Every save or delete of a tracked record bumps one content version in the cache
(tracker.apps); a cached page is keyed by that version, the language, the day and the
full address, so anything that changes what a page shows makes a new key. Repeat
visits get 304 from the ETag and Last-Modified headers. If the cache fails, pages
are simply rendered (tracker.cache forgives Redis errors).
"""

import datetime as dt
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe, quote_etag

VERSION_KEY = "content-version"
CACHED_PREFIXES = ("/en/", "/zh-hans/", "/api/v1/programmes", "/api/v1/sources", "/badges/")
KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Cache-Control",
    "Content-Language",
    "Cross-Origin-Resource-Policy",
)


def content_version() -> tuple[str, float]:
    """The current version and when it began (a fresh one after a cache flush)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = (f"{time.time_ns():x}", time.time())
        cache.add(VERSION_KEY, version, timeout=None)
    return version


def bump_content_version(**kwargs) -> None:
    cache.set(VERSION_KEY, (f"{time.time_ns():x}", time.time()), timeout=None)


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        if (
            not seconds
            or request.method not in ("GET", "HEAD")
            or not request.path.startswith(CACHED_PREFIXES)
        ):
            return self.get_response(request)
        version, since = content_version()
        today = timezone.localdate().isoformat()
        lang = getattr(request, "LANGUAGE_CODE", "")
        digest = hashlib.sha256(
            f"{version}|{today}|{lang}|{request.get_full_path()}".encode()
        ).hexdigest()[:32]
        etag = quote_etag(digest)
        # A page changes with the data (the version) or the day, whichever came last.
        midnight = dt.datetime.combine(
            timezone.localdate(), dt.time(), tzinfo=timezone.get_current_timezone()
        ).timestamp()
        modified = int(max(since, midnight))
        if self._not_modified(request, etag, modified):
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        key = f"page:{digest}"
        stored = cache.get(key)
        if stored is not None:
            status, content, headers, embeddable = stored
            response = HttpResponse(content, status=status)
            for name, value in headers.items():
                response[name] = value
            response.xframe_options_exempt = embeddable
            response["X-Cache"] = "hit"
        else:
            response = self.get_response(request)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                headers = {h: response[h] for h in KEPT_HEADERS if h in response}
                embeddable = getattr(response, "xframe_options_exempt", False)
                cache.set(key, (200, response.content, headers, embeddable), timeout=seconds)
                response["X-Cache"] = "miss"
        if response.status_code == 200:
            response["ETag"] = etag
            response["Last-Modified"] = http_date(modified)
            response.setdefault("Cache-Control", "public, max-age=0, must-revalidate")
        return response

    @staticmethod
    def _not_modified(request: HttpRequest, etag: str, modified: int) -> bool:
        match = request.headers.get("If-None-Match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        return since is not None and since >= modified
