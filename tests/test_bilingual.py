"""Bilingual to the last mark: Chinese pages punctuate in Chinese, badges and their
embed codes come in both languages, staff are warned of a public text without its
Chinese version."""

import html
import re

import pytest

from tests.test_pages import page_text
from tests.test_public_pages import demo_urls, yizhuang_urls

CJK = r"[\u3400-\u9fff]"
# A Western mark touching Chinese text: "状态: ", "计划, ", "项目. ", "（reported" as "(".
WESTERN_MARK = re.compile(rf"{CJK}\s?[:;,!?]|[:;,!?]\s?{CJK}|{CJK}\.(?:\s|$)|{CJK}\s?\(|\)\s?{CJK}")


def western_marks(text: str) -> list[str]:
    return [text[max(0, m.start() - 12) : m.end() + 12] for m in WESTERN_MARK.finditer(text)]


@pytest.mark.django_db
def test_chinese_pages_use_chinese_punctuation(client, yizhuang, demo, today):
    found = {}
    for url in demo_urls("zh-hans") + yizhuang_urls("zh-hans") + ["/zh-hans/methodology/"]:
        marks = western_marks(html.unescape(page_text(client.get(url))))
        if marks:
            found[url] = marks
    assert not found


@pytest.mark.django_db
def test_english_pages_keep_english_punctuation(client, demo):
    text = page_text(client.get("/en/methodology/"))
    assert re.search(r"Achieved ?: the current value meets the target", text)
    assert "：" not in text
