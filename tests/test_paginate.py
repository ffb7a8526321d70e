"""`paginate`: the Corroboration page and annotations.jsonld show that many pages of the briefing to
a page; every link finds its section, the annotation pages chain into one collection, and a claim
edit makes again only the pages holding that page of the briefing."""
import json
import re
import shutil
from pathlib import Path

import pytest

from briefing.check import check_site, origins
from briefing.config import load_config
from briefing.errors import BuildError
from briefing.memo import Memo
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.sitecheck import tree

SCHEMAS = ROOT.parent / "shared" / "schemas"


def briefing(tmp_path: Path, paginate: str = "2") -> Path:
    """The default briefing, without its search index, `paginate` pages of it to a page."""
    site = tmp_path / "site"
    for name in ("seeds", "content", "templates"):
        shutil.copytree(ROOT / name, site / name)
    text = (ROOT / "site.yaml").read_text(encoding="utf-8").replace("\nsearch: true\n", "\nsearch: false\n")
    (site / "site.yaml").write_text(f"paginate: {paginate}\n{text}", encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    site = briefing(tmp_path_factory.mktemp("paged"))
    return site, build(load_config(site / "site.yaml"))


def test_each_page_of_the_corroboration_page_shows_its_pages_and_every_link_finds_its_section(paged):
    site, result = paged
    order = [page.page for page in result.site.pages]
    chunks = [order[start:start + 2] for start in range(0, len(order), 2)]
    out = site / "output"
    assert sorted(p.name for p in (out / "corroboration").iterdir()) == sorted(f"{n}.html" for n in range(2, len(chunks) + 1))
    for number, chunk in enumerate(chunks, 1):
        path = "corroboration.html" if number == 1 else f"corroboration/{number}.html"
        html = (out / path).read_text(encoding="utf-8")
        assert re.findall(r'<section aria-labelledby="(page-[^"]+)" class="matrix-section">', html) == [f"page-{p.slug}" for p in chunk]
        assert ('id="judgments-heading"' in html) == (number == 1)  # the table of judgments is on the first page only
        assert f'aria-current="page">{number}</a>' in html and html.count('<nav class="pagination"') == 1
        for page in chunk:  # the page's own link to its section
            sourcing = (out / page.url).read_text(encoding="utf-8")
            assert f'href="{path}#page-{page.slug}"' in sourcing
    assert check_site(out, origins(result.site)) == []  # every link and anchor of every page resolves


def test_the_annotation_pages_chain_into_one_collection_holding_every_citation(paged):
    site, _ = paged
    out = site / "output"
    collection = json.loads((out / "annotations.jsonld").read_text(encoding="utf-8"))
    citations = json.loads((out / "citations.json").read_text(encoding="utf-8"))["citations"]
    page, items, pages = collection["first"], [], []
    while True:
        assert page["startIndex"] == len(items)
        items += page["items"]
        pages.append(page["id"])
        if "next" not in page:
            break
        assert re.fullmatch(r"annotations-\d+\.jsonld", page["next"])  # beside the collection: its addresses resolve alike
        assert all(item["id"].startswith(page["next"] + "#") for item in json.loads((out / page["next"]).read_text())["items"])
        page = json.loads((out / page["next"]).read_text(encoding="utf-8"))
        assert page["type"] == "AnnotationPage" and page["partOf"] == "annotations.jsonld" and page["prev"] == pages[-1]
    assert collection["last"] == pages[-1] and len(pages) > 2
    assert collection["total"] == len(items) == len(citations)
    assert [item["target"]["selector"][0]["exact"] for item in items] == [c["quote"] for c in citations]


def test_an_annotation_page_expands_as_json_ld_without_network(paged):
    from pyld import jsonld
    context = json.loads((SCHEMAS / "anno.jsonld").read_text(encoding="utf-8"))

    def loader(url, options=None):
        assert url == "http://www.w3.org/ns/anno.jsonld", url
        return {"contextUrl": None, "documentUrl": url, "document": context}

    site, _ = paged
    page = json.loads((site / "output" / "annotations-2.jsonld").read_text(encoding="utf-8"))
    base = "https://example.org/briefing/"
    expanded = jsonld.expand(page, {"documentLoader": loader, "base": base + "annotations-2.jsonld"})[0]  # as a client fetching it resolves it
    stream, oa = "http://www.w3.org/ns/activitystreams#", "http://www.w3.org/ns/oa#"
    assert expanded["@type"] == [stream + "OrderedCollectionPage"] and expanded["@id"] == base + "annotations-2.jsonld"
    assert expanded[stream + "partOf"] == [{"@id": base + "annotations.jsonld"}]
    items = expanded[stream + "items"][0]["@list"]
    assert len(items) == len(page["items"]) > 0
    for item in items:  # every address resolves to a file the site has
        assert item["@id"].startswith(base + "annotations-2.jsonld#")
        target = item[oa + "hasTarget"][0][oa + "hasSource"][0]["@id"]
        assert target.startswith(base + "sources/files/") and (site / "output" / target.removeprefix(base)).is_file()
        body = item[oa + "hasBody"][0]["@id"]
        assert (site / "output" / body.removeprefix(base).split("#")[0]).is_file()


def test_one_page_to_a_page_of_the_briefing_or_all_in_one(tmp_path):
    one = briefing(tmp_path / "one", "1")
    result = build(load_config(one / "site.yaml"))
    assert len(list((one / "output" / "corroboration").iterdir())) == len(result.site.pages) - 1
    whole = briefing(tmp_path / "whole", "1000")
    build(load_config(whole / "site.yaml"))
    assert not (whole / "output" / "corroboration").exists() and not list((whole / "output").glob("annotations-*"))
    assert "pagination" not in (whole / "output" / "corroboration.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("value, message", [("0", "`paginate` must be 1 or more"), ("two", "`paginate` must be")])
def test_a_paginate_that_is_no_count_is_an_error_at_its_line(tmp_path, value, message):
    site = briefing(tmp_path, value)
    with pytest.raises(BuildError) as caught:
        build(load_config(site / "site.yaml"))
    assert [str(p).split(": ", 1)[0] for p in caught.value.problems] == ["site.yaml:1"]
    assert message in str(caught.value.problems[0])


def test_a_claim_edit_makes_again_only_the_pages_holding_its_page(tmp_path):
    site = briefing(tmp_path)
    memo = Memo()
    first = build(load_config(site / "site.yaml"), memo=memo)
    order = [page.page.path for page in first.site.pages]
    at = order.index("content/timeline.md")  # a page marking no judgment: the table of judgments stays
    path = site / "content" / "timeline.md"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"(\w+)(?= \[@)", "altered", text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    second = build(load_config(site / "site.yaml"), memo=first.memo)
    paged_outputs = {p for p in second.rendering.rendered if p.startswith(("corroboration", "annotations"))}
    number = at // 2 + 1
    assert number > 1 and paged_outputs == {f"corroboration/{number}.html", f"annotations-{number}.jsonld"}
    build(load_config(site / "site.yaml", output_dir=tmp_path / "cold"))
    assert tree(site / "output") == tree(tmp_path / "cold")


def test_a_later_page_drawn_by_a_template_printing_the_judgments_follows_a_judgment_edit(tmp_path):
    """A corroboration_page.html copied from corroboration.html prints the table of judgments on
    every page: a judgment edit then makes every page again, in `python build.py` and the preview."""
    site = briefing(tmp_path)
    shutil.copyfile(site / "templates" / "corroboration.html", site / "templates" / "corroboration_page.html")
    first = build(load_config(site / "site.yaml"))
    path = site / "content" / "fragility.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Western sanctions alone will break", "Western sanctions by themselves will break"),
                    encoding="utf-8")
    second = build(load_config(site / "site.yaml"), memo=first.memo)
    assert {f"corroboration/{n}.html" for n in range(2, 5)} <= set(second.rendering.rendered)
    build(load_config(site / "site.yaml", output_dir=tmp_path / "cold"))
    assert tree(site / "output") == tree(tmp_path / "cold")
    assert "by themselves" in (site / "output" / "corroboration" / "3.html").read_text(encoding="utf-8")


