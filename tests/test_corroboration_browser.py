"""The Corroboration page of the default briefing in Chromium: at 375 and 1280 px, light and dark,
nothing scrolls sideways but the matrices' own frames, every judgment row shows its likelihood, and
print shows every claim. Screenshots go to tests/artifacts/ for a person to look at."""
from pathlib import Path

import pytest


ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_corroboration_page_fits_and_is_photographed(browser, base, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(base + "corroboration.html")
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    overflowing = page.evaluate("""() => [...document.querySelectorAll('.matrix')]
        .filter(t => t.getBoundingClientRect().width > t.parentElement.getBoundingClientRect().width + 1).length""")
    labels = page.evaluate("[...document.querySelectorAll('tr.judgment .judgment-label')].map(e => e.textContent.trim())")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"corroboration-{width}-{scheme}.png"), full_page=False)
    page.locator("#page-troops").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"corroboration-troops-{width}-{scheme}.png"))
    context.close()
    assert sizes[0] <= sizes[1]
    assert overflowing == 0
    assert labels and all(" · " in label and label.endswith("confidence") for label in labels)


def test_print_shows_every_claim(browser, base):
    context = browser.new_context(viewport={"width": 800, "height": 1000})
    page = context.new_page()
    page.goto(base + "corroboration.html")
    page.emulate_media(media="print")
    hidden = page.evaluate("[...document.querySelectorAll('tr.claim')].filter(r => r.getBoundingClientRect().height === 0).length")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "corroboration-print.png"))
    context.close()
    assert hidden == 0


@pytest.mark.parametrize("width", [375, 1280])
def test_a_paged_corroboration_page_is_walked_by_its_pager_and_found_from_each_page(browser, static_server, tmp_path, width):
    """With `paginate: 2`, a reader follows a topic's Sourcing link to its section on a later page,
    walks the pager to the last page and back to the first, where the table of judgments is; at
    375 px the pager wraps instead of scrolling sideways."""
    from briefing.config import load_config
    from briefing.pipeline import build
    from tests.test_paginate import briefing

    site = briefing(tmp_path)
    build(load_config(site / "site.yaml"))
    base = static_server(site / "output")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(base + "fragility.html")
    page.locator("#sourcing-heading ~ * a[href*='corroboration']").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("#page-fragility") and "/corroboration/" in page.url
    box = page.locator("#page-fragility").bounding_box()
    assert box is not None and 0 <= box["y"] < 800  # scrolled to the section
    seen = [page.locator(".pagination [aria-current=page]").inner_text()]
    while page.locator(".pagination a[rel=next]").count():
        page.locator(".pagination a[rel=next]").click()
        page.wait_for_load_state()
        seen.append(page.locator(".pagination [aria-current=page]").inner_text())
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.locator(".pagination a", has_text="1").first.click()
    page.wait_for_load_state()
    assert page.locator("#judgments-heading").count() == 1 and page.url.endswith("corroboration.html")
    context.close()
    count = len(list((site / "output" / "corroboration").iterdir())) + 1
    assert [int(number) for number in seen] == list(range(int(seen[0]), count + 1)) and int(seen[0]) > 1
