from decimal import Decimal

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
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
