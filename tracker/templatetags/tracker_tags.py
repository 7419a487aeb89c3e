import threading
from decimal import Decimal

import markdown as markdown_lib
import nh3
from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from tracker import formatting

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """{{ target.target_value|money:target.currency }} → CN¥50 billion / 500亿元."""
    if amount is None or amount == "":
        return ""
    return formatting.format_money(amount, currency, get_language())


@register.filter
def number(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return ""
    return formatting.format_number(value, get_language())


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict]:
    """The current page in every language, for the switcher (plain links, no JavaScript)."""
    request: HttpRequest | None = context.get("request")
    path = request.get_full_path() if request else "/"
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        links.append(
            {
                "code": code,
                "name": info["name_local"],
                "url": translate_url(path, code),
                "current": code == current,
            }
        )
    return links


# One converter a thread, reset between texts: building one costs more than converting.
converters = threading.local()


@register.filter
def markdown(text: str) -> str:
    """Markdown from staff, sanitised (nh3) so no script or style reaches the page."""
    converter = getattr(converters, "markdown", None)
    if converter is None:
        converter = converters.markdown = markdown_lib.Markdown(extensions=["sane_lists"])
    html = converter.reset().convert(text or "")
    return mark_safe(nh3.clean(html, link_rel="noopener noreferrer nofollow"))  # noqa: S308


@register.filter
def value_of(value: Decimal | None, target) -> str:
    """A target's value in its own terms: money with its currency, else the number and unit."""
    if value is None or value == "":
        return ""
    if target.kind == "money":
        return formatting.format_money(value, target.currency, get_language())
    if target.kind == "count" and value != value.to_integral_value():
        value = value.quantize(Decimal("0.1"))  # an expected count of 3.2, not 3.204
    text = formatting.format_number(value, get_language())
    if target.kind == "percent" and not target.unit:
        return f"{text}%"
    return f"{text} {target.unit}".strip() if target.unit else text


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
