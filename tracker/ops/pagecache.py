"""Public pages cached per language in the shared cache, never stale.

A page is stored with the content versions it was rendered under and the day, and is
used only while they are all current, so anything that changes what a page shows
replaces it. The versions are kept by programme: a page under a programme's address
(its programme, project, target and milestone pages, its feeds, downloads, API records
and badges) goes with that programme's version; every other page (home, groups, the
status summary, search, the programme list, the sources) shows many programmes and goes
with the cross-programme version; and both go with a site-wide version. A transaction
that saves or deletes a tracked record moves, when it commits (`watch`, called by
tracker.apps), never before and never for a rollback, the version of the programme the
record belongs to and the cross-programme version; a record of no one programme (a
sector, a source, an organisation, a group, a programme's own record, whose name other
programmes' pages show) moves the site-wide version. Pages are kept per scheme and host
as well as per language and address, since feeds and embed codes carry absolute links.
Repeat visits get 304 from the ETag and Last-Modified headers. If the cache fails,
pages are simply rendered (tracker.ops.cache forgives Redis errors).
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
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.utils.module_loading import import_string

from tracker.ops.mirror import mirror

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


# The site-wide version; the cross-programme one; one per programme, by slug (what its
# addresses carry, so that a cached page is found without the database).
VERSION_KEY = "content-version"
CROSS_KEY = "content-version:cross"
PROGRAMME_KEY = "content-version:programme:{}"
EVERYTHING = "everything"
# The programme a public address belongs to: its slug, after the language prefix, the
# API's programmes or the badges (tracker.urls). Lists of programmes are not under one.
PROGRAMME_ADDRESS = re.compile(r"^/(?:[\w-]+/|api/v1/)?programmes/([-\w]+)/|^/badges/([-\w]+)/")
API_PROGRAMME_ADDRESS = re.compile(r"^/api/v1/programmes/([-\w]+)")


def new_version() -> tuple[str, float]:
    return (f"{time.time_ns():x}", time.time())


def version_key(path: str) -> str:
    """The version a page at `path` goes with besides the site-wide one."""
    found = PROGRAMME_ADDRESS.match(path) or API_PROGRAMME_ADDRESS.match(path)
    if found is None:
        return CROSS_KEY
    return PROGRAMME_KEY.format(found.group(1) or found.group(2))


def bump_content_version() -> None:
    """Move the site-wide version now: every cached page is replaced on its next visit."""
    cache.set(VERSION_KEY, new_version(), timeout=None)
    mirror.changed(VERSION_KEY)


def bump_programmes(slugs: Iterable[str]) -> None:
    """Move the versions of these programmes and the cross-programme one now: their
    pages and every page showing many programmes are replaced on their next visit."""
    version = new_version()
    keys = [CROSS_KEY, *(PROGRAMME_KEY.format(slug) for slug in slugs)]
    cache.set_many(dict.fromkeys(keys, version), timeout=None)
    for key in keys:
        mirror.changed(key)


class Changes:
    """The programmes a transaction changed (their ids), bumped once it commits."""

    def __init__(self) -> None:
        self.programmes: set[int] = set()
        self.everything = False

    def add(self, programme_id: int | str | None) -> None:
        if programme_id is None or programme_id == EVERYTHING:
            self.everything = True
        else:
            self.programmes.add(int(programme_id))

    def __call__(self) -> None:
        if not self.everything:
            from tracker.models import Programme

            try:
                slugs = set(
                    Programme.objects.filter(pk__in=self.programmes).values_list("slug", flat=True)
                )
            except DatabaseError:
                # The change is committed whatever happens here: replace every page.
                slugs = set()
            # A programme gone meanwhile: its pages, wherever they are, go too.
            if slugs and len(slugs) == len(self.programmes):
                bump_programmes(slugs)
                return
        bump_content_version()


def programme_of(instance: Model) -> int | str:
    """The programme (its id) whose pages a record shows on, or EVERYTHING: for a
    programme's own record, whose name other programmes' pages show, and for a record of
    no one programme."""
    from tracker.models import Programme, programme_id_of

    if getattr(type(instance), "instance_type", type(instance)) is Programme:
        return EVERYTHING
    found = programme_id_of(instance)
    return EVERYTHING if found is None else found


def stored_programme_of(instance: Model) -> int | str | None:
    """What programme_of says of the record as last saved (a record may move)."""
    from tracker.models import Measurement

    model = type(instance)
    rows = model._base_manager.filter(pk=instance.pk)
    if issubclass(model, Measurement):
        return rows.values_list("target__programme_id", flat=True).first()
    return rows.values_list("programme_id", flat=True).first()


def pending_changes(using: str | None) -> Changes | None:
    """The changes the current transaction will bump when it commits, if any yet. A
    rolled-back savepoint takes its callbacks along, so one still listed here commits
    with the transaction."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:
        # The stubs give the entries two items; Django keeps (savepoints, func, robust).
        for _, func, _ in connection.run_on_commit:  # type: ignore[misc]
            if isinstance(func, Changes):
                return func
    return None


