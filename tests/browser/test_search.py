"""The search box in a real Chromium: typed into, without JavaScript, on a phone, and
checked by axe-core."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH_PATHS = [
    "/en/search/?q=trafic",
    "/zh-hans/search/?q=交通",
    "/en/search/?q=demo",
    "/en/search/",
    "/en/search/?q=nothing-matches-this",
]


def test_reader_searches_from_the_header_without_javascript(no_js_page, site):
    page = no_js_page
    page.goto(f"{site}/en/programmes/demo-hub/")
    page.get_by_role("searchbox", name="Search the tracker").fill("trafic")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    assert "/en/search/?q=trafic" in page.url
    assert page.get_by_role("heading", name="Projects").is_visible()
    assert page.get_by_role("searchbox", name="Search the tracker").input_value() == "trafic"
    with page.expect_navigation():
        page.get_by_role("link", name="Demo: Smart traffic signals").click()
    assert page.locator("h1").inner_text() == "Demo: Smart traffic signals"


def test_search_pages_pass_axe(page, site, axe):
    failures = {}
    for path in SEARCH_PATHS:
        page.goto(f"{site}{path}")
        violations = axe(page)
        if violations:
            failures[path] = violations
    assert not failures


def test_search_box_and_results_fit_a_360_pixel_phone(phone_page, site):
    wide = []
    for path in [*SEARCH_PATHS, "/en/programmes/demo-hub/", "/zh-hans/methodology/"]:
        phone_page.goto(f"{site}{path}")
        overflow = phone_page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            wide.append((path, overflow))
    assert not wide
    box = phone_page.get_by_role("searchbox").bounding_box()
    assert box["width"] >= 120
