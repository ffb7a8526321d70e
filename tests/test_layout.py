"""Layout and weight of the default briefing in Chromium: no sideways scrolling on a phone or a desktop,
source notes quoted in print, a light topic page. Screenshots go to tests/artifacts/ for a person to look at."""
import json
from pathlib import Path

import pytest

from briefing.config import load_config
from tests.conftest import ROOT

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = [375, 1280]
BUDGET = 120 * 1024  # bytes transferred (uncompressed) for a topic page with its stylesheet and script: pop-ups with quotes and grades, contents and a Sourcing table included


def topics() -> list[str]:
    return [f"{slug}.html" for slug in load_config(ROOT / "site.yaml").topics]


def a_source_page(output: Path) -> str:
    """The source page the first topic cites first."""
    entries = json.loads((output / "citations.json").read_text(encoding="utf-8"))["citations"]
    return next(e for e in entries if e["page"] == topics()[0])["href"].split("#", 1)[0]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, default_site, base, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    wide = []
    for url in sorted(p.relative_to(default_site).as_posix() for p in default_site.rglob("*.html")):
        page.goto(base + url)
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if sizes[0] > sizes[1]:
            wide.append(f"{url}: {sizes[0]} px of content in {sizes[1]} px")
    context.close()
    assert wide == []


@pytest.mark.parametrize("width", WIDTHS)
def test_an_open_tooltip_stays_on_screen(browser, base, width):
    """The marker furthest to the right, focused: its quote shows whole, and the page still does not scroll sideways."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(base + topics()[0])
    marker = page.evaluate("""() => [...document.querySelectorAll('.cite-ref')]
        .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)[0].id""")
    page.focus(f"#{marker}")
    tip = page.locator(f"#{marker}-tip")
    assert tip.is_visible()
    box = tip.evaluate("e => { const r = e.getBoundingClientRect(); return [r.left, r.right, document.documentElement.scrollWidth, document.documentElement.clientWidth]; }")
    context.close()
    assert box[0] >= 0 and box[1] <= box[3] and box[2] <= box[3], box


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_a_topic_and_a_source_page(browser, default_site, base, width):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for name, url in (("topic", topics()[0]), ("source", a_source_page(default_site))):
        page.goto(base + url)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert (ARTIFACTS / f"{name}-{width}.png").stat().st_size > 0
    context.close()


def test_print_shows_the_quotes_of_the_source_notes(browser, default_site, base):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    url = topics()[0]
    page.goto(base + url)
    page.emulate_media(media="print")
    notes = page.locator(".source-notes li")
    expected = [e["quote"] for e in json.loads((default_site / "citations.json").read_text(encoding="utf-8"))["citations"]
                if e["page"] == url]
    assert notes.count() == len(expected) > 0
    quotes = page.locator(".source-notes q")
    assert [" ".join(q.split()) for q in quotes.all_inner_texts()] == [" ".join(q.split()) for q in expected]
    hidden = page.evaluate("""[...document.querySelectorAll('.source-notes q')].filter(q => {
        const r = q.getBoundingClientRect(), s = getComputedStyle(q);
        return r.width === 0 || r.height === 0 || s.visibility !== 'visible' || s.display === 'none'; }).length""")
    assert hidden == 0
    assert not page.locator(".site-header nav").is_visible()  # navigation is no use on paper
    page.screenshot(path=str(ARTIFACTS / "topic-print.png"), full_page=True)
    page.pdf(path=str(ARTIFACTS / "topic-print.pdf"), format="A4")
    page.goto(base + a_source_page(default_site))
    page.pdf(path=str(ARTIFACTS / "source-print.pdf"), format="A4")
    page.screenshot(path=str(ARTIFACTS / "source-print.png"), full_page=True)
    page.close()


WEIGHT = """() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.map(e => ({name: e.name, type: e.initiatorType || 'document', bytes: e.transferSize,
                              blocking: e.renderBlockingStatus === 'blocking'}));
}"""


@pytest.mark.parametrize("url", topics())
def test_a_topic_page_is_light_and_self_contained(browser, base, url):
    context = browser.new_context()  # a fresh cache: everything is transferred
    page = context.new_page()
    page.goto(base + url, wait_until="load")
    entries = page.evaluate(WEIGHT)
    context.close()
    counted = [e for e in entries if e["type"] in ("document", "navigation", "link", "script", "css", "other")]
    assert {e["type"] for e in counted} >= {"navigation", "link"}  # the page and its stylesheet were measured
    assert all(e["bytes"] > 0 for e in counted)
    total = sum(e["bytes"] for e in counted)
    assert total < BUDGET, f"{url}: {total} bytes transferred: {[(e['name'], e['bytes']) for e in counted]}"
    assert [e["name"] for e in entries if not e["name"].startswith(base)] == []
    assert [e["name"] for e in entries if e["blocking"] and not e["name"].startswith(base)] == []
