"""The verdict is read in the first screen, on a 390 px phone and on a desktop, in
both languages, and no page scrolls sideways; the status summary is axe-clean."""

import os
from pathlib import Path

from tests.browser.conftest import browser_page
from tracker.models import Programme, Project

VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}


def pages(lang: str) -> dict[str, str]:
    demo = Programme.objects.get(slug="demo-hub")
    project = Project.objects.get(programme=demo, slug="credit-risk-ai")
    yizhuang = Programme.objects.get(slug="beijing-etown-ai")
    target = yizhuang.targets.filter(project=None).order_by("pk").first()
    return {
        "home": f"/{lang}/",
        "programme": f"/{lang}/programmes/{yizhuang.slug}/",
        "demo programme": f"/{lang}/programmes/{demo.slug}/",
        "project": f"/{lang}/programmes/{demo.slug}/projects/{project.slug}/",
        "target": f"/{lang}/programmes/{yizhuang.slug}/targets/{target.pk}/",
    }


def test_the_verdict_is_in_the_first_screen_and_nothing_scrolls_sideways(chromium, site, tmp_path):
    shots = Path(os.environ.get("VERDICT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    below, sideways = {}, {}
    for device, (width, height) in VIEWPORTS.items():
        for page in browser_page(chromium, viewport={"width": width, "height": height}):
            for lang in ("en", "zh-hans"):
                for name, path in pages(lang).items():
                    page.goto(f"{site}{path}")
                    box = page.locator("[data-verdict]").first.bounding_box()
                    assert box is not None, path
                    if box["y"] + box["height"] > height:
                        below[(device, path)] = box["y"] + box["height"]
                    scroll = page.evaluate(
                        "[document.documentElement.scrollWidth,"
                        " document.documentElement.clientWidth]"
                    )
                    if scroll[0] > scroll[1]:
                        sideways[(device, path)] = scroll
                    page.screenshot(path=str(shots / f"{device}-{lang}-{name}.png"))
    assert not below
    assert not sideways


def test_the_status_summary_passes_axe_and_fits_a_phone(page, chromium, site, axe, tmp_path):
    for lang in ("en", "zh-hans"):
        page.goto(f"{site}/{lang}/status/")
        assert page.locator("h1").inner_text()
        assert axe(page) == []
        page.goto(f"{site}/{lang}/programmes/demo-hub/?rating=amber&sector=banking")
        assert axe(page) == []
    for phone in browser_page(chromium, viewport={"width": 390, "height": 844}):
        for lang in ("en", "zh-hans"):
            phone.goto(f"{site}/{lang}/status/")
            width = phone.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1], width
            phone.screenshot(path=str(tmp_path / f"status-{lang}.png"), full_page=True)
