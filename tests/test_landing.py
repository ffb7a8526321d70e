"""Following a citation lands on exactly its words: in Chromium, the text highlighted as the target
equals the quote, for overlapping, nested and identical quotes, in any script, with no JavaScript."""
import json
import shutil

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT, make_site

# The text of the elements drawn in the target colour, outermost first (nested marks are inside).
HIGHLIGHTED = """() => {
  const probe = document.createElement('mark');
  probe.style.background = 'var(--target)';
  document.body.appendChild(probe);
  const target = getComputedStyle(probe).backgroundColor;
  probe.remove();
  const lit = [...document.querySelectorAll('.source-text mark')].filter(m => getComputedStyle(m).backgroundColor === target);
  return lit.filter(m => !lit.includes(m.parentElement.closest('mark'))).map(m => m.textContent).join('');
}"""


def landings(browser, base: str, citations: list[dict]) -> list[tuple[str, str]]:
    """(quote, highlighted text) for each citation: its source page is loaded once, at the first
    excerpt's address, then each other excerpt's fragment is followed as a same-page link is."""
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    found = []
    loaded = None
    for citation in citations:
        address, fragment = citation["href"].split("#", 1)
        if address != loaded:
            page.goto(base + citation["href"])
            page.wait_for_load_state()
            loaded = address
        else:
            page.evaluate("f => { location.hash = f; }", fragment)
        found.append((citation["quote"], page.evaluate(HIGHLIGHTED)))
    context.close()
    return found


@pytest.mark.parametrize("fixture", ["multilingual", "default"])
def test_every_citation_lands_on_exactly_its_quote(browser, static_server, tmp_path, fixture):
    if fixture == "default":
        site = tmp_path / "default"
        site.mkdir()
        (site / "site.yaml").write_bytes((ROOT / "site.yaml").read_bytes())
        for folder in ("seeds", "content", "templates"):
            shutil.copytree(ROOT / folder, site / folder)
    else:
        site = make_site(tmp_path, fixture)
    build(load_config(site / "site.yaml"))
    citations = json.loads((site / "output" / "citations.json").read_text(encoding="utf-8"))["citations"]
    # every distinct excerpt once
    unique = sorted({c["href"]: c for c in citations}.values(), key=lambda c: c["href"])
    base = static_server(site / "output")
    wrong = [(quote, lit) for quote, lit in landings(browser, base, unique) if quote != lit]
    assert wrong == []
    assert len(unique) > 10


def test_arabic_paragraphs_are_laid_out_right_to_left(browser, static_server, tmp_path):
    site = make_site(tmp_path, "multilingual")
    build(load_config(site / "site.yaml"))
    page = browser.new_page()
    page.goto(static_server(site / "output") + "sources/ar.html")
    directions = page.evaluate("() => [...document.querySelectorAll('.source-text p')].map(p => getComputedStyle(p).direction)")
    assert directions == ["rtl", "rtl", "rtl"]
    page.goto(page.url.replace("sources/ar.html", "sources/ru.html"))
    assert set(page.evaluate("() => [...document.querySelectorAll('.source-text p')].map(p => getComputedStyle(p).direction)")) == {"ltr"}
    page.close()


def test_overlapping_quotes_are_split_and_named(tmp_path):
    site = make_site(tmp_path, "multilingual")
    build(load_config(site / "site.yaml"))
    html = (site / "output" / "sources" / "ru.html").read_text(encoding="utf-8")
    assert 'class="excerpt excerpt-cont" data-of=' in html
    assert "<style>.source-text:has(#" in html
