"""The default briefing as a reader meets it on a phone, a tablet and a laptop, in headless Chromium:
tables that scroll instead of breaking words, a header of one height, source pages where the document
comes first, citation pop-ups (Escape, touch), grouped markers, contents for long pages. Screenshots of
every page type at three widths, light and dark, go to tests/artifacts/ for a person to look at."""
import json
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = [375, 768, 1280]


def html_pages(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))


def source_pages(output: Path) -> list[str]:
    return [url for url in html_pages(output) if url.startswith("sources/") and url != "sources/index.html"]


BROKEN_WORDS = """() => {
    // A word is broken when its letters sit on more than one line of a table cell.
    const broken = [];
    for (const cell of document.querySelectorAll('td, th')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const re = /[\\p{L}\\p{N}][\\p{L}\\p{N}\\-.,:'’]*[\\p{L}\\p{N}]/gu;
            for (const m of node.data.matchAll(re)) {
                const range = document.createRange();
                range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
                const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (tops.size > 1 && !/[-.,:]/.test(m[0])) broken.push(m[0]);
            }
        }
    }
    return broken;
}"""


def test_no_word_is_broken_in_a_table_cell_on_a_phone(browser, default_site, base):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    broken = {}
    tables = 0
    for url in html_pages(default_site):
        page.goto(base + url)
        tables += page.locator("table").count()
        found = page.evaluate(BROKEN_WORDS)
        if found:
            broken[url] = found[:10]
    context.close()
    assert tables > 0
    assert broken == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_header_has_one_height_on_every_page(browser, default_site, base, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    heights = {}
    for url in html_pages(default_site):
        page.goto(base + url)
        heights[url] = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    context.close()
    assert len(set(heights.values())) == 1, heights
    assert max(heights.values()) <= (72 if width < 1024 else 100)  # at most two lines of title on a phone


def test_the_menu_opens_without_javascript_on_a_phone(browser, base):
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "index.html")
    nav = page.locator("nav[aria-label='Sections']")
    assert not nav.is_visible()
    page.locator(".menu > summary").click()
    assert nav.is_visible()
    assert nav.get_by_role("link").count() >= 2
    context.close()


def test_the_header_lines_up_with_the_text(browser, base):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(base + "treaty.html")
    lefts = page.evaluate("[document.querySelector('.site-title a').getBoundingClientRect().left, document.querySelector('h1').getBoundingClientRect().left]")
    # The menu fits the text column: its last link ends where the text may end.
    rights = page.evaluate("""[document.querySelector('.site-header nav li:last-child a').getBoundingClientRect().right,
                               document.querySelector('.page').getBoundingClientRect().right]""")
    page.close()
    assert abs(lefts[0] - lefts[1]) <= 1
    assert rights[0] <= rights[1]


VISIBLE_TEXT = """() => {
    // The text a reader sees: every text node inside a rendered, unclipped element, once.
    let seen = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (!el || !el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
        if (el.closest('.visually-hidden, .cite-tip')) continue;
        const range = document.createRange(); range.selectNodeContents(node);
        if ([...range.getClientRects()].some(r => r.width > 0 && r.height > 0)) seen += node.data.replace(/\\s+/g, ' ').trim().length;
    }
    const own = [...document.querySelectorAll('.source-text > p')].map(p => p.cloneNode(true));
    own.forEach(p => p.querySelectorAll('.para-link, .furniture-label').forEach(e => e.remove()));
    return [seen, own.map(p => p.textContent.replace(/\\s+/g, ' ').trim().length).reduce((a, b) => a + b, 0)];
}"""


def test_source_pages_show_the_document_first(browser, default_site, base):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    ratios = {}
    for url in source_pages(default_site):
        page.goto(base + url)
        seen, own = page.evaluate(VISIBLE_TEXT)
        ratios[url] = round(seen / own, 2)
    page.close()
    assert ratios and all(r <= 1.6 for r in ratios.values()), ratios


def test_every_excerpt_reaches_every_claim_citing_it_in_one_click(default_site):
    """Each claim citing a source is a visible link right after the paragraph its excerpt is in."""
    import re

    entries = json.loads((default_site / "citations.json").read_text(encoding="utf-8"))["citations"]
    for entry in entries:
        source_url, anchor = entry["href"].split("#", 1)
        html = (default_site / source_url).read_text(encoding="utf-8")
        paragraph_end = html.index("</p>", html.index(f'id="{anchor}"'))
        line = re.match(r'\s*<div class="cited-in">\s*<div class="cited-line">(.*?)</div>', html[paragraph_end + 4:], re.S)
        assert line is not None, entry
        assert f'href="../{entry["page"]}#cite-' in line[1]


