import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation


@pytest.fixture(autouse=True)
def no_page_cache(request, settings):
    """Pages are rendered afresh in tests (query counts, contents), except in the tests
    of the page cache itself, marked `page_cache`."""
    if request.node.get_closest_marker("page_cache") is None:
        settings.PAGE_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Files a test stores go to a folder of its own, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def stored_statuses_at_once(settings):
    """A test runs in a transaction that never commits: stored statuses are recomputed
    at each change rather than on commit (tracker.stored)."""
    settings.STORED_STATUSES_AT_ONCE = True


@pytest.fixture(autouse=True)
def english():
    """Each test starts in English: a request in another language leaves it active."""
    with translation.override("en"):
        yield


@pytest.fixture
def yizhuang(db):
    """The real programme, loaded exactly as `make run` loads it."""
    from tracker.models import Programme

    call_command("load_yizhuang", stdout=io.StringIO())
    return Programme.objects.get(slug="beijing-etown-ai")


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def today(request):
    """Pin today so that dates on the pages do not drift. As the daily job would at the
    start of that day, the stored statuses of what is loaded are recomputed for it (the
    first request of a day otherwise does so: see tests/test_stored.py)."""
    with time_machine.travel(dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC), tick=False):
        if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
            from tracker import stored

            stored.refresh_stale()
        yield dt.date(2026, 11, 28)
