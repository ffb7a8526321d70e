"""Stage 4: render the linked Site into files, {site-relative path: bytes}, without touching the disk."""
from __future__ import annotations

import json
import posixpath
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from xml.sax.saxutils import escape as xml_escape

import jinja2
from markupsafe import Markup, escape

from .content import make_markdown
from .errors import BuildError, Location, Problem
from .link import Citation, Excerpt, PageCitations, Site
from .sources import Paragraph, Source

Files = dict[str, bytes]


@dataclass(frozen=True)
class NavItem:
    title: str
    href: str
    current: bool


def relative(from_url: str, to_url: str) -> str:
    """A link from one site-relative page URL to another, relative so the site works anywhere."""
    target, _, fragment = to_url.partition("#")
    if target == from_url and fragment:
        return "#" + fragment
    base = posixpath.dirname(from_url) or "."
    path = posixpath.relpath(target or from_url, base)
    return path + ("#" + fragment if fragment else "")


class Renderer:
    """Holds the Jinja environment and Markdown renderer for one build."""

    def __init__(self, site: Site):
        self.site = site
        self.config = site.config
        self.md = make_markdown(self.config.allow_html)
        self.md.add_render_rule("citation", _render_citation)
        self.md.add_render_rule("citation_error", lambda self, tokens, idx, options, env: escape(tokens[idx].content))
        self.md.add_render_rule("link_open", _render_link_open)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.config.templates_dir)),
            autoescape=jinja2.select_autoescape(("html", "xml")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.page_urls = {p.page.slug: p.page.url for p in site.pages}

    # -- one page ------------------------------------------------------------------------------
    def template(self, name: str, url: str, context: dict[str, Any], absolute_base: str | None = None) -> bytes:
        link = (lambda to: absolute_base + to) if absolute_base is not None else (lambda to: relative(url, to))
        home = self.site.home
        nav = [NavItem(p.page.title, link(p.page.url), p.page.url == url) for p in (*self.site.topics, *self.site.other_pages)]
        nav.append(NavItem("Sources", link("sources/index.html"), url.startswith("sources/")))
        common = {
            "site": self.config,
            "url": url,
            "nav": nav,
            "home_href": link("index.html"),
            "home_title": home.page.title if home else self.config.title,
            "is_home": url == "index.html",
            "stylesheet_href": link("assets/style.css"),
            "canonical": (self.config.base_url + ("" if url == "index.html" else url)) if self.config.base_url and absolute_base is None else None,
            "link": link,
        }
        try:
            html = self.env.get_template(name).render(**common, **context)
        except jinja2.TemplateError as exc:
            raise BuildError([_template_problem(exc, self.config.templates_dir)]) from None
        return html.encode("utf-8")

    def markdown(self, page_citations: PageCitations, url: str) -> Markup:
        page = page_citations.page
        env = dict(page.env)
        env["briefing"] = {"citations": iter(page_citations.citations), "link": lambda to: relative(url, to), "pages": self.page_urls}
        return Markup(self.md.renderer.render(list(page.tokens), self.md.options, env))

    # -- the whole site ------------------------------------------------------------------------
    def render(self) -> Files:
        site = self.site
        files: Files = {}
        for page_citations in site.pages:
            page = page_citations.page
            template = "home.html" if page.slug == "index" else "page.html"
            files[page.url] = self.template(template, page.url, {
                "page": page,
                "body": self.markdown(page_citations, page.url),
                "notes": [_note(c, page.url) for c in page_citations.citations],
                "topics": [_summary(p, page.url) for p in site.topics],
                "others": [_summary(p, page.url) for p in site.other_pages],
                "sources": [self.source_summary(s, page.url) for s in site.sources],
            })
        if site.home is None:
            files["index.html"] = self.template("home.html", "index.html", {
                "page": None, "body": Markup(""), "notes": [],
                "topics": [_summary(p, "index.html") for p in site.topics],
                "others": [_summary(p, "index.html") for p in site.other_pages],
                "sources": [self.source_summary(s, "index.html") for s in site.sources],
            })
        files["sources/index.html"] = self.template("sources.html", "sources/index.html", {
            "sources": [self.source_summary(s, "sources/index.html") for s in site.sources]})
        for source in site.sources:
            files[source.url] = self.template("source.html", source.url, {
                "source": self.source_summary(source, source.url),
                "paragraphs": self.source_paragraphs(source),
            })
            files[source.file_url] = source.text.encode("utf-8")
        files["404.html"] = self.template("404.html", "404.html", {}, absolute_base=self.config.base_path)
        files.update(self.assets())
        files["sitemap.xml"] = self.sitemap()
        files["citations.json"] = self.citations_json()
        return files

    def assets(self) -> Files:
        assets_dir = self.config.templates_dir / "assets"
        if not assets_dir.is_dir():
            return {}
        return {f"assets/{p.relative_to(assets_dir).as_posix()}": p.read_bytes()
                for p in sorted(assets_dir.rglob("*")) if p.is_file()}

    def source_summary(self, source: Source, url: str) -> dict[str, Any]:
        citations = self.site.citations_of(source)
        article = [p for p in source.paragraphs if not p.furniture]
        cited = {self._paragraph_of(e).index for e in self.site.excerpts.get(source.id, ())}
        share = len([p for p in article if p.index in cited]) / len(article) if article else 0.0
        return {
            "id": source.id, "config": source.config, "href": relative(url, source.url),
            "file_href": relative(url, source.file_url), "sha256": source.sha256,
            "claims": len(citations), "paragraphs": len(article),
            "cited_paragraphs": len([p for p in article if p.index in cited]),
            "share": share, "percent": round(share * 100),
        }

    def _paragraph_of(self, excerpt: Excerpt) -> Paragraph:
        paragraph = excerpt.source.paragraph_at(excerpt.start)
        assert paragraph is not None
        return paragraph

    def source_paragraphs(self, source: Source) -> list[dict[str, Any]]:
        excerpts = self.site.excerpts.get(source.id, ())
        result = []
        for paragraph in source.paragraphs:
            inside = [e for e in excerpts if paragraph.start <= e.start < paragraph.end]
            backlinks = []
            for excerpt in inside:
                cited_by = self.site.backlinks.get((source.id, excerpt.anchor), ())
                backlinks.append({
                    "href": "#" + excerpt.anchor,
                    "quote": _shorten(excerpt.quote),
                    "claims": [{"href": relative(source.url, c.url), "page": c.page.title, "number": c.number, "claim": c.claim} for c in cited_by],
                })
            result.append({
                "anchor": paragraph.anchor, "line": paragraph.line, "furniture": paragraph.furniture,
                "html": _highlight(source.text, paragraph, inside), "backlinks": backlinks,
            })
        return result

    def sitemap(self) -> bytes:
        base = self.config.base_url
        updated = {p.page.url: p.page.updated for p in self.site.pages}
        urls = [p.page.url for p in self.site.pages] + (["index.html"] if self.site.home is None else [])
        urls += ["sources/index.html"] + [s.url for s in self.site.sources]
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for url in urls:
            loc = base + ("" if url == "index.html" else url) if base else url
            lastmod = f"<lastmod>{updated[url].isoformat()}</lastmod>" if updated.get(url) else ""
            lines.append(f"  <url><loc>{xml_escape(loc)}</loc>{lastmod}</url>")
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def citations_json(self) -> bytes:
        entries = [{
            "page": c.page.url, "claim": c.claim, "source": c.excerpt.source.config.file,
            "quote": c.excerpt.quote, "start": c.excerpt.start, "end": c.excerpt.end, "href": c.excerpt.url,
        } for p in self.site.pages for c in p.citations]
        return (json.dumps({"citations": entries}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def render(site: Site) -> Files:
    return Renderer(site).render()


# -- Markdown render rules ---------------------------------------------------------------------
def _render_citation(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    state = env["briefing"]
    parts = []
    for _ in tokens[idx].meta["refs"]:
        citation: Citation = next(state["citations"])
        excerpt = citation.excerpt
        tip = f"cite-{citation.number}-tip"
        parts.append(
            f'<span class="cite"><a class="cite-ref" id="{citation.anchor}" href="{escape(state["link"](excerpt.url))}" '
            f'aria-describedby="{tip}">[{citation.number}]</a>'
            f'<span class="cite-tip" id="{tip}" role="tooltip"><q>{escape(excerpt.quote)}</q> '
            f'<span class="cite-src">{escape(excerpt.source.title)}</span></span></span>'
        )
    return "".join(parts)


def _render_link_open(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    href = str(token.attrs.get("href", ""))
    target, _, fragment = href.partition("#")
    state = env.get("briefing")
    if state and target.endswith(".md") and "://" not in target:
        slug = target.rsplit("/", 1)[-1][:-3]
        if slug in state["pages"]:
            token.attrs["href"] = state["link"](state["pages"][slug] + ("#" + fragment if fragment else ""))
    return self.renderToken(tokens, idx, options, env)


# -- helpers -----------------------------------------------------------------------------------
def _note(citation: Citation, url: str) -> dict[str, Any]:
    excerpt = citation.excerpt
    return {"number": citation.number, "id": f"note-{citation.number}", "back": "#" + citation.anchor,
            "href": relative(url, excerpt.url), "source": excerpt.source.title,
            "source_href": relative(url, excerpt.source.url), "quote": excerpt.quote}


def _summary(page_citations: PageCitations, url: str) -> dict[str, Any]:
    page = page_citations.page
    return {"title": page.title, "summary": page.summary, "href": relative(url, page.url),
            "citations": len(page_citations.citations)}


def _shorten(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _highlight(text: str, paragraph: Paragraph, excerpts: list[Excerpt]) -> Markup:
    """Paragraph HTML with each excerpt in a <mark> carrying its anchor. Overlapping excerpts share
    one highlighted run, wrapped in one element per anchor so every anchor contains its whole quote."""
    out: list[str] = []
    cursor = paragraph.start
    groups: list[list[Excerpt]] = []
    for excerpt in sorted(excerpts, key=lambda e: (e.start, -e.end)):
        if groups and excerpt.start < max(e.end for e in groups[-1]):
            groups[-1].append(excerpt)
        else:
            groups.append([excerpt])
    for group in groups:
        start = group[0].start
        end = max(min(e.end, paragraph.end) for e in group)
        out.append(str(escape(text[cursor:start])))
        opening = "".join(f'<span class="excerpt-anchor" id="{e.anchor}">' for e in group[1:])
        closing = "</span>" * (len(group) - 1)
        out.append(f'<mark class="excerpt" id="{group[0].anchor}">{opening}{escape(text[start:end])}{closing}</mark>')
        cursor = end
    out.append(str(escape(text[cursor : paragraph.end])))
    return Markup("".join(out))


def _template_problem(exc: jinja2.TemplateError, templates_dir: Path) -> Problem:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or exc.filename or "?"
        return Problem(Location(f"templates/{name}", exc.lineno), f"template syntax error: {exc.message}; fix the Jinja tag on this line")
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(Location(f"templates/{exc.name}"), "template not found; restore it from the default templates/")
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.suffix in (".html", ".xml") and templates_dir.resolve() in path.resolve().parents:
            name = path.resolve().relative_to(templates_dir.resolve()).as_posix()
            return Problem(Location(f"templates/{name}", frame.lineno), f"{exc}; check the variable name (see README: templates)")
    return Problem(Location("templates/"), str(exc))
