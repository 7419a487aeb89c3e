"""Public pages cached per language in the shared cache, never stale.

Every transaction that saves or deletes a tracked record bumps one content version in
the cache when it commits (`watch`, called by tracker.apps), never before and never
for a rollback; a cached page is stored with the version and the day it was rendered on, and is used
only while both are current, so anything that changes what a page shows replaces it.
Pages are kept per scheme and host as well as per language and address, since feeds
and embed codes carry absolute links. Repeat visits get 304 from the ETag and
Last-Modified headers. If the cache fails, pages are simply rendered (tracker.ops.cache
forgives Redis errors).
"""

import datetime as dt
import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.utils.module_loading import import_string

from tracker.ops.mirror import mirror

VERSION_KEY = "content-version"
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# What a page's own response says about itself, kept with it. The security headers are
# not kept: the middleware outside this one adds them to every response, cached or not.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Cache-Control",
    "Content-Language",
    "Cross-Origin-Resource-Policy",
    "Vary",
    "X-Frame-Options",
)


def new_version() -> tuple[str, float]:
    return (f"{time.time_ns():x}", time.time())


def bump_content_version() -> None:
    """Move the content version now: every cached page is replaced on its next visit."""
    cache.set(VERSION_KEY, new_version(), timeout=None)
    mirror.changed(VERSION_KEY)


def bump_on_commit(sender=None, using: str | None = None, **kwargs) -> None:
    """Signal receiver: bump the version once the transaction holding this change
    commits. Bumping before the commit would let a request made meanwhile cache the old
    data under the new version; a rolled-back transaction (an import preview) changes
    nothing, and bumps nothing. Many saves in one transaction bump once."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    if connection.in_atomic_block and any(
        # The stubs give the entries two items; Django keeps (savepoints, func, robust).
        func is bump_content_version  # type: ignore[misc]
        for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(bump_content_version, using=connection.alias)


def watch(models: Iterable[type[Model]]) -> None:
    """Bump the content version whenever one of `models` is saved or deleted, or a
    many-to-many relation changes, once the transaction commits."""
    for model in models:
        post_save.connect(bump_on_commit, sender=model, dispatch_uid=f"bump-{model}")
        post_delete.connect(bump_on_commit, sender=model, dispatch_uid=f"del-{model}")
    m2m_changed.connect(bump_on_commit, dispatch_uid="bump-m2m")


class RecentPages:
    """The pages this process served last, so that a popular page is not fetched from
    the shared cache on every request. Only the content version is: a page is taken
    from here only if it was rendered under the current version, on the current day,
    so it is never staler than the shared cache itself; and, as there, for no longer
    than PAGE_CACHE_SECONDS."""

    def __init__(self, limit: int = 256):
        self.limit = limit
        self.pages: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, stamp: tuple) -> tuple | None:
        with self.lock:
            expires, stored = self.pages.get(key, (0.0, None))
            if stored is None or stored[0] != stamp or expires < time.time():
                return None
            self.pages.move_to_end(key)
            return stored

    def put(self, key: str, stored: tuple, seconds: int) -> None:
        with self.lock:
            self.pages[key] = (time.time() + seconds, stored)
            self.pages.move_to_end(key)
            while len(self.pages) > self.limit:
                self.pages.popitem(last=False)


class PublicPageCacheMiddleware:
    """Placed just inside WhiteNoise: a cached page is answered before sessions,
    locale, CSRF or authentication run, and passes out only through the security
    headers, so it costs little more than a static file."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.recent = RecentPages()
        # Which addresses are public pages is said where they are routed.
        self.prefixes: tuple[str, ...] = import_string(f"{settings.ROOT_URLCONF}.CACHED_PREFIXES")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        if (
            not seconds
            or request.method not in ("GET", "HEAD")
            or not request.path.startswith(self.prefixes)
        ):
            return self.get_response(request)
        # The language the locale middleware will pick: from the address, or else from
        # the visitor's cookie or browser.
        lang = translation.get_language_from_request(request, check_path=True)
        try:
            # Feeds, the sitemap and embed codes hold absolute links to the host asked
            # for (checked against ALLOWED_HOSTS): a page is kept for its host only.
            host = request.get_host()
        except DisallowedHost:
            return self.get_response(request)
        address = f"{request.scheme}://{host}|{lang}|{request.get_full_path()}"
        key = "page:" + hashlib.sha256(address.encode()).hexdigest()[:32]
        # Each process keeps the version it read, until a change is announced.
        version = mirror.get(VERSION_KEY)
        if version is None:
            version = new_version()
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY) or version
        today = timezone.localdate()
        # A page changes with the data (the version) or the day, whichever came last.
        stamp = (version[0], today.isoformat())
        # Weak: the same page may go out gzipped or not.
        etag = "W/" + quote_etag(hashlib.sha256(f"{stamp}|{address}".encode()).hexdigest()[:32])
        midnight = dt.datetime.combine(
            today, dt.time(), tzinfo=timezone.get_current_timezone()
        ).timestamp()
        modified = int(max(version[1], midnight))
        if self._not_modified(request, etag, modified):
            response: HttpResponse = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        stored = self.recent.get(key, stamp) or self.shared(key, stamp, seconds)
        if stored is not None:
            _, status, compressed, headers = stored
            # Kept compressed: most visitors take it so, as WhiteNoise's static files.
            if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
                response = HttpResponse(compressed, status=status)
                response["Content-Encoding"] = "gzip"
            else:
                response = HttpResponse(gzip.decompress(compressed), status=status)
            for name, value in headers.items():
                response[name] = value
            response["Content-Length"] = len(response.content)
            response["X-Cache"] = "hit"
        else:
            response = self.get_response(request)
            # A page that says it is private (a form with its visitor's CSRF token) is not
            # kept, even when the visitor's cookie was already set.
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and "private" not in response.get("Cache-Control", "")
            ):
                headers = {h: response[h] for h in KEPT_HEADERS if h in response}
                compressed = gzip.compress(response.content, compresslevel=6, mtime=0)
                stored = (stamp, 200, compressed, headers)
                cache.set(key, stored, timeout=seconds)
                self.recent.put(key, stored, seconds)
                response["X-Cache"] = "miss"
        if response.status_code == 200:
            patch_vary_headers(response, ("Accept-Encoding",))
            response["ETag"] = etag
            response["Last-Modified"] = http_date(modified)
            response.setdefault("Cache-Control", "public, max-age=0, must-revalidate")
        return response

    def shared(self, key: str, stamp: tuple, seconds: int) -> tuple | None:
        """The page from the shared cache, if rendered under `stamp`; kept here too."""
        stored = cache.get(key)
        if stored is None or stored[0] != stamp:
            return None
        self.recent.put(key, stored, seconds)
        return stored

    @staticmethod
    def _not_modified(request: HttpRequest, etag: str, modified: int) -> bool:
        match = request.headers.get("If-None-Match")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        return since is not None and since >= modified
