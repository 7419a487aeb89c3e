"""The first public page, as a reader sees it in each language."""

import pytest

from tests.helpers import page_text
from tracker.models import Project


@pytest.mark.django_db
def test_root_sends_readers_to_their_language(client, yizhuang):
    assert client.get("/").url == "/en/"
    chinese = client.get("/", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert chinese.url == "/zh-hans/"


@pytest.mark.django_db
def test_home_in_english_shows_the_pledge_the_target_and_the_gap(client, yizhuang, today):
    response = client.get("/en/", follow=True)
    assert response.redirect_chain[-1][0] == "/en/programmes/beijing-etown-ai/"
    text = page_text(response)
    assert "Beijing Economic and Technological Development Area national AI high-tech" in text
    assert "a model base for significant AI applications" in text
    assert "At least CN¥50 billion" in text
    assert "reported as US$7.5 billion by South China Morning Post" in text
    assert "Due between Oct. 14, 2023 and Oct. 14, 2025" in text
    assert "0 of 10 projects publicly identified" in text
    assert "Artificial intelligence nod from China’s science ministry" in text
    assert "国科发高〔2020〕260号" in text
    assert "Demo data" not in text


@pytest.mark.django_db
def test_home_in_chinese_formats_the_target_the_chinese_way(client, yizhuang, today):
    response = client.get("/zh-hans/", follow=True)
    assert response.redirect_chain[-1][0] == "/zh-hans/programmes/beijing-etown-ai/"
    text = page_text(response)
    assert "北京经济技术开发区国家人工智能高新技术产业化基地" in text
    assert "不低于 500亿元" in text
    assert "南华早报报道为75亿美元" in text
    assert "截止日期在2023年10月14日至2025年10月14日之间" in text
    assert "计划10个项目，已公开披露0个" in text
    assert "《科技部关于认定2020年国家高新技术产业化基地的通知》" in text
    assert 'lang="zh-hans"' in response.content.decode()


@pytest.mark.django_db
def test_language_switcher_links_to_the_same_page(client, yizhuang):
    response = client.get("/en/programmes/beijing-etown-ai/")
    html = response.content.decode()
    assert 'href="/zh-hans/programmes/beijing-etown-ai/"' in html
    chinese = client.get("/zh-hans/programmes/beijing-etown-ai/")
    assert 'href="/en/programmes/beijing-etown-ai/"' in chinese.content.decode()


@pytest.mark.django_db
def test_every_public_page_says_so_while_demo_data_is_present(client, yizhuang, demo):
    demo_project = Project.objects.filter(is_demo=True).first()
    pages = [
        "/en/programmes/",
        "/en/programmes/beijing-etown-ai/",
        demo_project.get_absolute_url(),
        demo_project.targets.first().get_absolute_url(),
        demo_project.milestones.first().get_absolute_url(),
        "/zh-hans/programmes/beijing-etown-ai/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = page_text(response)
        assert "Demo data" in text or "演示数据" in text, url


@pytest.mark.django_db
def test_with_two_programmes_home_lists_both(client, yizhuang, demo):
    text = page_text(client.get("/en/"))
    assert "Beijing Economic and Technological Development Area" in text
    assert "Demo AI hub (illustrative data)" in text


@pytest.mark.django_db
def test_unknown_programme_is_not_found(client, yizhuang):
    assert client.get("/en/programmes/no-such-hub/").status_code == 404
    assert client.get("/en/programmes/beijing-etown-ai/targets/999999/").status_code == 404
    assert client.get("/en/programmes/beijing-etown-ai/projects/nothing/").status_code == 404
