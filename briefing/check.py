"""After the build: read the written site as a reader's browser gets it and report what would fail them.

Every internal link and #fragment must resolve; every page needs a <title>, a `lang`, a meta
description and exactly one <h1>; every citation marker must lead to an element holding its quote
(the quote in the marker's tooltip and in citations.json); and no page may fetch anything from
another origin. Problems read `output/PAGE: message (from SOURCE FILE)`.
"""
from __future__ import annotations

import argparse
import json
import posixpath
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import Config
from .errors import relative_name
from .link import Site
from .pipeline import build

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes whose URL the browser fetches by itself, as soon as the page loads.
FETCHED = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",), "embed": ("src",),
    "object": ("data",), "audio": ("src",), "video": ("src", "poster"), "source": ("src", "srcset"),
    "track": ("src",), "input": ("src",), "image": ("href", "xlink:href"), "use": ("href", "xlink:href"),
}
# <link> relations that only describe a page (nothing is fetched for them).
DESCRIPTIVE_RELS = {"canonical", "alternate", "author", "help", "license", "next", "prev", "search", "me", "bookmark"}
NAVIGATION = {"a": "href", "area": "href", "form": "action"}
LOCAL_SCHEMES = ("data:", "blob:", "about:", "javascript:", "mailto:", "tel:")  # nothing fetched from a server
CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+?)["']?\s*\)""")


@dataclass
class Marker:
    """A citation marker as the page shows it: its number, where it leads, the quote in its tooltip."""

    number: str
    href: str
    tip_id: str | None


