"""SVG badges to embed: a project's computed rating, a target's status and progress.

One address for every language: ?lang=en or ?lang=zh-hans fixes the badge's language
(the embed codes on the pages name it, so a badge reads the same to every visitor of the
site it is embedded in); without it, the badge follows the visitor's browser.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from tracker import status, stored
from tracker.models import Project, Target

MAX_AGE = 600  # seconds: a badge follows the record within minutes


def _text_width(text: str) -> int:
    # Wide (CJK) characters take about twice the room of Latin ones at 11px.
    return 12 + sum(12 if ord(ch) > 0x2E80 else 7 for ch in text)


def svg_badge(label: str, message: str, colour: str) -> HttpResponse:
    label_width, message_width = _text_width(label), _text_width(message)
    body = render_to_string(
        "tracker/badge.svg",
        {
            "label": label,
            "message": message,
            "colour": colour,
            "label_width": label_width,
            "message_width": message_width,
            "width": label_width + message_width,
            "label_x": label_width / 2,
            "message_x": label_width + message_width / 2,
        },
    )
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # Badges are made to be embedded on other sites.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.xframe_options_exempt = True
    return response


def badge_language(request: HttpRequest) -> str:
    try:
        return translation.get_supported_language_variant(request.GET.get("lang", ""))
    except LookupError:
        return translation.get_language()


def in_language_asked(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def badge_in_language(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = badge_language(request)
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return badge_in_language


@in_language_asked
def project_badge(request: HttpRequest, programme: str, project: str) -> HttpResponse:
    found = get_object_or_404(
        Project.objects.published().select_related("programme"),
        programme__slug=programme,
        slug=project,
    )
    rating = stored.up_to_date([found], lambda p: p.programme)[0].computed_rating
    message = status.rating_text(rating) if rating else _("unknown")
    return svg_badge(_("rating"), message, status.solid_colour(rating))


@in_language_asked
def target_badge(request: HttpRequest, programme: str, pk: int) -> HttpResponse:
    target = get_object_or_404(
        Target.objects.published().select_related("programme"), programme__slug=programme, pk=pk
    )
    item = status.stored(stored.up_to_date([target], lambda t: t.programme)[0])
    return svg_badge(
        target.title[:40], status.target_badge_text(item), status.solid_colour(item.final.status)
    )
