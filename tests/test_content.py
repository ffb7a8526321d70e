"""Pages: front matter, Markdown, citations with file:line and their claims."""
import datetime as dt
import re
import gc
import weakref

import pytest

from briefing.content import CITATION_PLACEHOLDER, parse_page
from briefing.markdown import make_markdown
from briefing import yamlnodes
from briefing.errors import Problems

MD = make_markdown(allow_html=False)


def parse(text, md=MD):
    problems = Problems()
    page = parse_page(text, "x", "content/x.md", md, problems)
    return page, [str(p) for p in problems.items]


def test_front_matter_and_citation_lines():
    page, problems = parse('---\ntitle: X\nsummary: S\norder: 2\nupdated: 2024-05-01\n---\nIntro.\n\nA claim [@a "q one"].\nNext line\nwraps [@b "q two"; @a "q three"].\n')
    assert problems == []
    assert (page.title, page.summary, page.order, page.updated) == ("X", "S", 2, dt.date(2024, 5, 1))
    assert [(c.ref.source_id, c.ref.quote, c.ref.location.line) for c in page.citations] == [
        ("a", "q one", 9), ("b", "q two", 11), ("a", "q three", 11)]
    assert [c.claim for c in page.citations] == ["A claim.", "Next line wraps.", "Next line wraps."]


def test_claim_is_the_sentence_or_list_item():
    page, _ = parse('---\ntitle: X\n---\nFirst sentence. Second one [@a "x"]. Third.\n\n- An item [@a "y"]\n')
    assert [c.claim for c in page.citations] == ["Second one.", "An item"]


def test_unknown_front_matter_key_is_a_warning_with_line():
    page, problems = parse("---\ntitle: X\nauthor: Y\n---\nBody\n")
    assert page is not None
    assert problems == ["content/x.md:3: warning: unknown front matter key `author` is ignored; known keys are title, summary, order, updated, menu_title"]


def test_front_matter_errors():
    assert parse("No front matter\n")[1] == ["content/x.md:1: no front matter; start the page with a `---` line, `title: ...`, and another `---` line"]
    assert parse("---\ntitle: X\nBody\n")[1] == ["content/x.md:1: the front matter is not closed; add a `---` line after the last `key: value` line"]
    assert parse("---\n- a\n- b\n---\n")[1] == ["content/x.md:2: front matter must be a mapping of `key: value` lines"]
    assert parse("---\ntitle: [x\n---\n")[1][0].startswith("content/x.md:3: invalid YAML:")
    assert parse("---\nsummary: s\n---\n")[1] == ["content/x.md:2: missing required front matter key `title`"]
    assert parse("---\ntitle: X\nupdated: soon\n---\n")[1] == ["content/x.md:3: `updated` must be a date (YYYY-MM-DD), got 'soon'"]


def test_malformed_citation_is_an_error_at_its_line():
    _, problems = parse('---\ntitle: X\n---\nText\nmore [@a "open] here.\n')
    assert problems == ['content/x.md:5: the quote is not closed; end it with a straight `"` (write \\" for a quote mark inside it)']


def test_raw_html_is_escaped_unless_allowed():
    text = "---\ntitle: X\n---\n<script>alert(1)</script>\n\nHi <b onclick=\"x()\">b</b> [x](javascript:alert(1))\n"
    page, _ = parse(text)
    html = MD.renderer.render(list(page.tokens), MD.options, dict(page.env))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b " not in html and 'href="javascript' not in html
    trusted = make_markdown(allow_html=True)
    page, _ = parse(text, trusted)
    assert "<b onclick" in trusted.renderer.render(list(page.tokens), trusted.options, dict(page.env))


def test_tables_footnotes_and_heading_anchors():
    page, _ = parse("---\ntitle: X\n---\n## A heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: Foot.\n")
    html = MD.renderer.render(list(page.tokens), MD.options, dict(page.env))
    assert '<h2 id="a-heading">' in html and "<table>" in html and 'class="footnotes"' in html


def test_links_to_pages_are_collected_with_line():
    page, _ = parse("---\ntitle: X\n---\n\nSee [t](treaty.md#a) and [w](https://x.org/a.md).\n")
    assert [(href, str(loc)) for href, loc in page.links] == [("treaty.md#a", "content/x.md:5")]


@pytest.mark.parametrize("allow_html", (False, True))
def test_no_nul_reaches_body_html_so_citation_placeholders_are_unambiguous(allow_html):
    """Page.html marks citations with NUL-delimited numbers; no author text can produce a NUL."""
    text = '---\ntitle: X\n---\nA &#0; b &#x0; c \x00 d `\x00` <span>&#0;</span> [@s "q"]\n\n    code \x00\n\n[^1]\n\n[^1]: note \x00 [@s "r"]\n'
    page = parse_page(text, "x", "content/x.md", make_markdown(allow_html), Problems())
    assert CITATION_PLACEHOLDER.findall(page.html) == ["0", "1"]
    assert page.html.count("\x00") == 4


def test_reading_front_matter_keeps_no_node_alive():
    page, _ = parse("---\ntitle: X\nsummary: S\nupdated: 2024-05-01\n---\nText.\n")
    assert page is not None
    # The YAML constructor is shared by every read: what it made must not outlive the read (the
    # preview parses pages for hours).
    assert yamlnodes._constructor.constructed_objects == {} and yamlnodes._constructor.recursive_objects == {}
    node = yamlnodes.compose("key: value\n", "x.yaml", Problems())
    inner = weakref.ref(node.node)
    assert node.value() == {"key": "value"}
    del node
    gc.collect()
    assert inner() is None


def test_every_heading_anchor_is_non_empty_valid_and_unique():
    from briefing.markdown import make_markdown

    html = make_markdown(False).render('## 😀😀\n\n## !!!\n\n## Claim [@a "x"]\n\n## Hello -- world\n\n## !!!\n\n## Section 1\n')
    assert re.findall(r'id="([^"]*)"', html) == ["section", "section-1", "claim", "hello-world", "section-2", "section-1-1"]
