"""The site's own error pages, which need nothing but the process itself.

Each is in the language of the address (/zh-hans/… is Chinese even when no page
matched it), with the site's header and a way back, and is rendered without context
processors, so no error page asks the database anything. The API answers in JSON.

With the database unreachable, a page that is not in the cache cannot be rendered: the
visitor gets a plain "try again shortly" page (JSON under /api/) with status 503, which
tells load balancers and crawlers the outage is temporary, instead of a 500.
"""

import logging
import sys
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RETRY_AFTER_SECONDS = 30
logger = logging.getLogger(__name__)


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def language_of(request: HttpRequest) -> str:
    """The language of the address, else the one the locale middleware chose (from the
    visitor's cookie or browser, for addresses without a prefix such as /admin/)."""
    return (
        translation.get_language_from_path(request.path_info)
        or translation.get_language()
        or settings.LANGUAGE_CODE
    )


def error_page(request: HttpRequest, template_name: str, status: int) -> HttpResponse:
    """An error page of the site's own. The request is given to the template as plain
    context (for the language switcher), not to the context processors, which may query."""
    language = language_of(request)
    with translation.override(language):
        html = loader.render_to_string(template_name, {"request": request})
    response = HttpResponse(html, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    return response


def last_resort(
    request: HttpRequest, status: int, title: "StrOrPromise", message: "StrOrPromise" = ""
) -> HttpResponse:
    """When even an error page cannot be rendered (a missing static manifest, a broken
    template), a page without a template, so that the error page does not fail in turn."""
    logger.exception("The %s page could not be rendered", status)
    language = language_of(request)
    with translation.override(language):
        html = format_html(
            '<!DOCTYPE html><html lang="{}"><meta charset="utf-8"><title>{}</title>'
            "<h1>{}</h1><p>{}</p></html>",
            language,
            title,
            title,
            message,
        )
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


def unavailable(request: HttpRequest) -> HttpResponse:
    """503, rendered without the database: no context processors, no session."""
    if is_api(request):
        message = _("The tracker is briefly unavailable. Please try again in a minute.")
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        try:
            response = error_page(request, "503.html", 503)
        except Exception:
            response = last_resort(
                request,
                503,
                gettext_lazy("Temporarily unavailable"),
                gettext_lazy("The tracker is briefly unavailable. Please try again in a minute."),
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """The site's 500 page, except when the database could not be reached (connection
    refused or lost): then the outage is reported as such, with 503."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return unavailable(request)
    if is_api(request):
        return JsonResponse({"detail": "Server Error"}, status=500)
    try:
        return error_page(request, template_name, 500)
    except Exception:
        return last_resort(request, 500, "Server Error (500)")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The API answers an unknown address in its own JSON, as it answers an unknown id."""
    if is_api(request):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return error_page(request, "404.html", 404)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Forbidden"}, status=403)
    return error_page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (settings.CSRF_FAILURE_VIEW): what to do
    about it, in plain words, rather than Django's technical page."""
    return error_page(request, "403_csrf.html", 403)
