"""The site's own error pages (403, 404, 500, CSRF failure, lockout), with DEBUG off:
in the language of the address, with the site's header and a way back; the 500 page
needs no database."""

import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from tests import factories
from tests.helpers import chinese, vnu_errors
from tests.ops.test_production import ROOT, fetch, gunicorn, production_env

ENGLISH = {"en": "Policy target tracker", "zh-hans": "政策目标追踪"}


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


@pytest.fixture
def failing_pages(settings):
    settings.ROOT_URLCONF = "tests.error_urls"


def site_page(response, lang: str) -> str:
    """The page's HTML, once it is shown as a page of the site in `lang`: its language,
    the site's header and a way back to the programmes in the same language."""
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert response["Content-Language"] == lang
    assert re.search(rf'<a class="site-name" href="/{lang}/">{ENGLISH[lang]}</a>', html)
    assert f'<a href="/{lang}/">' in html, "a way back"
    assert "Not Found</h1>" not in html and "Server Error" not in html
    return html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_an_unknown_address_gets_the_sites_404_in_the_language_of_the_address(client, lang):
    for url in (f"/{lang}/no-such-page/", f"/{lang}/programmes/no-such-programme/"):
        response = client.get(url)
        assert response.status_code == 404
        html = site_page(response, lang)
        heading = "Page not found" if lang == "en" else chinese("Page not found", "找不到该页面")
        assert f"<h1>{heading}</h1>" in html
        assert '<meta name="robots" content="noindex">' in html


@pytest.mark.django_db
def test_the_language_switcher_on_a_404_leads_to_the_same_address_in_the_other_language(
    client,
):
    html = client.get("/zh-hans/no-such-page/?q=1").content.decode()
    assert 'href="/en/no-such-page/?q=1" hreflang="en"' in html
    html = client.get("/en/no-such-page/").content.decode()
    assert 'href="/zh-hans/no-such-page/" hreflang="zh-hans"' in html


@pytest.mark.django_db
def test_the_api_still_answers_an_unknown_address_in_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_bug_gets_the_sites_500_page_rendered_without_the_database(
    failing_pages, lang, django_assert_num_queries
):
    client = Client(raise_request_exception=False)

    def no_database(execute, sql, params, many, context):
        raise AssertionError(f"the 500 page asked the database: {sql}")

    with connection.execute_wrapper(no_database), django_assert_num_queries(0):
        response = client.get(f"/{lang}/broken/")
    assert response.status_code == 500
    html = site_page(response, lang)
    heading = "Something went wrong" if lang == "en" else chinese("Something went wrong", "出错了")
    assert f"<h1>{heading}</h1>" in html
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_bug_in_the_api_answers_json(failing_pages):
    response = Client(raise_request_exception=False).get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server Error"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_refusal_gets_the_sites_403_page(client, failing_pages, lang):
    response = client.get(f"/{lang}/refused/")
    assert response.status_code == 403
    html = site_page(response, lang)
    heading = "Access denied" if lang == "en" else chinese("Access denied", "无权访问")
    assert f"<h1>{heading}</h1>" in html


@pytest.mark.django_db
def test_staff_without_a_permission_get_the_403_page_in_their_language(client):
    client.force_login(factories.UserFactory(is_staff=True))
    response = client.get(
        "/admin/tracker/programme/add/", headers={"accept-language": "zh-CN,zh;q=0.9"}
    )
    assert response.status_code == 403
    site_page(response, "zh-hans")


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_form_without_its_csrf_token_gets_a_page_saying_what_to_do(lang):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/{lang}/programmes/", {"anything": "1"})
    assert response.status_code == 403
    html = site_page(response, lang)
    heading = (
        "The form could not be sent"
        if lang == "en"
        else chinese("The form could not be sent", "表单未能提交")
    )
    assert f"<h1>{heading}</h1>" in html
    assert "CSRF" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "lang", "heading"),
    [("en", "en", "Too many failed logins"), ("zh-CN", "zh-hans", "登录失败次数过多")],
)
def test_the_lockout_page_has_the_sites_header_and_a_way_back(
    client, settings, accept, lang, heading
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 2
    user = factories.UserFactory(username="editor", is_staff=True)
    user.set_password("a long pass phrase 42")
    user.save()
    for _ in range(2):
        response = client.post(
            "/admin/login/",
            {"username": "editor", "password": "wrong"},
            headers={"accept-language": accept},
        )
    assert response.status_code == 429
    html = site_page(response, lang)
    assert f"<h1>{heading}</h1>" in html


@dataclass
class Checked:
    """An error page's HTML for the Nu HTML checker, its status asserted already."""

    content: bytes
    status_code: int = 200


@pytest.mark.django_db
def test_the_error_pages_are_valid_html(failing_pages, tmp_path):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    pages = {}
    for lang in ("en", "zh-hans"):
        for url, status in (
            (f"/{lang}/no-such-page/", 404),
            (f"/{lang}/broken/", 500),
            (f"/{lang}/refused/", 403),
        ):
            response = client.get(url)
            assert response.status_code == status, url
            pages[url] = Checked(response.content)
        response = client.post(f"/{lang}/programmes/")
        assert response.status_code == 403
        pages[f"POST /{lang}/programmes/"] = Checked(response.content)
    assert not vnu_errors(pages, tmp_path)


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response.url)
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_pages_name_their_icon_and_print_stylesheet(client):
    html = client.get("/zh-hans/methodology/").content.decode()
    assert re.search(
        r'<link rel="icon" href="/static/tracker/favicon\.svg" type="image/svg\+xml">', html
    )
    assert '<link rel="stylesheet" href="/static/tracker/print.css" media="print">' in html


def test_with_production_settings_and_the_database_down_error_pages_are_the_sites(tmp_path):
    env = production_env(
        STATIC_ROOT=str(tmp_path),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="CRITICAL",
        # Nothing listens there: as with PostgreSQL stopped.
        DATABASE_URL="postgres://tracker@127.0.0.1:1/tracker",
    )
    subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with gunicorn(env) as (address, _):
        status, headers, body = fetch(f"{address}/zh-hans/no-such-page/")
        assert status == 404
        assert headers["Content-Language"] == "zh-hans"
        html = body.decode()
        assert '<html lang="zh-hans">' in html and "政策目标追踪" in html
        stylesheet = re.search(r'href="(/static/tracker/site\.[0-9a-f]+\.css)"', html)
        assert stylesheet, "the hashed stylesheet of the release"
        assert fetch(f"{address}{stylesheet.group(1)}")[0] == 200
        status, headers, _body = fetch(f"{address}/favicon.ico")
        assert status == 200, "followed to the hashed icon"
        # A page that needs the database says the outage is brief, as a page of the site.
        status, headers, body = fetch(f"{address}/zh-hans/programmes/")
        assert status == 503 and headers["Retry-After"] == "30"
        html = body.decode()
        assert "<h1>暂时无法访问</h1>" in html and "政策目标追踪" in html
        assert stylesheet.group(1) in html
