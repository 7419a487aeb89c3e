"""Locale-aware numbers and money (Babel), for the pages, feeds and API alike."""

import functools
import threading
from decimal import Decimal
from typing import Protocol

import markdown as markdown_lib
import nh3
from babel.numbers import (
    format_compact_decimal,
    format_decimal,
    get_currency_name,
    get_currency_symbol,
)
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# Punctuation between a translated text and a value, by language: Chinese takes
# full-width marks with no space around them ("状态：", "。"), English its own spacing.
PUNCTUATION = {
    ":": (": ", "："),
    ",": (", ", "，"),
    ".": (". ", "。"),
    "(": (" (", "（"),
    ")": (")", "）"),
    "list": (", ", "、"),
}

# Django language code -> Babel locale.
BABEL_LOCALES = {"en": "en", "zh-hans": "zh_Hans_CN"}

# In English "$" alone is ambiguous beside yuan; the press writes "US$".
ENGLISH_SYMBOLS = {"USD": "US$"}
# In Chinese an amount is followed by its unit word: 500亿元, 75亿美元.
CHINESE_UNITS = {"CNY": "元", "USD": "美元"}


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or "en").lower()
    return BABEL_LOCALES.get(language, BABEL_LOCALES.get(language.split("-")[0], "en"))


def punctuation(mark: str, language: str | None = None) -> str:
    """The mark as the language writes it between a text and what follows: ":" is ": "
    in English, "：" in Chinese; "list" separates the items of an enumeration (", ", "、")."""
    english, chinese = PUNCTUATION[mark]
    return chinese if (language or get_language() or "en").startswith("zh") else english


def format_number(value: Decimal | int | float, language: str | None = None) -> str:
    """A plain number with the locale's grouping: 1,234,567.5."""
    return formatted(value, babel_locale(language), compact=False)


def format_compact(value: Decimal | int | float, language: str | None = None) -> str:
    """A large number in words (50 billion, 500亿); a small one in full (12,500)."""
    return formatted(value, babel_locale(language), compact=True)


# Babel takes tens of microseconds a number, and a page shows hundreds, most of them
# again on its next rendering: each is formatted once per process, keyed by its type
# and exact text (so that 1.50 and 1.5, or 1 and 1.0, are kept apart).
NUMBER_TYPES: dict[str, type[Decimal] | type[int] | type[float]] = {
    "Decimal": Decimal,
    "int": int,
    "float": float,
}


def formatted(value: Decimal | int | float, locale: str, *, compact: bool) -> str:
    kind = type(value).__name__
    if NUMBER_TYPES.get(kind) is type(value):
        return formatted_text(kind, str(value), locale, compact)
    return babel_format(value, locale, compact)


@functools.lru_cache(maxsize=8192)
def formatted_text(kind: str, text: str, locale: str, compact: bool) -> str:
    return babel_format(NUMBER_TYPES[kind](text), locale, compact)


def babel_format(value: Decimal | int | float, locale: str, compact: bool) -> str:
    # Chinese counts in 万 (ten thousand); English words start at a million.
    threshold = 10_000 if locale.startswith("zh") else 1_000_000
    if not compact or -threshold < value < threshold:
        return format_decimal(value, locale=locale)
    return format_compact_decimal(value, format_type="long", locale=locale, fraction_digits=2)


def format_money(amount: Decimal | int | float, currency: str, language: str | None = None) -> str:
    """Money as a reader says it: CN¥50 billion in English, 500亿元 in Chinese."""
    locale = babel_locale(language)
    figure = format_compact(amount, language)
    if locale.startswith("zh"):
        unit = CHINESE_UNITS.get(currency) or get_currency_name(currency, locale=locale)
        return f"{figure}{unit}"
    symbol = ENGLISH_SYMBOLS.get(currency) or get_currency_symbol(currency, locale=locale)
    if symbol == currency:  # no symbol: "EUR 5 million" reads better than "EUR5 million"
        return f"{currency} {figure}"
    return f"{symbol}{figure}"


class HasUnit(Protocol):
    kind: str
    currency: str
    unit: str


def format_target_value(value: Decimal, target: HasUnit, language: str | None = None) -> str:
    """A value in a target's own terms: money with its currency, else the number and its
    unit (12,500 projects). The pages, the badges, the admin and "What changed" all
    show a target's values through this."""
    if target.kind == "money":
        return format_money(value, target.currency, language)
    if target.kind == "count" and value != value.to_integral_value():
        value = value.quantize(Decimal("0.1"))  # an expected count of 3.2, not 3.204
    text = format_number(value, language)
    if target.kind == "percent" and not target.unit:
        return f"{text}%"
    return f"{text} {target.unit}".strip() if target.unit else text


def unit_label(target: HasUnit, language: str | None = None) -> str:
    """What a target's values are counted in, to name a chart's axis: the currency's
    name for money (Chinese Yuan, 人民币), "%" for a percentage, else its unit."""
    if target.kind == "money":
        return get_currency_name(target.currency, locale=babel_locale(language))
    if target.kind == "percent" and not target.unit:
        return "%"
    return target.unit


def format_axis_value(value: Decimal, target: HasUnit, language: str | None = None) -> str:
    """A value on a chart's axis, short: money with its currency (CN¥50 billion), else
    the number alone (the axis is labelled with the unit)."""
    if target.kind == "money":
        return format_money(value, target.currency, language)
    return format_compact(value, language)


# One converter a thread, reset between texts: building one costs more than converting.
converters = threading.local()


def markdown_html(text: str) -> SafeString:
    """Markdown from staff, sanitised (nh3) so no script or style reaches a page or a
    feed."""
    return mark_safe(_markdown_html(text or ""))  # noqa: S308


# The HTML depends on the text alone: a text converted once (an update shown on its
# programme's, its project's and its own page, in every language) is not converted again
# until it falls out of the most recent MARKDOWN_KEPT texts.
MARKDOWN_KEPT = 2048


@functools.lru_cache(maxsize=MARKDOWN_KEPT)
def _markdown_html(text: str) -> str:
    converter = getattr(converters, "markdown", None)
    if converter is None:
        converter = converters.markdown = markdown_lib.Markdown(extensions=["sane_lists"])
    html = converter.reset().convert(text)
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")