def test_escape_closes_a_popover(browser, base):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(base + "treaty.html")
    page.locator("#cite-1").hover()
    tip = page.locator("#cite-1-tip")
    assert tip.is_visible()
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    page.locator("h1").hover()
    page.locator("#cite-2").focus()
    assert page.locator("#cite-2-tip").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#cite-2-tip").is_visible()
    page.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_popover_opens_at_its_marker(browser, base, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(base + "treaty.html")
    for marker in ("#cite-1", "#cite-3"):
        page.locator(marker).focus()
        ref, tip = page.evaluate(f"""[document.querySelector('{marker}').getBoundingClientRect().toJSON(),
                                     document.querySelector('{marker}-tip').getBoundingClientRect().toJSON()]""")
        assert 0 <= tip["top"] - ref["bottom"] <= 12
        assert tip["left"] <= ref["left"] <= tip["right"]
        assert tip["left"] >= 0 and tip["right"] <= width
    page.close()


def test_arriving_at_a_marker_does_not_open_its_popover(browser, base):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(base + "treaty.html")
    box = page.locator("#cite-2").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.goto(base + "troops.html#cite-2")  # the pointer now rests wherever the page puts the marker
    assert not page.locator(".cite-tip:visible").count()
    page.close()


def test_a_tap_on_a_marker_shows_the_quote(browser, base):
    context = browser.new_context(viewport={"width": 375, "height": 800}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(base + "treaty.html")
    page.locator("#cite-1").tap()
    tip = page.locator("#cite-1-tip")
    assert tip.is_visible()
    assert page.url.endswith("treaty.html")
    assert tip.locator("a.cite-src").get_attribute("href") == page.locator("#cite-1").get_attribute("href")
    page.locator("#cite-1").tap()  # a second tap follows the link
    page.wait_for_url("**/sources/*.html#*")
    context.close()


def test_grouped_markers_are_each_focusable(browser, default_site, base):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    for url in html_pages(default_site):
        page.goto(base + url)
        if page.locator(".cite-group").count():
            break
    else:
        pytest.fail("no page groups its markers")
    group = page.locator(".cite-group").first
    markers = group.locator(".cite-ref")
    assert markers.count() >= 2
    assert group.inner_text().startswith("[") and group.inner_text().endswith("]")
    for index in range(markers.count()):
        marker = markers.nth(index)
        marker.focus()
        assert page.evaluate("document.activeElement.id") == marker.get_attribute("id")
        assert page.locator(f"#{marker.get_attribute('id')}-tip").is_visible()
    page.close()


def test_citation_markers_look_unlike_footnote_markers(browser, mini, static_server):
    build(load_config(mini / "site.yaml"))
    page = browser.new_page()
    page.goto(static_server(mini / "output") + "alpha.html")
    footnote, marker = page.locator(".footnote-ref a").first, page.locator(".cite-ref").first
    assert footnote.count() and marker.count()
    assert not footnote.inner_text().startswith("[") and marker.inner_text().startswith("[")
    colours = page.evaluate("[getComputedStyle(document.querySelector('.footnote-ref a')).color, getComputedStyle(document.querySelector('.cite-ref')).color]")
    assert colours[0] != colours[1]
    page.close()


def test_a_long_page_has_contents_heading_links_and_a_way_back_up(browser, base):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(base + "discrepancies.html")
    toc = page.locator("nav.toc")
    assert toc.count() == 1
    toc.locator("summary").click()
    first = toc.locator("a").first
    target = first.get_attribute("href")
    first.click()
    assert page.url.endswith(target)
    assert page.locator(f"h2{target} a.heading-link").count() == 1
    page.locator(".to-top a").click()
    assert page.evaluate("scrollY") < 100
    page.close()
    wide = browser.new_page(viewport={"width": 1440, "height": 900})
    wide.goto(base + "discrepancies.html")
    wide.mouse.wheel(0, 4000)
    wide.wait_for_timeout(100)
    assert wide.locator("nav.toc a").first.is_visible()  # open and beside the text, wherever the reader is
    box = wide.locator("nav.toc").bounding_box()
    text = wide.locator(".body").bounding_box()
    assert box["x"] >= text["x"] + text["width"]
    wide.close()


def test_topics_link_to_the_previous_and_next(browser, base):
    topics = load_config(ROOT / "site.yaml").topics
    page = browser.new_page()
    page.goto(base + f"{topics[0]}.html")
    assert page.locator("a[rel='prev']").count() == 0
    page.locator("a[rel='next']").click()
    page.wait_for_url(f"**/{topics[1]}.html")
    page.locator("a[rel='prev']").click()
    page.wait_for_url(f"**/{topics[0]}.html")
    page.close()


PAGE_TYPES = {"home": "index.html", "topic": "treaty.html", "long": "discrepancies.html", "table": "timeline.html",
              "sources": "sources/index.html", "source": "sources/hur.html", "404": "404.html"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_every_page_type(browser, base, scheme):
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        for name, url in PAGE_TYPES.items():
            page.goto(base + url)
            path = ARTIFACTS / f"reader-{name}-{width}-{scheme}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 0
        page.goto(base + "treaty.html")
        page.locator("#cite-3").focus()
        page.screenshot(path=str(ARTIFACTS / f"reader-popover-{width}-{scheme}.png"))
        context.close()
