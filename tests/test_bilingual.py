"""Bilingual to the last mark: Chinese pages punctuate in Chinese, badges and their
embed codes come in both languages, staff are warned of a public text without its
Chinese version."""

import html
import re

import pytest
from django.urls import reverse

from tests.admin_forms import admin_form_data
from tests.test_pages import page_text
from tests.test_public_pages import demo_urls, yizhuang_urls
from tests.translations import chinese
from tracker import factories

CJK = r"[\u3400-\u9fff]"
# A Western mark touching Chinese text: "状态: ", "计划, ", "项目. ", "（reported" as "(".
WESTERN_MARK = re.compile(rf"{CJK}\s?[:;,!?]|[:;,!?]\s?{CJK}|{CJK}\.(?:\s|$)|{CJK}\s?\(|\)\s?{CJK}")


def western_marks(text: str) -> list[str]:
    return [text[max(0, m.start() - 12) : m.end() + 12] for m in WESTERN_MARK.finditer(text)]


@pytest.mark.django_db
def test_chinese_pages_use_chinese_punctuation(client, yizhuang, demo, today):
    found = {}
    for url in (
        demo_urls("zh-hans")
        + yizhuang_urls("zh-hans")
        + ["/zh-hans/methodology/", "/zh-hans/no-such-page/"]
    ):
        marks = western_marks(html.unescape(page_text(client.get(url))))
        if marks:
            found[url] = marks
    assert not found


@pytest.mark.django_db
def test_english_pages_keep_english_punctuation(client, demo):
    text = page_text(client.get("/en/methodology/"))
    assert re.search(r"Achieved ?: the current value meets the target", text)
    assert "：" not in text


@pytest.mark.django_db
def test_a_badge_comes_in_the_language_its_address_asks_for(client, demo):
    url = "/badges/demo-hub/projects/city-brain.svg"
    english = client.get(f"{url}?lang=en", headers={"accept-language": "zh-CN"})
    chinese = client.get(f"{url}?lang=zh-hans", headers={"accept-language": "en"})
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    assert "<title>rating: " in english.content.decode()
    assert "<title>评级：" in chinese.content.decode()
    # Without a choice, the visitor's own language, as before.
    assert "<title>评级：" in client.get(url, headers={"accept-language": "zh-CN"}).content.decode()
    assert client.get(f"{url}?lang=xx").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_offer_the_embed_code_in_both_languages(client, demo, lang):
    project = "/programmes/demo-hub/projects/city-brain/"
    page = html.unescape(client.get(f"/{lang}{project}").content.decode())
    badge = "http://testserver/badges/demo-hub/projects/city-brain.svg"
    for code, alt in (("en", "Computed rating of"), ("zh-hans", "的计算评级")):
        code_for = re.search(
            rf'<a href="http://testserver/{code}{project}"><img src="{badge}\?lang={code}" '
            rf'alt="([^"]+)"></a>',
            page,
        )
        assert code_for, code
        assert alt in code_for.group(1)
    if lang == "en":
        assert "Embed this badge in Simplified Chinese (copy the code)" in page
    else:
        chinese(
            "Embed this badge in %(language)s (copy the code)", "嵌入%(language)s版徽章（复制代码）"
        )
        assert "嵌入英文版徽章（复制代码）" in page


@pytest.mark.django_db
def test_staff_are_warned_when_a_public_text_has_no_chinese_version(admin_client):
    project = factories.ProjectFactory(summary_en="", summary_zh_hans="")
    url = reverse("admin:tracker_project_change", args=[project.pk])
    data = admin_form_data(admin_client.get(url))
    data["summary_en"] = "A city operations centre."
    data["change_reason"] = "Summary from the announcement."
    response = admin_client.post(url, data, follow=True)
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        f"“{project.name_en}” has no Chinese version of: summary. The Chinese pages show "
        "the English text until one is given."
    ]
    assert "has no Chinese version" in response.content.decode()

    data["summary_zh_hans"] = "城市运行中心。"
    response = admin_client.post(url, data, follow=True)
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
