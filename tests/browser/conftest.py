"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright.

Without Chromium the browser tests are skipped, except in CI (CI=true), where a
missing browser fails the run instead of hiding it."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Playwright's synchronous API runs an event loop in the test's thread; the ORM calls
# the tests make there are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    _require(Path(CHROMIUM).exists() or shutil.which(CHROMIUM), f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def browser_page(chromium, **options):
    """A page in a fresh browser context (its own cookies), closed after the test."""
    context = chromium.new_context(**options)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(chromium):
    # axe is injected as a script, which the site's Content Security Policy forbids.
    yield from browser_page(chromium, viewport={"width": 1280, "height": 900}, bypass_csp=True)


@pytest.fixture
def no_js_page(chromium):
    yield from browser_page(chromium, java_script_enabled=False)


@pytest.fixture
def phone_page(chromium):
    yield from browser_page(chromium, viewport={"width": 360, "height": 740})


@pytest.fixture
def site(live_server, transactional_db):
    """The live site with the real programme and the demo data."""
    with open(os.devnull, "w") as quiet:
        call_command("load_yizhuang", stdout=quiet)
        call_command("load_demo", stdout=quiet)
    return live_server.url


@pytest.fixture
def axe():
    _require(AXE.exists(), "axe-core is not installed (npm ci)")

    def check(page) -> list:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        return [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
        ]

    return check
