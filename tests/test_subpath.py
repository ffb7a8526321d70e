"""The default briefing served under a sub-path, as GitHub Pages serves https://USER.github.io/REPO/.

A real HTTP server on 127.0.0.1 mounts output/ under /briefing/ only (anything else is 404, and a
404 gets 404.html, as on GitHub Pages); a crawl from the home page follows every same-origin link."""
from __future__ import annotations

import http.server
import mimetypes
import re
import threading
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.htmltools import parse

REPO = "briefing"


def handler_for(site: Path, prefix: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            target = self.resolve(path[len(prefix):]) if path.startswith(prefix) else None
            if target is None:
                self.send(404, site / "404.html")
            else:
                self.send(200, target)

        def resolve(self, relative: str) -> Path | None:
            candidate = (site / relative).resolve()
            if candidate != site and site not in candidate.parents:
                return None
            if candidate.is_dir():
                candidate = candidate / "index.html"
            return candidate if candidate.is_file() else None

        def send(self, status: int, file: Path) -> None:
            body = file.read_bytes()
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.send_response(status)
            self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Pages


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The default site built for http://127.0.0.1:PORT/briefing/ and served there; yields that base URL."""
    site = tmp_path_factory.mktemp("subpath") / "site"
    site.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(site.resolve(), f"/{REPO}/"))
    base = f"http://127.0.0.1:{server.server_address[1]}/{REPO}/"
    build(load_config(ROOT / "site.yaml", output_dir=site, base_url=base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def crawl(start: str) -> tuple[dict[str, tuple[int, str, bytes]], list[tuple[str, str]]]:
    """Every same-origin URL reachable from start (by a href, link href, script src, img src ...).

    Returns {url: (status, type, body)} and the (page, link) pairs, fragments included."""
    origin = urlsplit(start)[:2]
    seen: dict[str, tuple[int, str, bytes]] = {}
    links: list[tuple[str, str]] = []
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen[url] = fetch(url)
        status, kind, body = seen[url]
        if status != 200 or kind != "text/html":
            continue
        for _, href in parse(body.decode("utf-8")).links:
            target = urljoin(url, href)
            if urlsplit(target)[:2] != origin:
                continue
            links.append((url, target))
            queue.append(urldefrag(target).url)
    return seen, links


def test_every_link_under_the_sub_path_resolves(served):
    pages, links = crawl(served)
    broken = sorted(f"{url} -> {status}" for url, (status, _, _) in pages.items() if status != 200)
    assert broken == []
    assert len([u for u, (_, kind, _) in pages.items() if kind == "text/html"]) > 10
    assert all(urlsplit(url).path.startswith(f"/{REPO}/") for url in pages)


def test_every_fragment_exists_on_its_page(served):
    pages, links = crawl(served)
    ids = {url: set(parse(body.decode("utf-8")).ids) for url, (_, kind, body) in pages.items() if kind == "text/html"}
    missing = sorted({f"{page} -> {target}" for page, target in links
                      if urldefrag(target).fragment and unquote(urldefrag(target).fragment) not in ids[urldefrag(target).url]})
    assert missing == []
    assert any(urldefrag(target).fragment for _, target in links)


def test_sitemap_and_canonical_links_resolve(served):
    status, _, sitemap = fetch(served + "sitemap.xml")
    assert status == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap.decode("utf-8"))
    assert locations and all(loc.startswith(served) for loc in locations)
    assert [loc for loc in locations if fetch(loc)[0] != 200] == []
    pages, _ = crawl(served)
    for url, (_, kind, body) in pages.items():
        if kind != "text/html":
            continue
        canonical = [a.get("href") for tag, a in parse(body.decode("utf-8")).tags if tag == "link" and a.get("rel") == "canonical"]
        assert len(canonical) == 1, url
        assert canonical[0].startswith(served), url
        assert fetch(canonical[0])[2] == body, f"{url}: canonical {canonical[0]} serves another page"


def test_deep_missing_page_is_styled_and_leads_home(browser, served):
    page = browser.new_page()
    response = page.goto(served + "no/such/page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.evaluate("() => document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0")
    default = browser.new_page()
    default.set_content("<p>unstyled</p>")
    plain = default.evaluate("() => getComputedStyle(document.body).fontFamily + '|' + getComputedStyle(document.body).margin")
    default.close()
    styled = page.evaluate("() => getComputedStyle(document.body).fontFamily + '|' + getComputedStyle(document.body).margin")
    assert styled != plain
    page.get_by_role("link", name="the overview").click()
    page.wait_for_load_state()
    assert page.url in (served, served + "index.html")
    assert page.locator("h1").count() == 1 and page.locator("h1").inner_text() != "Page not found"
    page.close()


def a_word_only_one_source_has() -> tuple[str, str]:
    """(a word that one seed alone contains, and no page or other seed; that source's id)."""
    config = load_config(ROOT / "site.yaml")
    words = lambda text: set(re.findall(r"[a-z]{7,}", text.lower()))  # noqa: E731
    elsewhere = words(" ".join(p.read_text(encoding="utf-8") for p in (ROOT / "content").glob("*.md")))
    elsewhere |= words((ROOT / "site.yaml").read_text(encoding="utf-8"))
    seeds = {s.id: words((ROOT / "seeds" / s.file).read_text(encoding="utf-8")) for s in config.sources}
    for source_id, own in seeds.items():
        others = set().union(*(w for i, w in seeds.items() if i != source_id))
        # Pagefind matches a word's stem: no other text may hold the word's first letters either.
        text = " ".join([*(" ".join(w) for i, w in seeds.items() if i != source_id), *elsewhere])
        unique = sorted(w for w in own - others - elsewhere if w[:-2] not in text)
        if unique:
            return unique[0], source_id
    raise AssertionError("no word belongs to one source alone")


def test_search_finds_a_word_of_one_source_under_the_sub_path(browser, served):
    word, source_id = a_word_only_one_source_has()
    page = browser.new_page()
    page.goto(served + "search.html")
    page.locator(".pagefind-ui__search-input").fill(word)
    page.locator(".pagefind-ui__result-link").first.wait_for()
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-title .pagefind-ui__result-link", "links => links.map(a => a.href)")
    page.close()
    assert [urlsplit(href).path for href in hrefs] == [f"/{REPO}/sources/{source_id}.html"], (word, hrefs)


def test_search_opened_from_disk_says_it_needs_a_server(browser, tmp_path):
    out = tmp_path / "site"
    build(load_config(ROOT / "site.yaml", output_dir=out))
    page = browser.new_page()
    page.goto((out / "search.html").as_uri())
    assert "served" in page.locator("#search-status").inner_text()
    page.close()
