"""`build.py check`: the written site as a reader gets it, with every problem named by output page and source file."""
import shutil
from pathlib import Path

import pytest

from briefing.check import check_site, origins, read_page
from briefing.cli import main
from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT


def test_default_site_passes(tmp_path, capsys):
    assert main(["check", "--config", str(ROOT / "site.yaml"), "--output", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("checked ") and out.rstrip().endswith(": no problems")
    assert (tmp_path / "site" / "index.html").is_file()


def test_fixture_site_passes(mini, capsys):
    assert main(["check", "--config", str(mini / "site.yaml")]) == 0
    assert "no problems" in capsys.readouterr().out


@pytest.fixture
def broken(mini, tmp_path):
    """The fixture site built, then a copy of its output for a test to break; returns (copy, origins, base_url)."""
    config = load_config(mini / "site.yaml")
    result = build(config)
    copy = tmp_path / "broken"
    shutil.copytree(config.output_dir, copy)
    return copy, origins(result.site), config.base_url


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_untouched_copy_passes(broken):
    assert check_site(*broken) == []


def test_removed_excerpt_anchor(broken):
    output, sources, base_url = broken
    edit(output / "sources/essay.html", ' id="p-b92e71fb-q335776"', "")
    assert check_site(output, sources, base_url) == [
        'output/alpha.html: broken link <a> "sources/essay.html#p-b92e71fb-q335776": sources/essay.html has no element with id "p-b92e71fb-q335776" (from content/alpha.md)',
        'output/alpha.html: broken link <a> "sources/essay.html#p-b92e71fb-q335776": sources/essay.html has no element with id "p-b92e71fb-q335776" (from content/alpha.md)',
        'output/alpha.html: citation [3] links to "sources/essay.html#p-b92e71fb-q335776": sources/essay.html has no element with id "p-b92e71fb-q335776" (from content/alpha.md)',
        'output/sources/essay.html: broken link <a> "#p-b92e71fb-q335776": sources/essay.html has no element with id "p-b92e71fb-q335776" (from seeds/essay.txt)',
    ]


def test_script_from_another_origin(broken):
    output, sources, base_url = broken
    edit(output / "beta.html", "</head>", '<script src="https://cdn.example.com/track.js"></script>\n</head>')
    edit(output / "beta.html", "</main>", '<p><a href="https://example.com/elsewhere">a page elsewhere</a></p></main>')
    assert check_site(output, sources, base_url) == [
        'output/beta.html: <script> requests "https://cdn.example.com/track.js" from another origin; serve it from assets/ instead (from content/beta.md)',
    ]


def test_font_from_another_origin_in_css(broken):
    output, sources, base_url = broken
    edit(output / "assets/style.css", "* {", '@import url("https://fonts.example.com/css?family=Serif");\n* {')
    assert check_site(output, sources, base_url) == [
        'output/assets/style.css: CSS requests "https://fonts.example.com/css?family=Serif" from another origin; serve it from assets/ instead (from templates/assets/style.css)',
    ]


def test_missing_h1_title_lang_and_description(broken):
    output, sources, base_url = broken
    edit(output / "beta.html", "<h1>Beta</h1>", "")
    edit(output / "sources/index.html", '<html lang="en">', "<html>")
    edit(output / "404.html", "<title>", "<title> ")
    edit(output / "404.html", "Page not found · Mini briefing", "")
    edit(output / "sources/wire.html", '<meta name="description"', '<meta name="generator"')
    edit(output / "index.html", "</h1>", "</h1><h1>Again</h1>")
    assert check_site(output, sources, base_url) == [
        "output/404.html: no <title>; every page needs one for tabs, bookmarks and screen readers (from templates/404.html)",
        "output/beta.html: no <h1> elements; a page needs exactly one (from content/beta.md)",
        "output/index.html: 2 <h1> elements; a page needs exactly one (from content/index.md)",
        "output/sources/index.html: <html> has no lang attribute; screen readers need the page's language (from templates/sources.html)",
        'output/sources/wire.html: no <meta name="description"> with content; search results show it (from seeds/wire.txt)',
    ]


def test_quote_that_is_not_in_the_excerpt(broken):
    output, sources, base_url = broken
    edit(output / "beta.html", "<q>argues the pact is fragile</q>", "<q>argues the pact is doomed</q>")
    assert check_site(output, sources, base_url) == [
        "output/beta.html: citation [1] quotes “argues the pact is doomed” but citations.json records “argues the pact is fragile” (from content/beta.md)",
        "output/beta.html: citation [1]: the excerpt at sources/essay.html#p-9b55c9b6-qc907e8 does not contain its quote “argues the pact is doomed” (from content/beta.md)",
    ]


def test_broken_page_link_and_duplicate_id(broken):
    output, sources, base_url = broken
    edit(output / "index.html", 'href="alpha.html#figures"', 'href="alfa.html#figures"')
    edit(output / "alpha.html", '<h2 id="figures">', '<h2 id="note-1">')
    assert check_site(output, sources, base_url) == [
        'output/alpha.html: duplicate id "note-1"; a link to it lands on the first one only (from content/alpha.md)',
        'output/alpha.html: broken link <a> "#figures": alpha.html has no element with id "figures" (from content/alpha.md)',
        'output/index.html: broken link <a> "alfa.html#figures": there is no alfa.html (from content/index.md)',
    ]


def test_cli_reports_and_fails(mini, capsys):
    edit(mini / "templates/page.html", "<h1>{{ page.title }}</h1>", "<h2>{{ page.title }}</h2>")
    assert main(["check", "--config", str(mini / "site.yaml")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "output/alpha.html: no <h1> elements; a page needs exactly one (from content/alpha.md)",
        "output/beta.html: no <h1> elements; a page needs exactly one (from content/beta.md)",
        "check failed: 2 problem(s) in the built site",
    ]


def test_reading_a_page():
    page = read_page('<html lang="de"><title>T</title><p id="a">x <span id="b">y</span></p>'
                     '<span id="t"><q>quoted</q></span><img src="data:image/png;base64,AA"></html>')
    assert (page.lang, page.title, page.h1) == ("de", "T", 0)
    assert "".join(page.text["a"]) == "x y" and "".join(page.text["b"]) == "y"
    assert page.quotes == {"t": "quoted"}
