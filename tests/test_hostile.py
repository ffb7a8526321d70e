"""Hostile content is inert: payloads in Markdown, front matter, site.yaml and seed text never run."""
import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.htmltools import parse

PAYLOADS = [
    "<script>window.__pwned = (window.__pwned || 0) + 1; alert('x')</script>",
    "<img src=x onerror=\"window.__pwned=1;alert('img')\">",
    "<svg onload=\"window.__pwned=1\"></svg>",
    "<a href=\"javascript:window.__pwned=1\">click</a>",
    "<iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
    "\"><script>window.__pwned=1</script>",
]


@pytest.fixture
def hostile(mini, static_server):
    joined = " ".join(PAYLOADS)
    essay = mini / "seeds" / "essay.txt"
    essay.write_text(essay.read_text(encoding="utf-8") + joined + "\n", encoding="utf-8")
    (mini / "content" / "beta.md").write_text(
        "---\n"
        f"title: 'Beta <script>window.__pwned=1</script>'\n"
        f"summary: '<img src=x onerror=window.__pwned=1>'\n"
        "---\n"
        f"{joined}\n\n"
        "[link](javascript:window.__pwned=1) [data](data:text/html,<script>parent.__pwned=1</script>)\n\n"
        "<div onclick=\"window.__pwned=1\">block html</div>\n\n"
        f'Quoting the payload [@essay "{PAYLOADS[0]}"; @essay "{PAYLOADS[1].replace(chr(34), chr(92) + chr(34))}"].\n',
        encoding="utf-8")
    site_yaml = mini / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace('title: "An essay"', "title: \"An essay <script>window.__pwned=1</script>\""))
    build(load_config(site_yaml))
    return static_server(mini / "output"), mini / "output"


def test_no_payload_runs_in_chromium(browser, hostile):
    base, output = hostile
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    assert "beta.html" in pages and "sources/essay.html" in pages
    for name in pages:
        page.goto(base + name)
        page.wait_for_load_state("load")
        # hover and focus everything, as a reader would
        for link in page.locator("a").all()[:60]:
            link.focus()
            if link.is_visible():
                link.hover(timeout=10000, force=True)
        assert page.evaluate("window.__pwned === undefined"), name
    assert dialogs == []
    for name in pages:
        doc = parse((output / name).read_text(encoding="utf-8"))
        own = ("assets/reader.js", "assets/search.js", "pagefind/pagefind-ui.js")  # the site's own scripts, from its own folders
        assert [tag for tag, attrs in doc.tags if tag in ("script", "iframe", "svg", "img")
                and not (tag == "script" and (attrs.get("src") or "").endswith(own))] == [], name
        assert [a for _, attrs in doc.tags for a in attrs if a.startswith("on")] == [], name
        assert [url for _, url in doc.links if url.lower().startswith(("javascript:", "data:"))] == [], name
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in (output / "sources" / "essay.html").read_text(encoding="utf-8")
    page.close()