def remember_stored(sender, instance: Model, raw: bool = False, using=None, **kwargs) -> None:
    """pre_save: a record moved from one programme to another changes both."""
    if instance.pk is None or instance._state.adding:
        return
    if programme_of(instance) == EVERYTHING:
        return
    instance._pagecache_stored_programme = stored_programme_of(instance)  # type: ignore[attr-defined]


def bump_on_commit(sender=None, using: str | None = None, **kwargs) -> None:
    """Signal receiver: bump the versions of what a change touches once the transaction
    holding it commits. Bumping before the commit would let a request made meanwhile
    cache the old data under the new version; a rolled-back transaction (an import
    preview) changes nothing, and bumps nothing."""
    instance = kwargs.get("instance")
    if kwargs.get("signal") is m2m_changed:
        # A relation changed from the side of a record of one programme (a project's
        # sources, an update's milestones) concerns that programme; else everything.
        if not isinstance(instance, WATCHED):
            return  # a user's groups and permissions, say: on no public page
        found = EVERYTHING if kwargs.get("reverse") else programme_of(instance)
    else:
        found = programme_of(instance) if instance is not None else EVERYTHING
    pending = pending_changes(using)
    changes = pending or Changes()
    changes.add(found)
    if hasattr(instance, "_pagecache_stored_programme"):
        changes.add(instance.__dict__.pop("_pagecache_stored_programme"))
    if pending is None:
        # Many saves in one transaction bump once; outside one, at once.
        transaction.on_commit(changes, using=using or DEFAULT_DB_ALIAS)


WATCHED: tuple[type[Model], ...] = ()


def watch(models: Iterable[type[Model]]) -> None:
    """Bump the versions a change touches whenever one of `models` is saved or deleted,
    or a many-to-many relation of theirs changes, once the transaction commits."""
    global WATCHED
    models = tuple(models)
    WATCHED = (*WATCHED, *models)
    for model in models:
        pre_save.connect(remember_stored, sender=model, dispatch_uid=f"was-{model}")
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


class Day:
    """Today in the site's time zone and when it began (a timestamp), worked out again
    only once the clock is outside it: every cached page asks."""

    def __init__(self) -> None:
        self.ends = 0.0
        self.today = ""
        self.began = 0.0

    def current(self) -> tuple[str, float]:
        if not self.began <= time.time() < self.ends:
            zone = timezone.get_default_timezone()
            today = timezone.localdate(timezone=zone)
            began = dt.datetime.combine(today, dt.time(), tzinfo=zone)
            ends = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            self.today, self.began = today.isoformat(), began.timestamp()
            self.ends = ends.timestamp()
        return self.today, self.began


class PublicPageCacheMiddleware:
    """Placed just inside WhiteNoise: a cached page is answered before sessions,
    locale, CSRF or authentication run, and passes out only through the security
    headers, so it costs little more than a static file."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.recent = RecentPages()
        self.day = Day()
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
        site, own = self.versions(VERSION_KEY, version_key(request.path))
        today, midnight = self.day.current()
        # A page changes with the data (the versions) or the day, whichever came last.
        stamp = (site[0], own[0], today)
        # Weak: the same page may go out gzipped or not.
        etag = "W/" + quote_etag(hashlib.sha256(f"{stamp}|{address}".encode()).hexdigest()[:32])
        modified = int(max(site[1], own[1], midnight))
        if self._not_modified(request, etag, modified):
            response: HttpResponse = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        stored = self.recent.get(key, stamp) or self.shared(key, stamp, seconds)
        if stored is not None:
            _, status, compressed, headers = stored
            # Kept compressed: most visitors take it so, as WhiteNoise's static files.
            if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
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

    @staticmethod
    def versions(*keys: str) -> list[tuple[str, float]]:
        """The current versions under `keys`; one missing (never set, or
        Redis lost it) is started, so a page kept under the one lost is not used."""
        versions = []
        # Each process keeps the versions it read, until a change to one of them is
        # announced (tracker.ops.mirror): no round trip to Redis for a cached page.
        for key, version in zip(keys, mirror.get_many(list(keys)), strict=True):
            if version is None:
                version = new_version()
                if not cache.add(key, version, timeout=None):
                    version = cache.get(key) or version
            versions.append(version)
        return versions

    def shared(self, key: str, stamp: tuple, seconds: int) -> tuple | None:
        """The page from the shared cache, if rendered under `stamp`; kept here too."""
        stored = cache.get(key)
        if stored is None or stored[0] != stamp:
            return None
        self.recent.put(key, stored, seconds)
        return stored

    @staticmethod
    def _not_modified(request: HttpRequest, etag: str, modified: int) -> bool:
        match = request.META.get("HTTP_IF_NONE_MATCH")
        if match is not None:
            return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
        since = request.META.get("HTTP_IF_MODIFIED_SINCE")
        if not since:
            return False
        since = parse_http_date_safe(since)
        return since is not None and since >= modified
