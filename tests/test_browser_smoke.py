"""A reader's first click: a citation marker leads to the highlighted excerpt, and back."""
import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.test_landing import HIGHLIGHTED


@pytest.fixture
def served(mini, static_server):
    build(load_config(mini / "site.yaml"))
    return static_server(mini / "output")


def test_marker_shows_quote_on_focus_and_leads_to_excerpt(browser, served):
    page = browser.new_page()
    page.goto(served + "alpha.html")
    tip = page.locator("#cite-1-tip")
    assert not tip.is_visible()
    page.focus("#cite-1")
    assert tip.is_visible() and "5,000 shells" in tip.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/sources/wire.html#*")
    target = page.url.split("#", 1)[1]
    mark = page.locator(f"[id='{target}']")
    assert "the factory" in mark.inner_text()
    assert page.evaluate(HIGHLIGHTED) == "the factory made “5,000 shells”"  # exactly the quote, though split around a crossing one
    assert mark.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    page.click("a[href='../alpha.html#cite-1']")
    page.wait_for_url("**/alpha.html#cite-1")
    page.close()