def test_the_pager_shows_the_ends_and_the_pages_around_this_one(tmp_path):
    site = briefing(tmp_path, "1")
    result = build(load_config(site / "site.yaml"))
    count = len(result.site.pages)
    assert count >= 8
    html = (site / "output" / "corroboration" / "5.html").read_text(encoding="utf-8")
    pager = html[html.index('<nav class="pagination"'):]
    numbers = re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>(\d+)</a></li>|<li class="gap" aria-hidden="true">…</li>', pager)
    assert numbers == ["1", "", "3", "4", "5", "6", "7", *([""] if count > 8 else []), str(count)]
    assert f"<title>Corroboration, page 5 of {count} · " in html
    assert f"<title>Corroboration, page 1 of {count} · " in (site / "output" / "corroboration.html").read_text(encoding="utf-8")


def test_a_claims_section_macro_without_judgments_href_is_an_error_once_there_are_later_pages(tmp_path):
    site = briefing(tmp_path)
    matrix = site / "templates" / "_matrix.html"
    old = matrix.read_text(encoding="utf-8").replace('claims_section(matrix, judgments_href="#judgments-heading")', "claims_section(matrix)")
    old = old.replace('see <a href="{{ judgments_href }}">Judgments</a> {{ "above" if judgments_href.startswith("#") else "on the first page" }}.',
                      'see <a href="#judgments-heading">Judgments</a> above.')  # the macro as it was before `paginate`
    assert "judgments_href" not in old
    matrix.write_text(old, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(load_config(site / "site.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        "templates/_matrix.html: macro `claims_section` takes no `judgments_href`: the Corroboration page's pages after the first "
        "need it to link to the table of judgments on the first; declare it as the default templates/_matrix.html does: "
        '`claims_section(matrix, judgments_href="#judgments-heading")`']
    whole = briefing(tmp_path / "whole", "100")  # one page: the old macro still serves
    (whole / "templates" / "_matrix.html").write_text(matrix.read_text(encoding="utf-8"), encoding="utf-8")
    build(load_config(whole / "site.yaml"))


def test_the_sitemap_lists_every_page_of_the_corroboration_page_and_follows_paginate(tmp_path):
    from briefing.memo import DiskMemo

    site = briefing(tmp_path, "3")
    settings = site / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace('\nbase_url: ""\n', "\nbase_url: https://example.org/b/\n"), encoding="utf-8")

    def corroboration_pages() -> list[str]:
        sitemap = (site / "output" / "sitemap.xml").read_text(encoding="utf-8")
        return re.findall(r"<loc>https://example\.org/b/(corroboration[^<]*)</loc>", sitemap)

    config = load_config(settings)
    result = build(config, DiskMemo.of(config.root, config.output_dir, config.config_location))
    count = -(-len(result.site.pages) // 3)
    assert count >= 3
    assert corroboration_pages() == ["corroboration.html", *(f"corroboration/{n}.html" for n in range(2, count + 1))]
    settings.write_text(settings.read_text(encoding="utf-8").replace("paginate: 3\n", "paginate: 2\n"), encoding="utf-8")
    config = load_config(settings)
    result = build(config, DiskMemo.of(config.root, config.output_dir, config.config_location))  # as a fresh process, from .cache/
    assert "sitemap.xml" in result.rendering.rendered
    assert len(corroboration_pages()) == -(-len(result.site.pages) // 2) > count
    build(load_config(settings, output_dir=tmp_path / "cold"))
    assert tree(site / "output") == tree(tmp_path / "cold")
