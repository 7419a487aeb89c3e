"""Every public page on a phone (360 and 390 px wide) in both languages: the page never
scrolls sideways, no table cell is narrower than its longest word, no word of a table
cell is broken across lines (Chinese, which breaks between characters by rule, only
needs its cell as wide as its longest word), and no badge is broken across lines unless
it is wider than its box. Screenshots at 390 and 1280 px are kept for a person to look at
(in SCREENSHOTS_DIR when it is set, else in the test's temporary folder)."""

import os
from pathlib import Path

import pytest

from tests.helpers import site_urls

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = [(360, 740), (390, 844)]

# What a reader would see go wrong, measured in the page: each a sentence, empty when
# all is well. Words are cut by the browser's own word segmenter (Chinese included);
# a word whose text lies on two lines, or is wider than its cell, is reported.
MEASURE = r"""() => {
  const problems = [];
  const root = document.documentElement;
  const hidden = (element) => {
    for (let at = element; at; at = at.parentElement) {
      const box = at.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) return true;
    }
    return false;
  };
  if (root.scrollWidth > root.clientWidth) {
    const wide = [...document.body.querySelectorAll("*")].filter(
      (e) => e.getBoundingClientRect().right > root.clientWidth + 1 && !hidden(e));
    const names = wide.slice(-3).map((e) => `${e.tagName} "${e.textContent.trim().slice(0, 40)}"`);
    problems.push(
      `the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth} (${names})`);
  }
  const han = /\p{Script=Han}/u;
  const segmenter = new Intl.Segmenter(root.lang || "en", {granularity: "word"});
  for (const cell of document.querySelectorAll("td, th")) {
    if (!cell.getClientRects().length || hidden(cell)) continue;
    const style = getComputedStyle(cell);
    const box = cell.getBoundingClientRect();
    const room = box.width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (hidden(node.parentElement)) continue;
      for (const part of segmenter.segment(node.data)) {
        if (!part.isWordLike) continue;
        const range = document.createRange();
        range.setStart(node, part.index);
        range.setEnd(node, part.index + part.segment.length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        const lines = new Set(rects.map((r) => Math.round(r.top)));
        const width = rects.reduce((sum, r) => sum + r.width, 0);
        if (lines.size > 1 && !han.test(part.segment)) {
          problems.push(`"${part.segment}" is broken across lines`);
        }
        if (width > room + 1) {
          const wide = Math.round(width);
          problems.push(
            `a cell ${Math.round(room)} px wide is narrower than "${part.segment}" (${wide} px)`);
        }
      }
    }
  }
  for (const badge of document.querySelectorAll(".status, .rating, .demo-badge, .confidence")) {
    if (!badge.getClientRects().length || hidden(badge)) continue;
    const text = badge.textContent.trim();
    const range = document.createRange();
    range.selectNodeContents(badge);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size < 2) continue;
    const holder = badge.parentElement;
    const holderStyle = getComputedStyle(holder);
    const room = holder.getBoundingClientRect().width - parseFloat(holderStyle.paddingLeft)
      - parseFloat(holderStyle.paddingRight);
    badge.style.whiteSpace = "nowrap";
    const own = getComputedStyle(badge);
    const width = range.getBoundingClientRect().width + parseFloat(own.paddingLeft)
      + parseFloat(own.paddingRight) + parseFloat(own.borderLeftWidth)
      + parseFloat(own.borderRightWidth);
    badge.style.whiteSpace = "";
    if (width <= room) {
      problems.push(`the badge "${text}" takes ${lines.size} lines though it fits on one`);
    }
  }
  return [...new Set(problems)];
}"""


def screenshots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot_name(url: str, width: int) -> str:
    return url.strip("/").replace("/", "_").replace("?", "_").replace("&", "_") + f"-{width}.png"


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_fit_a_phone_with_no_word_or_badge_broken(chromium, site, lang, tmp_path):
    folder = screenshots_dir(tmp_path)
    urls = site_urls(lang)
    found = {}
    for width, height in PHONES:
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        for url in urls:
            page.goto(f"{site}{url}")
            problems = page.evaluate(MEASURE)
            if problems:
                found[f"{url} at {width} px"] = problems
            if width == 390:
                page.screenshot(path=folder / shot_name(url, width), full_page=True)
        context.close()
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_do_not_scroll_sideways_on_a_wide_screen(chromium, site, lang, tmp_path):
    folder = screenshots_dir(tmp_path)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    wide = {}
    for url in site_urls(lang):
        page.goto(f"{site}{url}")
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if sizes[0] > sizes[1]:
            wide[url] = sizes
        page.screenshot(path=folder / shot_name(url, 1280), full_page=True)
    context.close()
    assert not wide, wide


def test_a_table_on_a_phone_reads_as_cards_with_each_value_under_its_column_name(phone_page, site):
    phone_page.goto(f"{site}/en/programmes/demo-hub/milestones/")
    row = phone_page.locator("tbody tr").first
    cells = row.locator("td")
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1, "cells stack, one under the other"
    assert first["width"] > 300, "a cell takes the card's width"
    label = cells.nth(5).evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Status"'
    assert phone_page.locator("thead").bounding_box()["width"] <= 1
