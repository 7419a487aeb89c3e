"""The real programmes' group and programme pages in a real Chromium, checked by axe-core."""

import os

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

PATHS = [
    "/{lang}/groups/national-high-tech-bases-2020/",
    "/{lang}/groups/beijing-etown-plans/",
    "/{lang}/programmes/",
    "/{lang}/programmes/etown-three-goals-2025/",
    "/{lang}/programmes/zouping-aluminium-base/",
    "/{lang}/programmes/beijing-etown-ai/",
]


@pytest.fixture
def real_site(live_server, transactional_db):
    with open(os.devnull, "w") as quiet:
        call_command("load_programmes", stdout=quiet)
    return live_server.url


def test_group_and_real_programme_pages_pass_axe(page, real_site, axe):
    failures = {}
    for lang in ("en", "zh-hans"):
        for path in PATHS:
            url = f"{real_site}{path.format(lang=lang)}"
            page.goto(url)
            violations = axe(page)
            if violations:
                failures[url] = violations
    assert not failures


def test_a_reader_goes_from_a_base_to_its_group_and_on_to_the_gdp_target(page, real_site):
    page.goto(f"{real_site}/en/programmes/zouping-aluminium-base/")
    page.get_by_role("link", name="2020 national high-tech industrialisation bases").click()
    page.wait_for_url("**/groups/national-high-tech-bases-2020/")
    page.get_by_role(
        "link", name="Beijing Economic and Technological Development Area national AI"
    ).first.click()
    page.wait_for_url("**/programmes/beijing-etown-ai/")
    page.get_by_role("link", name="Beijing E-Town plans").click()
    page.wait_for_url("**/groups/beijing-etown-plans/")
    page.get_by_role("link", name="Gross domestic product").click()
    page.wait_for_url("**/targets/*/")
    assert page.locator(".status-line .status").first.inner_text() == "Achieved"
    assert "Xinhua" in page.locator("ol.sources").inner_text()
