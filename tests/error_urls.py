"""The site's addresses, plus pages that fail on purpose, for the error page tests."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import path

from tracker.urls import *  # noqa: F403 (the whole site, with its error handlers)
from tracker.urls import urlpatterns as site_patterns


def broken(request: HttpRequest):
    raise RuntimeError("a bug")


def refused(request: HttpRequest):
    raise PermissionDenied


urlpatterns = [
    *i18n_patterns(path("broken/", broken), path("refused/", refused)),
    path("api/v1/broken", broken),
    *site_patterns,
]
