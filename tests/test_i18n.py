"""The interface is complete in Simplified Chinese, and the compiled catalogue is current."""

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "tracker" / "locale" / "zh_Hans" / "LC_MESSAGES"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# A string marked in a template: {% translate "…" %}, without a context.
MARKED = re.compile(r'\{%\s*(?:translate|trans)\s+"([^"]+)"(?![^%]*\bcontext\b)[^%]*%\}')


def catalogue(name: str):
    with open(LOCALE / name, "rb") as handle:
        return (read_po if name.endswith(".po") else read_mo)(handle)


def test_every_interface_string_has_a_chinese_translation():
    po = catalogue("django.po")
    untranslated = [
        message.id
        for message in po
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else (message.string,))
        )
    ]
    assert not untranslated
    marked = set()
    for path in TEMPLATES.rglob("*.html"):
        marked.update(MARKED.findall(path.read_text()))
    catalogued = {message.id if isinstance(message.id, str) else message.id[0] for message in po}
    assert marked, "the templates mark their strings"
    assert not marked - catalogued, "run: make messages"


def test_compiled_catalogue_matches_the_translations():
    po, mo = catalogue("django.po"), catalogue("django.mo")

    def entries(messages):
        return {
            tuple(m.id) if isinstance(m.id, list | tuple) else m.id: (
                tuple(m.string) if isinstance(m.string, list | tuple) else m.string
            )
            for m in messages
            if m.id
        }

    expected, compiled = entries(po), entries(mo)
    assert compiled == expected, "run: make messages"


def test_placeholders_survive_translation():
    import re

    for message in catalogue("django.po"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s", string)) == wanted, message.id
