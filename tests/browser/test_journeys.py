"""Readers' journeys in a real Chromium: with and without JavaScript, on a phone,
in both languages, and checked by axe-core."""

import pytest

from tests.helpers import site_urls
from tracker.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


def journey(page, site: str) -> None:
    """Dashboard → project → target → milestone, by following links as a reader does."""
    page.goto(f"{site}/en/programmes/demo-hub/")
    assert page.locator("h1").inner_text() == "Demo AI hub (illustrative data)"
    assert page.get_by_text("Demo data:").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Demo: AI credit risk platform").first.click()
    assert page.locator("h1").inner_text() == "Demo: AI credit risk platform"
    assert page.get_by_text("Computed rating", exact=True).is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Demo: investment in ai credit risk platform").first.click()
    assert page.locator("h1").inner_text() == "Demo: investment in ai credit risk platform"
    assert page.locator("svg[role=img]").count() == 1
    assert page.get_by_role("table").count() == 1
    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name="Demo: pilot in service").first.click()
    assert page.locator("h1").inner_text() == "Demo: pilot in service"
    assert page.get_by_text("History of dates and status").is_visible()


def test_reader_goes_from_dashboard_to_project_target_and_milestone(page, site):
    journey(page, site)


def test_the_same_journey_works_without_javascript(no_js_page, site):
    journey(no_js_page, site)


def filter_and_sort(page, site: str) -> None:
    page.goto(f"{site}/en/programmes/demo-hub/milestones/")
    page.get_by_label("Status").select_option("completed")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "status=completed" in page.url
    rows = page.locator("tbody tr")
    assert rows.count() == 6
    assert all("Completed" in text for text in rows.locator("td:nth-child(6)").all_inner_texts())
    with page.expect_navigation():
        page.get_by_role("link", name="Planned for").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Planned for").click()
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Planned for")
    assert "status=completed" in page.url, "the filter survives sorting"
    dates = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert len(dates) == 6


def test_reader_filters_and_sorts_the_milestones_table(page, site):
    filter_and_sort(page, site)


def test_filters_and_sorting_work_without_javascript(no_js_page, site):
    filter_and_sort(no_js_page, site)


def test_language_switcher_keeps_the_page(no_js_page, site):
    project = Project.objects.get(slug="city-brain")
    no_js_page.goto(f"{site}{project.get_absolute_url()}")
    with no_js_page.expect_navigation():
        no_js_page.get_by_role("link", name="简体中文").click()
    assert no_js_page.url.endswith("/zh-hans/programmes/demo-hub/projects/city-brain/")
    assert no_js_page.locator("html").get_attribute("lang") == "zh-hans"
    assert no_js_page.locator("h1").inner_text() == "示例：城市运行中心"
    with no_js_page.expect_navigation():
        no_js_page.get_by_role("link", name="English").click()
    assert no_js_page.url.endswith("/en/programmes/demo-hub/projects/city-brain/")


def test_no_page_scrolls_sideways_on_a_360_pixel_phone(phone_page, site):
    wide = []
    for path in site_urls("en") + site_urls("zh-hans"):
        phone_page.goto(f"{site}{path}")
        overflow = phone_page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            wide.append((path, overflow))
    assert not wide


def test_every_public_page_passes_axe(page, site, axe):
    failures = {}
    for path in site_urls("en") + site_urls("zh-hans"):
        page.goto(f"{site}{path}")
        violations = axe(page)
        if violations:
            failures[path] = violations
    assert not failures