@dataclass
class PageReading:
    """What a reader's browser takes from one HTML page."""

    lang: str | None = None
    title: str | None = None
    description: str | None = None
    h1: int = 0
    ids: list[str] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)  # element id -> text inside it
    quotes: dict[str, str] = field(default_factory=dict)  # element id -> its first <q>
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url) a reader may follow
    fetches: list[tuple[str, str]] = field(default_factory=list)  # (tag, url) the browser loads
    stylesheets: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # <style> bodies and style="" attributes
    markers: list[Marker] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageReading()
        self.stack: list[tuple[str, str | None]] = []
        self.open_ids: list[str] = []
        self.collecting: tuple[str, str | None] | None = None  # (tag, owning id) inside <title>, <style>, a first <q>
        self.buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        page = self.page
        if tag == "html":
            page.lang = a.get("lang")
        elif tag == "h1":
            page.h1 += 1
        elif tag == "meta" and a.get("name", "").lower() == "description":
            page.description = a.get("content", "")
        if self.collecting is None and (tag in ("title", "style") or (tag == "q" and self.open_ids and self.open_ids[-1] not in page.quotes)):
            self.collecting = (tag, self.open_ids[-1] if self.open_ids else None)
            self.buffer = []
        if a.get("style"):
            page.styles.append(a["style"])
        self._urls(tag, a)
        element_id = a.get("id")
        if element_id is not None:
            page.ids.append(element_id)
        collector = element_id if element_id is not None else a.get("data-of")  # the rest of a split excerpt counts as its text
        if collector is not None:
            page.text.setdefault(collector, [])
        if tag in VOID:
            return
        self.stack.append((tag, collector))
        if collector is not None:
            self.open_ids.append(collector)

    def _urls(self, tag: str, a: dict[str, str]) -> None:
        page = self.page
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if "stylesheet" in rels:
                page.stylesheets.append(a["href"])
            (page.links if rels and rels <= DESCRIPTIVE_RELS else page.fetches).append((tag, a["href"]))
        for name in FETCHED.get(tag, ()):
            if a.get(name):
                urls = [c.split()[0] for c in a[name].split(",") if c.strip()] if name == "srcset" else [a[name]]
                page.fetches.extend((tag, url) for url in urls)
        if tag in NAVIGATION and a.get(NAVIGATION[tag]):
            if tag == "a" and "cite-ref" in a.get("class", "").split():
                page.markers.append(Marker(a.get("id", "?"), a["href"], a.get("aria-describedby")))
            else:
                page.links.append((tag, a[NAVIGATION[tag]]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.collecting is not None and self.collecting[0] == tag:
            owner, text = self.collecting[1], "".join(self.buffer)
            self.collecting = None
            if tag == "title":
                self.page.title = text
            elif tag == "style":
                self.page.styles.append(text)
            elif owner is not None:
                self.page.quotes.setdefault(owner, text)
        # Close up to the matching open element, forgiving end tags the author left implied.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                for _, element_id in self.stack[depth:]:
                    if element_id is not None:
                        self.open_ids.remove(element_id)
                del self.stack[depth:]
                break

    def handle_data(self, data: str) -> None:
        for element_id in self.open_ids:
            self.page.text[element_id].append(data)
        if self.collecting is not None:
            self.buffer.append(data)


def read_page(html: str) -> PageReading:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def origins(site: Site) -> dict[str, str]:
    """Which file each output page comes from: content/ for pages, seeds/ for sources, else templates/."""
    result = {"sources/index.html": "templates/sources.html", "404.html": "templates/404.html", "index.html": "templates/home.html"}
    for page_citations in site.pages:
        result[page_citations.page.url] = page_citations.page.path
    for source in site.sources:
        result[source.url] = f"seeds/{source.config.file}"
        result[source.file_url] = f"seeds/{source.config.file}"
    assets = site.config.templates_dir / "assets"
    if assets.is_dir():
        for path in assets.rglob("*"):
            result[f"assets/{path.relative_to(assets).as_posix()}"] = f"templates/assets/{path.relative_to(assets).as_posix()}"
    return result


def _squash(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = 60) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class SiteChecker:
    """Reads the written site once and collects every problem, page by page."""

    def __init__(self, output_dir: Path, origins: dict[str, str], base_url: str = "", shown_as: str = "output"):
        self.output_dir = output_dir
        self.origins = origins
        self.base_url = base_url
        self.base_path = urlsplit(base_url).path or "/" if base_url else "/"
        self.shown_as = shown_as.rstrip("/")
        self.problems: list[str] = []
        self.pages: dict[str, PageReading] = {}
        self.counts = {"pages": 0, "links": 0, "citations": 0}

    # -- reporting -----------------------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        origin = self.origins.get(path)
        self.problems.append(f"{self.shown_as}/{path}: {message}" + (f" (from {origin})" if origin else ""))

    def reading(self, path: str) -> PageReading | None:
        if path not in self.pages:
            file = self.output_dir / path
            if not file.is_file():
                return None
            self.pages[path] = read_page(file.read_text(encoding="utf-8", errors="replace"))
        return self.pages[path]

    # -- the whole site ------------------------------------------------------------------------
    def run(self) -> list[str]:
        html_pages = sorted(p.relative_to(self.output_dir).as_posix() for p in self.output_dir.rglob("*.html") if p.is_file())
        recorded = self.recorded_citations()
        stylesheets: set[str] = set()
        for path in html_pages:
            page = self.reading(path)
            assert page is not None
            self.counts["pages"] += 1
            self.check_head(path, page)
            self.check_ids(path, page)
            self.check_links(path, page)
            self.check_fetches(path, page, stylesheets)
            for style in page.styles:
                self.check_css_text(path, path, style)
            if recorded is not None:
                self.check_citations(path, page, recorded.get(path, []))
        for path in sorted(stylesheets):
            file = self.output_dir / path
            if file.is_file():
                self.check_css_text(path, path, file.read_text(encoding="utf-8", errors="replace"))
        if recorded is not None:
            for path in sorted(set(recorded) - set(html_pages)):
                self.problem("citations.json", f"records citations on {path}, which does not exist")
        return self.problems

    def recorded_citations(self) -> dict[str, list[dict]] | None:
        file = self.output_dir / "citations.json"
        try:
            entries = json.loads(file.read_text(encoding="utf-8"))["citations"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problem("citations.json", f"cannot be read ({exc.__class__.__name__}); the build writes it")
            return None
        by_page: dict[str, list[dict]] = {}
        for entry in entries:
            by_page.setdefault(str(entry.get("page")), []).append(entry)
        return by_page

    # -- one page ------------------------------------------------------------------------------
    def check_head(self, path: str, page: PageReading) -> None:
        if not (page.lang or "").strip():
            self.problem(path, "<html> has no lang attribute; screen readers need the page's language")
        if not (page.title or "").strip():
            self.problem(path, "no <title>; every page needs one for tabs, bookmarks and screen readers")
        if not (page.description or "").strip():
            self.problem(path, 'no <meta name="description"> with content; search results show it')
        if page.h1 != 1:
            self.problem(path, f"{page.h1 or 'no'} <h1> element{'' if page.h1 == 1 else 's'}; a page needs exactly one")

    def check_ids(self, path: str, page: PageReading) -> None:
        seen: set[str] = set()
        for element_id in page.ids:
            if element_id in seen:
                self.problem(path, f'duplicate id "{element_id}"; a link to it lands on the first one only')
            seen.add(element_id)

    def check_links(self, path: str, page: PageReading) -> None:
        for tag, url in page.links:
            if url.strip().lower().startswith(LOCAL_SCHEMES):
                continue
            target = self.resolve(path, url)
            if target is None:
                continue  # another site: navigation away is allowed
            self.counts["links"] += 1
            message = self.missing(target)
            if message:
                self.problem(path, f'broken link <{tag}> "{url}": {message}')

    def check_fetches(self, path: str, page: PageReading, stylesheets: set[str]) -> None:
        for tag, url in page.fetches:
            if url.strip().lower().startswith(LOCAL_SCHEMES):
                continue
            target = self.resolve(path, url)
            if target is None:
                self.problem(path, f'<{tag}> requests "{url}" from another origin; serve it from assets/ instead')
                continue
            message = self.missing(target)
            if message:
                self.problem(path, f'<{tag}> requests "{url}": {message}')
            elif url in page.stylesheets and target[0]:
                stylesheets.add(target[0])

    def check_css_text(self, path: str, base: str, css: str) -> None:
        for match in CSS_URL.finditer(css):
            url = match.group(1) or match.group(2)
            if url.lower().startswith(LOCAL_SCHEMES) or url.startswith("#"):
                continue
            target = self.resolve(base, url)
            if target is None:
                self.problem(path, f'CSS requests "{url}" from another origin; serve it from assets/ instead')
            elif not (self.output_dir / target[0]).is_file():
                self.problem(path, f'CSS requests "{url}": no such file')

    def check_citations(self, path: str, page: PageReading, recorded: list[dict]) -> None:
        self.counts["citations"] += len(page.markers)
        if len(page.markers) != len(recorded):
            self.problem(path, f"{len(page.markers)} citation marker(s) on the page, but citations.json records {len(recorded)}")
        for index, marker in enumerate(page.markers):
            label = f"citation [{marker.number.removeprefix('cite-')}]"
            quote = page.quotes.get(marker.tip_id or "")
            if quote is None or not quote.strip():
                self.problem(path, f"{label} has no quote in its tooltip (<q> inside #{marker.tip_id})")
                continue
            entry = recorded[index] if index < len(recorded) else None
            if entry is not None and _squash(str(entry.get("quote", ""))) != _squash(quote):
                self.problem(path, f"{label} quotes “{_short(quote)}” but citations.json records “{_short(str(entry.get('quote')))}”")
            target = self.resolve(path, marker.href)
            if target is None:
                self.problem(path, f'{label} links to another site ("{marker.href}"); it must lead to the source page')
                continue
            message = self.missing(target)
            if message:
                self.problem(path, f'{label} links to "{marker.href}": {message}')
                continue
            if entry is not None and entry.get("href") != f"{target[0]}#{target[1]}":
                self.problem(path, f'{label} links to {target[0]}#{target[1]} but citations.json records {entry.get("href")}')
            reading = self.reading(target[0])
            text = "".join(reading.text.get(target[1], [])) if reading else ""
            if _squash(quote) not in _squash(text):
                self.problem(path, f"{label}: the excerpt at {target[0]}#{target[1]} does not contain its quote “{_short(quote)}”")

    # -- addresses -----------------------------------------------------------------------------
    def resolve(self, page_path: str, url: str) -> tuple[str, str | None] | None:
        """(site-relative file, fragment or None) for a URL inside the site; None for another origin."""
        parts = urlsplit(url.strip())
        if parts.scheme or parts.netloc:
            if not self.base_url or not url.startswith(self.base_url):
                return None
            path = urlsplit(url[len(self.base_url):]).path
        elif parts.path.startswith("/"):
            # Root-relative: only the part under the site's base path is the site.
            inside = parts.path.startswith(self.base_path)
            path = parts.path[len(self.base_path):] if inside else "../" + parts.path.lstrip("/")
        else:
            path = posixpath.join(posixpath.dirname(page_path), parts.path) if parts.path else page_path
        path = posixpath.normpath(unquote(path)) if path else "."
        if path == ".":
            path = "index.html"
        elif (self.output_dir / path).is_dir() and not path.startswith(".."):
            path = posixpath.join(path, "index.html")
        return (path, unquote(parts.fragment) if "#" in url else None)

    def missing(self, target: tuple[str, str | None]) -> str | None:
        path, fragment = target
        if path == ".." or path.startswith("../"):
            return "it points outside the site"
        if not (self.output_dir / path).is_file():
            return f"there is no {path}"
        if fragment is None or fragment == "" or fragment.lower() == "top" or not path.endswith(".html"):
            return None
        page = self.reading(path)
        if page is not None and fragment not in page.text:
            return f'{path} has no element with id "{fragment}"'
        return None


def check_site(output_dir: Path, origins: dict[str, str], base_url: str = "", shown_as: str = "output") -> list[str]:
    """Every problem a reader would meet in the site written to output_dir, one line each."""
    return SiteChecker(output_dir, origins, base_url, shown_as).run()


def run(config: Config, args: argparse.Namespace) -> int:
    result = build(config, strict=args.strict)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    checker = SiteChecker(config.output_dir, origins(result.site), config.base_url, relative_name(config.output_dir, config.root))
    problems = checker.run()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check failed: {len(problems)} problem(s) in the built site", file=sys.stderr)
        return 1
    if not args.quiet:
        counts = checker.counts
        print(f"checked {counts['pages']} pages, {counts['links']} internal links and {counts['citations']} citations "
              f"in {checker.shown_as}: no problems")
    return 0
