"""Bilingual to the last mark: Chinese pages punctuate in Chinese, badges and their
embed codes come in both languages, staff are warned of a public text without its
Chinese version."""

import datetime as dt
import html
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests import factories
from tests.editorial import test_notifications
from tests.helpers import admin_form_data, page_text, site_urls
from tracker.editorial import workflow as services
from tracker.models import Programme, ProgrammeGroup

team = test_notifications.team  # programme, editor (reads Chinese), reviewer, update

CJK = r"[\u3400-\u9fff]"
# A Western mark touching Chinese text: "状态: ", "计划, ", "项目. ", "（reported" as "(".
WESTERN_MARK = re.compile(rf"{CJK}\s?[:;,!?]|[:;,!?]\s?{CJK}|{CJK}\.(?:\s|$)|{CJK}\s?\(|\)\s?{CJK}")


QUOTATION = re.compile(r"<blockquote class=\"quote\".*?</blockquote>", re.S)


def western_marks(text: str) -> list[str]:
    return [text[max(0, m.start() - 12) : m.end() + 12] for m in WESTERN_MARK.finditer(text)]


@pytest.mark.django_db
def test_the_real_programmes_and_their_groups_punctuate_in_chinese(client, today):
    call_command("load_programmes", stdout=io.StringIO())
    programmes = Programme.objects.values_list("slug", flat=True)
    groups = ProgrammeGroup.objects.values_list("slug", flat=True)
    urls = [
        *(f"/zh-hans/programmes/{slug}/" for slug in programmes),
        *(f"/zh-hans/groups/{slug}/" for slug in groups),
        "/zh-hans/status/",
    ]
    found = {}
    for url in urls:
        # A quotation is the source's own words, punctuated as the source wrote them.
        page = re.sub(QUOTATION, " ", client.get(url).content.decode())
        marks = western_marks(html.unescape(re.sub(r"<[^>]+>", " ", page)))
        if marks:
            found[url] = marks
    assert len(urls) > 14 and not found


@pytest.mark.django_db
def test_chinese_pages_use_chinese_punctuation(client, yizhuang, demo, today):
    found = {}
    others = ["/zh-hans/methodology/", "/zh-hans/no-such-page/", "/zh-hans/search/?q=Demo"]
    for url in site_urls("zh-hans") + [*others, "/zh-hans/search/?q=Beijing"]:
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
    label = {
        "en": "Embed this badge (copy the code): Simplified Chinese",
        "zh-hans": "嵌入此徽章（复制代码）：英文",
    }
    assert re.search(rf'<label for="embed-\d+-[a-z-]+">{re.escape(label[lang])}</label>', page)


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


def test_chinese_e_mail_punctuates_in_chinese(client, team, django_capture_on_commit_callbacks):
    update = team["update"]
    services.update_submit(update=update, by=team["editor"])
    client.force_login(team["reviewer"])
    url = reverse("admin:tracker_progressupdate_change", args=[update.pk])
    data = admin_form_data(client.get(url))
    data.update({"_return": "1", "review_comment": "Add the contract value."})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    returned = mail.outbox[-1]
    assert "意见：Add the contract value." in returned.body
    assert "<strong>意见：</strong>Add the contract value." in returned.alternatives[0][0]

    factories.MilestoneFactory(
        project=update.project,
        programme=team["programme"],
        title_zh_hans="签约",
        planned_on=dt.date(2020, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    digest = next(m for m in reversed(mail.outbox) if m.to == ["editor@example.org"])
    assert "逾期里程碑：\n" in digest.body
    assert f"- 签约（{update.project.name_zh_hans}）：计划于" in digest.body


@pytest.mark.django_db
def test_opening_a_record_without_its_chinese_text_shows_the_warning_once(admin_client):
    project = factories.ProjectFactory(summary_en="A city operations centre.", summary_zh_hans="")
    url = reverse("admin:tracker_project_change", args=[project.pk])
    page = admin_client.get(url)
    expected = (
        f"“{project.name_en}” has no Chinese version of: summary. The Chinese pages show "
        "the English text until one is given."
    )
    assert [m.message for m in page.context["messages"]] == [expected]
    data = admin_form_data(page)
    data.update({"_continue": "1", "change_reason": "Checked."})
    again = admin_client.post(url, data, follow=True)
    assert again.redirect_chain[-1][0] == url
    warnings = [m.message for m in again.context["messages"] if m.level_tag == "warning"]
    assert warnings == [expected]
