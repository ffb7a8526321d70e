"""A reader's journeys through the default briefing in headless Chromium, by mouse and by keyboard only."""
import json
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT

NAV = "nav[aria-label='Sections']"


@pytest.fixture(scope="module")
def default_site(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The default briefing built into a temporary folder, and the title and menu label of each topic in reading order."""
    out = tmp_path_factory.mktemp("journeys") / "site"
    result = build(load_config(ROOT / "site.yaml", output_dir=out))
    return out, {p.page.slug: (p.page.title, p.page.menu_title) for p in result.site.topics}


@pytest.fixture
def site(default_site, static_server):
    return default_site[0], static_server(default_site[0])


def first_citation(output: Path, page: str) -> dict:
    return next(c for c in json.loads((output / "citations.json").read_text(encoding="utf-8"))["citations"] if c["page"] == page)


def topics() -> list[str]:
    return list(load_config(ROOT / "site.yaml").topics)


def target_state(page) -> dict:
    """The :target element, the <mark> that highlights it, and whether it is within the viewport."""
    return page.evaluate("""() => {
        const target = document.querySelector(':target');
        if (!target) return null;
        const mark = target.closest('mark') || target;
        const parts = [mark, ...document.querySelectorAll(`mark[data-of="${target.id}"]`)];  // a split excerpt's later parts
        const plain = [...document.querySelectorAll('mark')].find(m => !m.closest(':target') && !m.querySelector(':target') && !parts.includes(m));
        const r = target.getBoundingClientRect();
        return {id: target.id, text: parts.map(p => p.textContent).join(''), background: getComputedStyle(mark).backgroundColor,
                plain: plain ? getComputedStyle(plain).backgroundColor : null,
                inView: r.top >= 0 && r.bottom <= innerHeight && r.height > 0};
    }""")


def test_every_topic_is_reached_through_the_navigation(browser, default_site, site):
    titles = default_site[1]
    assert list(titles) == topics()
    output, base = site
    page = browser.new_page()
    page.goto(base)
    for slug, (title, label) in titles.items():
        page.locator(NAV).get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(f"**/{slug}.html")
        assert page.locator("h1").inner_text() == title
        current = page.locator(f"{NAV} a[aria-current='page']")
        assert current.count() == 1 and current.inner_text() == label
    page.locator(".site-title a").click()
    page.wait_for_url(base + "index.html")
    cards = page.locator("#topics-heading + .cards a")
    assert cards.all_inner_texts() == [title for title, _ in titles.values()]
    page.close()


def check_landing(page, base: str, citation: dict) -> None:
    """On the source page, at the cited excerpt: highlighted, holding the quote, scrolled into view."""
    page.wait_for_url(base + citation["href"])
    state = target_state(page)
    assert state is not None and state["id"] == citation["href"].split("#", 1)[1]
    assert " ".join(citation["quote"].split()) in " ".join(state["text"].split())
    assert state["background"] not in ("rgba(0, 0, 0, 0)", "transparent", state["plain"])
    assert state["inView"]


def check_back_at_claim(page, base: str, citation: dict) -> None:
    page.wait_for_url(base + citation["page"] + "#cite-1")
    marker = page.evaluate("""() => { const t = document.querySelector(':target'); const r = t.getBoundingClientRect();
        return {id: t.id, inView: r.top >= 0 && r.bottom <= innerHeight && r.height > 0,
                background: getComputedStyle(t).backgroundColor}; }""")
    assert marker["id"] == "cite-1" and marker["inView"]
    assert marker["background"] not in ("rgba(0, 0, 0, 0)", "transparent")


def test_marker_to_excerpt_and_back_with_the_mouse(browser, site):
    output, base = site
    slug = topics()[0]
    citation = first_citation(output, f"{slug}.html")
    page = browser.new_page()
    page.goto(base + citation["page"])
    page.locator("#cite-1").click()
    check_landing(page, base, citation)
    backlink = page.locator(f".cited-in a[href$='{citation['page']}#cite-1']")
    assert backlink.count() == 1
    backlink.click()
    check_back_at_claim(page, base, citation)
    page.close()


def tab_until(page, condition: str, limit: int = 80) -> int:
    """Press Tab until `condition` (a JS expression over `e`, the focused element) holds; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({condition}); }}"):
            return presses
    raise AssertionError(f"{condition} never got the focus in {limit} presses of Tab")


def test_marker_to_excerpt_and_back_with_the_keyboard_only(browser, site):
    output, base = site
    slug = topics()[-1]
    citation = first_citation(output, f"{slug}.html")
    page = browser.new_page()
    page.goto(base + citation["page"])
    tab_until(page, "e.id === 'cite-1'")
    assert page.locator("#cite-1-tip").is_visible()
    page.keyboard.press("Enter")
    check_landing(page, base, citation)
    # Focus navigation continues from the excerpt: the "cited in" link after its paragraph is a few presses away.
    tab_until(page, f"(e.getAttribute('href') || '').endsWith('{citation['page']}#cite-1')", limit=30)
    page.keyboard.press("Enter")
    check_back_at_claim(page, base, citation)
    page.close()


def test_skip_link_is_first_and_moves_focus_to_the_content(browser, site):
    output, base = site
    page = browser.new_page()
    page.goto(base + f"{topics()[0]}.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")
    page.close()
