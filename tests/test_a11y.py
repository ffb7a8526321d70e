"""Accessibility of the default briefing in Chromium: axe-core at WCAG 2.1 AA on every page in the light
and dark colour schemes, the states axe cannot see (tooltips, highlighted targets), and visible focus."""
import os
from pathlib import Path

import pytest

from briefing.config import load_config
from tests.conftest import ROOT

AXE = Path(__file__).resolve().parent / "tools" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']}"
SCHEMES = ["light", "dark"]


def axe_script() -> str:
    if not AXE.is_file():
        message = "axe-core is not installed; run `npm ci` in tests/tools (./scripts/test.sh does)"
        if os.environ.get("BRIEFING_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return str(AXE)


def topic_url() -> str:
    return f"{load_config(ROOT / 'site.yaml').topics[0]}.html"


def describe(violations: list[dict], where: str) -> list[str]:
    return [f"{where}: {v['id']} ({v['impact']}): {node['target']}: {node['failureSummary']}"
            for v in violations for node in v["nodes"]]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_violations_on_any_page(browser, default_site, base, scheme):
    script = axe_script()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems = []
    pages = sorted(p.relative_to(default_site).as_posix() for p in default_site.rglob("*.html"))
    for url in pages:
        page.goto(base + url)
        page.add_script_tag(path=script)
        problems += describe(page.evaluate(f"axe.run(document, {WCAG_AA})")["violations"], f"{scheme} {url}")
    context.close()
    assert len(pages) > 10
    assert problems == []


def contrast_of(page, selector: str) -> dict:
    """axe's colour-contrast rule on the whole page, and whether it looked at `selector` (or inside it)."""
    return page.evaluate("""async (selector) => {
        const result = await axe.run(document, {runOnly: ['color-contrast']});
        const inside = n => n.target.some(t => { const e = document.querySelector(t); return e && e.closest(selector); });
        return {violations: result.violations, checked: result.passes.flatMap(r => r.nodes).filter(inside).length};
    }""", selector)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_contrast_of_tooltip_and_highlighted_excerpt(browser, default_site, base, scheme):
    """A tooltip shows only on focus and a target is highlighted only after a jump, so axe's page runs miss them."""
    script = axe_script()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base + topic_url() + "#cite-1")
    page.add_script_tag(path=script)
    page.focus("#cite-2")
    assert page.locator("#cite-2-tip").is_visible()
    for selector in ("#cite-2-tip", "#cite-1"):
        result = contrast_of(page, selector)
        assert describe(result["violations"], f"{scheme} {topic_url()}") == [] and result["checked"] > 0, selector
    href = page.get_attribute("#cite-1", "href")
    page.goto(base + href)
    page.add_script_tag(path=script)
    result = contrast_of(page, "mark:target, mark:has(:target)")
    assert describe(result["violations"], f"{scheme} {href}") == [] and result["checked"] > 0
    context.close()


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    let back = e.parentElement, bg = 'rgb(255, 255, 255)';
    for (; back; back = back.parentElement) {
        const c = getComputedStyle(back).backgroundColor;
        if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
    }
    // The focus ring is drawn outside the element: all of it must be on screen.
    const ring = s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) + Math.max(0, parseFloat(s.outlineOffset)) : 0;
    const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
    return {what: e.tagName.toLowerCase() + ' ' + (e.getAttribute('href') || '') + ' ' + e.textContent.trim().slice(0, 30),
            outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none',
            color: rgb(s.outlineColor), background: rgb(bg),
            onScreen: r.width > 0 && r.height > 0 && r.left - ring >= 0 && r.right + ring <= innerWidth && r.top - ring >= 0 && r.bottom + ring <= innerHeight};
}"""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_interactive_element_shows_focus(browser, base, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base + topic_url())
    # Links inside pop-ups are for pointers and touch (tabindex=-1); a folded menu's button shows only on narrow screens.
    interactive = page.evaluate("""[...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
        .filter(e => e.getAttribute('tabindex') !== '-1' && e.checkVisibility()).length""")
    stops, problems = 0, []
    for _ in range(interactive + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            break
        stops += 1
        if not (focused["outline"] or focused["shadow"]):
            problems.append(f"no outline or box-shadow: {focused['what']}")
        elif focused["outline"] and ratio(tuple(focused["color"]), tuple(focused["background"])) < 3:
            problems.append(f"focus outline contrast below 3:1: {focused['what']}")
        if not focused["onScreen"]:
            problems.append(f"focus ring not wholly on screen: {focused['what']}")
    context.close()
    assert "\n".join(problems) == ""
    assert stops == interactive  # every link takes the focus once, and Tab then leaves the page: no trap


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_violations_in_search_results_and_they_work_by_keyboard(browser, base, scheme):
    script = axe_script()
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base + "search.html")
    page.keyboard.press("Tab")
    while page.evaluate("!document.activeElement.matches('.pagefind-ui__search-input')"):
        page.keyboard.press("Tab")
    page.keyboard.type("artillery")
    page.locator(".pagefind-ui__result-link").first.wait_for()
    page.locator("#search-filters input[value='source']").check()
    visible = page.eval_on_selector_all(".pagefind-ui__result:not([hidden]) .pagefind-ui__result-title a", "links => links.map(a => a.getAttribute('href'))")
    assert visible and all("sources/" in href for href in visible)
    page.add_script_tag(path=script)
    problems = describe(page.evaluate(f"axe.run(document, {WCAG_AA})")["violations"], f"{scheme} search.html")
    context.close()
    assert problems == []
