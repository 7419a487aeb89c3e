"""Error pages that need nothing but the process itself.

With the database unreachable, a page that is not in the cache cannot be rendered: the
visitor gets a plain "try again shortly" page (JSON under /api/) with status 503, which
tells load balancers and crawlers the outage is temporary, instead of a 500.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def unavailable(request: HttpRequest) -> HttpResponse:
    """503, rendered without the database: no context processors, no session."""
    message = _("The tracker is briefly unavailable. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        # No request given: the context processors would ask the database.
        html = loader.render_to_string("503.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """Django's 500 page, except when the database could not be reached (connection
    refused or lost): then the outage is reported as such, with 503."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return unavailable(request)
    return defaults.server_error(request, template_name)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The API answers an unknown address in its own JSON, as it answers an unknown id."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return defaults.page_not_found(request, exception)
