import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Each test starts in English: a request in another language leaves it active."""
    with translation.override("en"):
        yield


@pytest.fixture
def yizhuang(db):
    """The real programme, loaded exactly as `make run` loads it."""
    from tracker.models import Programme

    call_command("load_yizhuang", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Programme.objects.get(slug="beijing-etown-ai")


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def today():
    """Pin today so that dates on the pages do not drift."""
    with time_machine.travel(dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC), tick=False):
        yield dt.date(2026, 11, 28)
