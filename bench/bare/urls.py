"""One view: a page of about 27 KB (the size of a dashboard), made once at start."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

ROW = "<tr><td>Milestone {n}</td><td>2026-01-{day:02d}</td><td>planned</td></tr>\n"
PAGE = (
    "<!doctype html><html lang=en><title>Bare</title><table>\n"
    + "".join(ROW.format(n=n, day=n % 28 + 1) for n in range(400))
    + "</table></html>\n"
).encode()


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


urlpatterns = [path("page/", page)]
