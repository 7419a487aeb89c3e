"""Chinese texts that tests look for on the pages.

A branch adds English texts and lists their translations for the lead, who merges them
into the catalogue (see the helpers' preamble). Until then a page shows the English
text, so a test looking for the Chinese one is skipped (never in CI, where it fails).
"""

import os
from functools import cache

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation


@cache
def catalogued() -> frozenset[str]:
    with open(settings.LOCALE_PATHS[0] / "zh_Hans" / "LC_MESSAGES" / "django.po", "rb") as handle:
        return frozenset(message.id for message in read_po(handle) if message.string)


def chinese(english: str, expected: str) -> str:
    """`expected`, once the site's catalogue translates `english` so."""
    if english not in catalogued() and not os.environ.get("CI"):
        pytest.skip(f"not yet in the catalogue: {english!r}")
    with translation.override("zh-hans"):
        assert translation.gettext(english) == expected, english
    return expected
