"""The error pages and a printed programme page, in a real Chromium."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failing_pages(settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.DEBUG = False


def test_the_error_pages_pass_axe_and_lead_back(page, live_server, failing_pages, axe):
    failures = {}
    for lang in ("en", "zh-hans"):
        for path, status in (
            (f"/{lang}/no-such-page/", 404),
            (f"/{lang}/broken/", 500),
            (f"/{lang}/refused/", 403),
        ):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status
            assert page.locator("html").get_attribute("lang") == lang
            violations = axe(page)
            if violations:
                failures[path] = violations
    assert not failures
    with page.expect_navigation() as navigation:
        page.locator(".way-back a").first.click()
    assert navigation.value.status == 200
    assert page.url == f"{live_server.url}/zh-hans/"


def test_a_printed_programme_page_is_a_clean_report(page, site):
    page.goto(f"{site}/en/programmes/beijing-etown-ai/")
    page.emulate_media(media="print")

    def shown(selector: str) -> bool:
        return page.locator(selector).first.is_visible()

    for chrome in (".language-switcher", ".page-links", ".downloads", ".follow"):
        assert not shown(chrome), chrome
    for record in ("h1", ".site-name", "#targets-heading", ".sources"):
        assert shown(record), record
    source = page.locator(".sources a[href^='http']").first
    written_out = source.evaluate("a => getComputedStyle(a, '::after').content")
    assert source.get_attribute("href") in written_out
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    assert shown(".language-switcher") and shown(".follow")
