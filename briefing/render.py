"""Stage 4: render the linked Site into files, {site-relative path: bytes}, without writing to disk.

Every output file has a dependency key: a digest of everything its bytes are made from, each part
named (its templates, the settings, its URL, and one fingerprint per template variable its templates
read: `page`, `nav`, `notes` ...). Given the previous rendering, only the outputs whose key changed
are rendered again; the others keep their bytes. A template may read any variable it is given, so
the variables a template reads are found in its source (and in every template it extends or
includes), not assumed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from xml.sax.saxutils import escape as xml_escape

import jinja2
import jinja2.meta
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from .content import make_markdown
from .errors import BuildError, Location, Problem
from .inputs import Inputs, file_digest, fingerprint, settings_digest
from .link import Citation, Excerpt, PageCitations, Site
from .sources import Paragraph, Source

Files = dict[str, bytes]


@dataclass(frozen=True)
class NavItem:
    title: str
    href: str
    current: bool


@dataclass(frozen=True)
class Variable:
    """A template variable: a fingerprint of what its value is made from, and how to make the value."""

    fingerprint: str
    make: Callable[[], Any]


@dataclass(frozen=True)
class Output:
    """One output file before it is made: its path, its named inputs, and how to make its bytes."""

    path: str
    inputs: dict[str, str]  # input name -> fingerprint; together, everything the bytes depend on
    make: Callable[[], bytes]

    @property
    def key(self) -> str:
        return fingerprint(sorted(self.inputs.items()))


@dataclass(frozen=True)
class Rendering:
    files: Files
    keys: dict[str, str]  # output path -> dependency key
    rendered: frozenset[str]  # the outputs made this time; the others were reused from the previous rendering


def relative(from_url: str, to_url: str) -> str:
    """A link from one site-relative page URL to another, relative so the site works anywhere."""
    target, _, fragment = to_url.partition("#")
    if target == from_url and fragment:
        return "#" + fragment
    path = _relpath(target or from_url, posixpath.dirname(from_url))
    return path + ("#" + fragment if fragment else "")


def _relpath(path: str, start: str) -> str:
    """posixpath.relpath(path, start or "."), without asking the system for the working directory."""
    path_parts = [part for part in path.split("/") if part not in ("", ".")]
    start_parts = [part for part in start.split("/") if part not in ("", ".")]
    if not path or path.startswith("/") or start.startswith("/") or ".." in path_parts or ".." in start_parts:
        return posixpath.relpath(path, start or ".")
    common = 0
    for left, right in zip(path_parts, start_parts):
        if left != right:
            break
        common += 1
    return "/".join([".."] * (len(start_parts) - common) + path_parts[common:]) or "."


class Templates:
    """The Jinja environment for one version of templates/, and what each template can read.

    Kept while templates/ is unchanged, so templates are compiled once, not once per build.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            autoescape=jinja2.select_autoescape(("html", "xml")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._reads: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {}

    def reads(self, name: str) -> tuple[frozenset[str] | None, frozenset[str]]:
        """(the variables `name` and the templates it pulls in can read, or None for any; those templates' names)."""
        if name not in self._reads:
            variables: set[str] = set()
            names: set[str] = set()
            pending = [name]
            any_variable = False
            while pending:
                current = pending.pop()
                if current in names:
                    continue
                names.add(current)
                try:
                    source = self.env.loader.get_source(self.env, current)[0]  # type: ignore[union-attr]
                    tree = self.env.parse(source)
                except (jinja2.TemplateError, OSError, UnicodeDecodeError):
                    any_variable = True  # rendering will report it; until then assume the worst
                    continue
                variables |= jinja2.meta.find_undeclared_variables(tree)
                for referenced in jinja2.meta.find_referenced_templates(tree):
                    if referenced is None:  # a computed template name: it could be any template, reading anything
                        any_variable = True
                        names |= set(self.env.list_templates())
                    else:
                        pending.append(referenced)
            self._reads[name] = (None if any_variable else frozenset(variables), frozenset(names))
        return self._reads[name]


@functools.lru_cache(maxsize=2)
def _templates(directory: Path, version: str) -> Templates:
    return Templates(directory)


@functools.lru_cache(maxsize=2)
def _markdown(allow_html: bool) -> MarkdownIt:
    md = make_markdown(allow_html)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("citation_error", lambda self, tokens, idx, options, env: escape(tokens[idx].content))
    md.add_render_rule("link_open", _render_link_open)
    return md


class Renderer:
    """Lists the outputs of one Site, each with its dependency key, and makes them."""

    def __init__(self, site: Site, inputs: Inputs | None = None):
        self.site = site
        self.config = site.config
        self.inputs = inputs
        self.template_digests = inputs.templates if inputs is not None else _digest_tree(self.config.templates_dir)
        self.templates = _templates(self.config.templates_dir, fingerprint(sorted(self.template_digests.items())))
        self.env = self.templates.env
        self.md = _markdown(self.config.allow_html)
        self.page_urls = {p.page.slug: p.page.url for p in site.pages}
        self.config_digest = inputs.config if inputs is not None else settings_digest(self.config)
        self.source_citations = _citations_by_source(site)
        self.source_stats = {source.id: self._source_stats(source) for source in site.sources}
        # Fingerprints of the parts of the model that many outputs read.
        self.nav_digest = fingerprint([(p.page.title, p.page.url) for p in (*site.topics, *site.other_pages)])
        self.home_digest = fingerprint(site.home.page.title if site.home else None)
        self.pages_digest = fingerprint(self.page_urls)
        self.topics_digest = fingerprint([_summary_facts(p) for p in site.topics])
        self.others_digest = fingerprint([_summary_facts(p) for p in site.other_pages])
        self.sources_digest = fingerprint([self.source_stats[s.id] for s in site.sources])
        self.citations_digest = {p.page.url: fingerprint([_citation_facts(c) for c in p.citations]) for p in site.pages}

    # -- the outputs ---------------------------------------------------------------------------
    def outputs(self) -> list[Output]:
        """Every file of the site, in a fixed order, with what it depends on; nothing is made yet."""
        site = self.site
        outputs = []
        for page_citations in site.pages:
            template = "home.html" if page_citations.page.slug == "index" else "page.html"
            outputs.append(self.html(template, page_citations.page.url, self.page_variables(page_citations)))
        if site.home is None:
            outputs.append(self.html("home.html", "index.html", self.page_variables(None)))
        outputs.append(self.html("sources.html", "sources/index.html", {"sources": self.sources_variable("sources/index.html")}))
        for source in site.sources:
            outputs.append(self.html("source.html", source.url, {
                "source": Variable(fingerprint(self.source_stats[source.id]), lambda s=source: self.source_summary(s, s.url)),
                "paragraphs": Variable(self.excerpts_digest(source), lambda s=source: self.source_paragraphs(s)),
            }))
            outputs.append(Output(source.file_url, {"file": source.sha256}, lambda s=source: s.text.encode("utf-8")))
        outputs.append(self.html("404.html", "404.html", {}, absolute_base=self.config.base_path))
        outputs.extend(self.assets())
        sitemap = [(p.page.url, p.page.updated) for p in site.pages] + [s.url for s in site.sources]
        outputs.append(Output("sitemap.xml", {"config": self.config_digest, "pages": fingerprint(sitemap, site.home is None)}, self.sitemap))
        outputs.append(Output("citations.json", {"citations": fingerprint(self.citations_digest)}, self.citations_json))
        return outputs

    def html(self, template: str, url: str, variables: dict[str, Variable], absolute_base: str | None = None) -> Output:
        variables = {**self.common_variables(url, absolute_base), **variables}
        reads, templates = self.templates.reads(template)
        read = sorted(variables if reads is None else reads & variables.keys())
        inputs = {
            "templates": fingerprint(sorted((name, self.template_digests.get(name)) for name in templates)),
            "config": self.config_digest,
            "url": url,
            **{f"variable {name}": variables[name].fingerprint for name in read},
        }
        return Output(url, inputs, lambda: self.template(template, {name: v.make() for name, v in variables.items()}))

    def common_variables(self, url: str, absolute_base: str | None) -> dict[str, Variable]:
        """What every template gets. Only `nav` and `home_title` depend on more than the URL and the settings."""
        link = (lambda to: absolute_base + to) if absolute_base is not None else (lambda to: relative(url, to))
        home = self.site.home
        nav = lambda: [NavItem(p.page.title, link(p.page.url), p.page.url == url)  # noqa: E731
                       for p in (*self.site.topics, *self.site.other_pages)] + [
            NavItem("Sources", link("sources/index.html"), url.startswith("sources/"))]
        canonical = (self.config.base_url + ("" if url == "index.html" else url)) if self.config.base_url and absolute_base is None else None
        fixed = lambda value: Variable("", lambda: value)  # noqa: E731  (made from the URL and settings alone)
        return {
            "site": fixed(self.config),
            "url": fixed(url),
            "nav": Variable(self.nav_digest, nav),
            "home_href": fixed(link("index.html")),
            "home_title": Variable(self.home_digest, lambda: home.page.title if home else self.config.title),
            "is_home": fixed(url == "index.html"),
            "stylesheet_href": fixed(link("assets/style.css")),
            "canonical": fixed(canonical),
            "link": fixed(link),
        }

    def page_variables(self, page_citations: PageCitations | None) -> dict[str, Variable]:
        """The variables of a content page, or of the home page when there is no content/index.md."""
        site = self.site
        url = page_citations.page.url if page_citations else "index.html"
        if page_citations is None:
            own = {"page": Variable("", lambda: None), "body": Variable("", lambda: Markup("")), "notes": Variable("", lambda: [])}
        else:
            page = page_citations.page
            digest = self.inputs.pages.get(page.path, "unread") if self.inputs is not None else fingerprint(object())
            citations = self.citations_digest[page.url]
            own = {
                "page": Variable(fingerprint(page.path, digest), lambda: page),
                "body": Variable(fingerprint(page.path, digest, citations, self.pages_digest), lambda: self.markdown(page_citations, url)),
                "notes": Variable(citations, lambda: [_note(c, url) for c in page_citations.citations]),
            }
        return {
            **own,
            "topics": Variable(self.topics_digest, lambda: [_summary(p, url) for p in site.topics]),
            "others": Variable(self.others_digest, lambda: [_summary(p, url) for p in site.other_pages]),
            "sources": self.sources_variable(url),
        }

    def sources_variable(self, url: str) -> Variable:
        return Variable(self.sources_digest, lambda: [self.source_summary(s, url) for s in self.site.sources])

    def excerpts_digest(self, source: Source) -> str:
        """What a source page's paragraphs show: the text, the excerpts, and every claim citing each."""
        excerpts = [(e.start, e.end, e.anchor, [(c.url, c.page.title, c.number, c.claim)
                                                for c in self.site.backlinks.get((source.id, e.anchor), ())])
                    for e in self.site.excerpts.get(source.id, ())]
        return fingerprint(source.sha256, source.config, excerpts)

    # -- making them ---------------------------------------------------------------------------
    def render(self, previous: Rendering | None = None) -> Rendering:
        """Make every output whose dependency key differs from `previous`; reuse the rest."""
        files: Files = {}
        keys: dict[str, str] = {}
        rendered = set()
        for output in self.outputs():
            key = output.key
            if previous is not None and previous.keys.get(output.path) == key and output.path in previous.files:
                files[output.path] = previous.files[output.path]
            else:
                files[output.path] = output.make()
                rendered.add(output.path)
            keys[output.path] = key
        return Rendering(files, keys, frozenset(rendered))

    def template(self, name: str, context: dict[str, Any]) -> bytes:
        try:
            html = self.env.get_template(name).render(**context)
        except jinja2.TemplateError as exc:
            raise BuildError([_template_problem(exc, self.config.templates_dir)]) from None
        return html.encode("utf-8")

    def markdown(self, page_citations: PageCitations, url: str) -> Markup:
        page = page_citations.page
        env = dict(page.env)
        env["briefing"] = {"citations": iter(page_citations.citations), "link": lambda to: relative(url, to), "pages": self.page_urls}
        return Markup(self.md.renderer.render(list(page.tokens), self.md.options, env))

    def assets(self) -> list[Output]:
        assets_dir = self.config.templates_dir / "assets"
        if not assets_dir.is_dir():
            return []
        outputs = []
        for path in sorted(assets_dir.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                outputs.append(Output(f"assets/{path.relative_to(assets_dir).as_posix()}", {"file": hashlib.sha256(data).hexdigest()}, lambda d=data: d))
        return outputs

    def _source_stats(self, source: Source) -> dict[str, Any]:
        """What the summaries of a source say, whatever page they are on (all but the links)."""
        article = [p for p in source.paragraphs if not p.furniture]
        cited = {self._paragraph_of(e).index for e in self.site.excerpts.get(source.id, ())}
        share = len([p for p in article if p.index in cited]) / len(article) if article else 0.0
        return {
            "id": source.id, "config": source.config, "sha256": source.sha256,
            "claims": len(self.source_citations.get(source.id, ())), "paragraphs": len(article),
            "cited_paragraphs": len([p for p in article if p.index in cited]),
            "share": share, "percent": round(share * 100),
        }

    def source_summary(self, source: Source, url: str) -> dict[str, Any]:
        stats = self.source_stats[source.id]
        return {
            "id": source.id, "config": source.config, "href": relative(url, source.url),
            "file_href": relative(url, source.file_url), "sha256": source.sha256,
            "claims": stats["claims"], "paragraphs": stats["paragraphs"],
            "cited_paragraphs": stats["cited_paragraphs"],
            "share": stats["share"], "percent": stats["percent"],
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
    """Every file of the site (a pure function of the Site and templates/)."""
    return Renderer(site).render().files


def render_site(site: Site, inputs: Inputs, previous: Rendering | None = None) -> Rendering:
    """Every file of the site with its dependency key; with `previous`, only changed outputs are made."""
    return Renderer(site, inputs).render(previous)


def _digest_tree(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {p.relative_to(directory).as_posix(): file_digest(p) for p in sorted(directory.rglob("*")) if p.is_file()}


def _citations_by_source(site: Site) -> dict[str, list[Citation]]:
    by_source: dict[str, list[Citation]] = {}
    for page_citations in site.pages:
        for citation in page_citations.citations:
            by_source.setdefault(citation.excerpt.source.id, []).append(citation)
    return by_source


def _citation_facts(citation: Citation) -> tuple:
    """Everything about a citation that a page, its notes or citations.json can show."""
    excerpt = citation.excerpt
    return (citation.number, citation.claim, excerpt.source.id, excerpt.source.title, excerpt.source.config.file,
            excerpt.start, excerpt.end, excerpt.anchor, excerpt.quote)


def _summary_facts(page_citations: PageCitations) -> tuple:
    page = page_citations.page
    return (page.title, page.summary, page.url, len(page_citations.citations))


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
            # Render a copy: the tokens belong to the Page, which a later rendering may reuse.
            tokens = list(tokens)
            tokens[idx] = token.copy(attrs={**token.attrs, "href": state["link"](state["pages"][slug] + ("#" + fragment if fragment else ""))})
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
