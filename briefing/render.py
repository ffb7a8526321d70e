"""Stage 4: render the linked Site into files, {site-relative path: bytes}, without writing to disk.

Every output file has a dependency key: a digest of everything its bytes are made from, each part
named (its templates, the settings, its URL, and one fingerprint per template variable its templates
read: `page`, `nav`, `notes` ...). Given the previous rendering, only the outputs whose key changed
are rendered again; the others keep their bytes. A template may read any variable it is given, so
the variables a template reads are found in its source (and in every template it extends or
includes), not assumed. The Corroboration page and annotations.jsonld show `paginate` pages of
the briefing to a page, each page an output of its own, keyed by what it shows of those pages. What
shows every page (citations.json, the Corroboration page's table of judgments) is joined from one
part per page, each a unit of the memo (`Renderer.part`), so an edit makes again only the parts of
the pages it changed.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import html
import json
import operator
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Protocol

import jinja2
from markupsafe import Markup

from .errors import BuildError, Location, Problem
from .feed import atom_feed
from .inputs import Inputs, fingerprint
from .exports import CSL, annotation_lines, annotation_page, annotations_url, csl
from .grading import PageMatrix, columns, group_columns, judgment_support, groups, page_matrix
from .digests import model_digests
from .link import Excerpt, PageCitations, Site
from .scales import CONFIDENCE, CREDIBILITY, LIKELIHOOD, RELIABILITY
from .parallel import can_fork, map_ranges
from .markup import body_html, contents, highlight, language_attributes, note, pager_pages, shorten
from .memo import Memo
from .search import index_outputs
from .sources import Source
from .templating import template_problem, templates_for
from .text import direction
from .urls import page_url, relative

CORROBORATION = "corroboration.html"
CORROBORATION_MORE = "corroboration_page.html"  # draws the Corroboration page's pages after the first, when templates/ has it
MATRIX = "_matrix.html"  # its macros draw each page's part of the Corroboration page
# The outputs made of one part per page (Renderer.part), and the tables of the memo holding the parts.
PARTS = {"citations.json": ("citation lines",), CORROBORATION: ("judgment support", "judgments body")}
SCALES = {"reliability": RELIABILITY, "credibility": CREDIBILITY, "likelihood": LIKELIHOOD, "confidence": CONFIDENCE}


class Sink(Protocol):
    """Where outputs go as they are made (write.Staging, write.InMemory)."""

    def reusable(self, name: str, size: int) -> bool: ...  # the output folder holds `name`, of this size, as the memo knows it

    def write(self, name: str, data: bytes) -> bool: ...  # True when `data` differs from the output folder's file

    def read(self, name: str) -> bytes: ...

    def files(self, sizes: dict[str, int]) -> Mapping[str, bytes]: ...


class _Model(dict):
    """A template variable's mapping whose entries in `lazy` (name -> how to make it) are made when a template first reads them."""

    def __init__(self, made: dict[str, Any], **lazy: Callable[[], Any]):
        super().__init__(made)
        self._lazy = lazy

    def __missing__(self, key: str) -> Any:
        value = self[key] = self._lazy.pop(key)()
        return value


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


class Output:
    """One output file before it is made: its path, its named inputs (input name -> fingerprint;
    together, everything the bytes depend on), how to make its bytes, and its key (the digest of
    `inputs`, computed when not given)."""

    __slots__ = ("path", "inputs", "make", "key")

    def __init__(self, path: str, inputs: dict[str, str], make: Callable[[], bytes], key: str = ""):
        self.path, self.inputs, self.make = path, inputs, make
        self.key = key or fingerprint(sorted(inputs.items()))


@dataclass(frozen=True)
class Rendering:
    """Every output of one build: its bytes (read when asked for), its dependency key and the named
    inputs of that key, which outputs were made this time and which differ from the output folder
    before (new, different or gone)."""

    files: Mapping[str, bytes]
    keys: dict[str, str]  # output path -> dependency key
    inputs: dict[str, dict[str, str]]  # output path -> the named inputs its key is the digest of
    rendered: frozenset[str]  # the outputs made this time; the others were linked from the output folder as it was
    changed: tuple[str, ...] = ()  # sorted
    sizes: dict[str, int] = field(default_factory=dict, repr=False)  # output path -> length in bytes, in output order

    def reasons(self, path: str, previous: Rendering | None) -> list[str]:
        """The names of the inputs of `path` that differ from `previous` (why it was rendered)."""
        before = previous.inputs.get(path, {}) if previous is not None else {}
        return sorted(name for name in self.inputs[path].keys() | before.keys() if self.inputs[path].get(name) != before.get(name))


class Renderer:
    """Lists the outputs of one Site, each with its dependency key, and makes them."""

    def __init__(self, site: Site, inputs: Inputs, memo: Memo):
        """`memo` holds the site's digests ("digests", under Site.key), each output's named inputs
        ("html", by what they are made from) and what earlier renderings made per page."""
        self.site = site
        self.config = site.config
        self.inputs = inputs
        self.template_digests = inputs.templates
        self.templates = templates_for(self.config.templates_dir)
        self.memo = memo
        self.templates.use(self.template_digests, self.memo)
        self.env = self.templates.env
        self._template_inputs: dict[str, tuple[frozenset[str] | None, str]] = {}
        self._page_digests = functools.cache(self._page_digests)  # type: ignore[method-assign]  (per Renderer: dies with it)
        self._paragraphs: dict[str, list[dict[str, Any]]] = {}  # the last source's, for its page and its style
        self.model_key = fingerprint(site.key, inputs.config)
        self.model = self.memo.get("digests", self.model_key, lambda: model_digests(site, inputs.config, self.memo),
                                   keeps=("page digests", "source digests", "source stats", "quoted"))
        self.digests = self.model["site"]

    # -- the outputs ---------------------------------------------------------------------------
    def listed(self) -> Iterator[tuple[str, dict[str, str], str, Callable[[Any], bytes], Any]]:
        """Every file of the site, in a fixed order: (path, named inputs, key, make, argument), its
        bytes being make(argument) (an Output made only for the files that must be made)."""
        yield from self.page_outputs()
        yield from self.all_source_outputs()
        for output in self.other_outputs():
            yield output.path, output.inputs, output.key, operator.call, output.make

    def other_outputs(self) -> list[Output]:
        """The outputs but the pages' and the sources'. robots.txt (RFC 9309) welcomes every crawler
        and says where the sitemap is; sources.csl.json is made from site.yaml alone."""
        site, config, digests = self.site, self.config, self.digests
        outputs = [] if site.has_home else [self.html("home.html", "index.html", self.page_variables(None))]
        outputs.append(self.html("sources.html", "sources/index.html", {"sources": self.sources_variable("sources/index.html")}))
        outputs.append(self.html("404.html", "404.html", {}, absolute_base=config.base_path))
        if config.search:
            outputs.append(self.html("search.html", "search.html", {"sources": self.sources_variable("search.html")}))
        outputs.extend(self.assets())
        if config.base_url:  # the sitemap protocol wants absolute addresses: without base_url there is none
            outputs.append(Output("sitemap.xml", {"config": digests["config"], "pages": digests["sitemap"]}, self.sitemap))
            outputs.append(Output("robots.txt", {"base_url": fingerprint(config.base_url)},
                                  lambda: f"User-agent: *\nAllow: /\nSitemap: {config.base_url}sitemap.xml\n".encode("utf-8")))
        outputs.append(Output("feed.xml", {"config": digests["config"], "pages": digests["feed"]},
                              lambda: atom_feed(config, [p.page for p in site.pages])))  # the pages with an `updated` date, latest first
        outputs.append(Output("citations.json", {"config": digests["config"], "citations": digests["citations"]}, self.citations_json))
        outputs.extend(self.paged_outputs())
        outputs.append(Output(CSL, {"config": digests["config"]}, lambda: csl(config)))
        return outputs

    def all_source_outputs(self) -> list[tuple]:
        """The page and the published file of every source, as `listed` gives them. Their paths,
        named inputs and keys are one unit of the memo ("source outputs"), by the site's digests
        and the templates."""
        listed = self.memo.get("source outputs", (self.model_key, self._templates_key), lambda: [
            [[output.path, output.inputs, output.key] for output in self.source_outputs(source)] for source in self.site.sources],
            keeps=("html", "template reads"))
        makes = (lambda source: self.made("source.html", source.url, self.source_variables(source)),
                 lambda source: source.text.encode("utf-8"))
        return [(path, inputs, key, make, source)
                for source, both in zip(self.site.sources, listed) for make, (path, inputs, key) in zip(makes, both)]

    def source_outputs(self, source: Source) -> list[Output]:
        return [self.html("source.html", source.url, self.source_variables(source)),
                Output(source.file_url, {"file": source.sha256}, lambda: source.text.encode("utf-8"))]

    def source_variables(self, source: Source) -> dict[str, Variable]:
        digests = self.model["sources"][source.id]
        return {"source": Variable(digests["summary"], lambda: self.source_summary(source, source.url)),
                "paragraphs": Variable(digests["paragraphs"], lambda: self.source_paragraphs(source)),
                "landing_style": Variable(digests["paragraphs"], lambda: self.landing_style(source))}

    def paged_outputs(self) -> list[Output]:
        """The pages of the Corroboration page and of annotations.jsonld. Their paths, named inputs
        and keys are one unit of the memo ("paged outputs"), by the site's digests and the templates,
        so an edit that changes neither (prose) finds them in one look-up."""
        listed = self.memo.get("paged outputs", (self.model_key, self._templates_key),
                               lambda: [[output.path, output.inputs, output.key] for output in self._paged.values()],
                               keeps=("html", "template reads"))
        return [Output(path, inputs, lambda path=path: self._paged[path].make(), key) for path, inputs, key in listed]

    @cached_property
    def _paged(self) -> dict[str, Output]:
        return {output.path: output for output in (*self.corroboration_outputs(), *self.annotations_outputs())}

    def corroboration_outputs(self) -> list[Output]:
        """The Corroboration page: every page's judgments and claims against the independent groups,
        `paginate` pages of the briefing to a page of it (`corroboration.html`, then
        `corroboration/N.html`, drawn by `corroboration_page.html` when templates/ has it). Each page's
        key names its pages' parts digests, and, when its template can print the table of judgments
        (Templates.attributes), those of every page marking judgments."""
        pages, chunks = self.model["pages"], self._chunks
        judged = fingerprint([pages[name]["judged"] for name in self.site.skeleton.order])
        more = CORROBORATION_MORE if CORROBORATION_MORE in self.template_digests else CORROBORATION
        tables = {template: self.memo.get("template reads", (template, "judgments", self._templates_key), lambda template=template: self._prints_judgments(template))
                  for template in {CORROBORATION, more}}
        outputs = []
        for number, names in enumerate(chunks, 1):
            template = CORROBORATION if number == 1 else more
            reads = fingerprint([pages[name]["parts"] for name in names], self.template_inputs(MATRIX)[1], number, len(chunks),
                                judged if tables[template] else "")
            outputs.append(self.html(template, corroboration_url(number), {
                "corroboration": Variable(reads, lambda number=number, names=names: self.corroboration(number, names)),
                "scales": Variable("", lambda: SCALES),
            }))
        return outputs

    def _prints_judgments(self, template: str) -> bool:
        """Whether `template` can print the table of judgments (a unit of the memo, "template reads",
        by its name and the digests of every template file)."""
        read = self.templates.attributes(template, "corroboration")
        return read is None or bool(read & {"judgments", "judgment_groups"})

    @cached_property
    def _chunks(self) -> list[list[str]]:
        """The pages of the briefing, in reading order, `paginate` to a page of the Corroboration page (one page at least)."""
        order, size = self.site.skeleton.order, self.config.paginate
        return [order[start:start + size] for start in range(0, len(order), size)] or [[]]

    def corroboration_href(self, name: str, url: str) -> str:
        """Where page `name`'s section of the Corroboration page is, seen from `url` (without its anchor)."""
        return relative(url, corroboration_url(self.site.positions[name] // self.config.paginate + 1))

    def annotations_outputs(self) -> list[Output]:
        """annotations.jsonld: every citation, its claim and grades, and the words either side of its
        quote, as one AnnotationCollection whose pages hold the annotations of `paginate` pages of
        the briefing each (exports.annotation_page). Each page's key names its pages' parts digests
        and where it starts; the first's, how many citations there are in all."""
        pages, chunks, count_of = self.model["pages"], self._chunks, self.site.skeleton.count_of
        base, language, total = self.config.base_url, self.config.language, self.site.citation_count
        outputs, start = [], 0
        for number, names in enumerate(chunks, 1):
            inputs = {"config": self.digests["config"], "pages": fingerprint([pages[name]["parts"] for name in names]),
                      "place": fingerprint(number, len(chunks), start, total if number == 1 else None)}
            outputs.append(Output(annotations_url(number), inputs, lambda number=number, names=names, start=start: annotation_page(
                self.config, number, len(chunks), start, [annotation_lines(self.site.page(name), base, language, annotations_url(number)) for name in names], total)))
            start += sum(map(count_of, names))
        return outputs

    # -- the whole site's outputs, made of one part per page ----------------------------------
    def part(self, table: str, name: str, make: Callable[[], Any], *key: Any) -> Any:
        """Page `name`'s part of a whole-site output, `make()`: a unit of the memo (`table`:
        "citation lines", "judgment support", "judgments body") by what a
        page's parts read of it (its address, title, citations, claims, grades, judgments and the
        digests of the seeds it quotes), the settings and `key` (the templates drawing it, the
        columns it is drawn against), so an edit makes again the parts of the pages it changed only."""
        return self.memo.get(table, (name, self.model["pages"][name]["parts"], self.digests["config"], *key), make)

    def _matrix(self, name: str, url: str) -> PageMatrix:
        page = self.site.page(name)
        return page_matrix(self.site, page, relative(url, page.page.url), lambda c: relative(url, c.url))

    def corroboration(self, number: int, names: list[str]) -> dict[str, Any]:
        """Page `number` of the Corroboration page, showing the claims of pages `names`: `groups`
        (each with its sources' grades), `judgment_groups` (the columns of the table of judgments),
        `judgments` (every page's judgments against them, as _matrix.html's
        `judgments_body(matrix, groups)` draws them, one part per page kept in the memo, `part`),
        `sections` (the claims of `names`, as its `claims_section(matrix)` draws them), `pages` (their
        matrices themselves), `number`, `first` and `pager` (None when there is one page; else
        `number`, `count`, `previous` and `next` hrefs or None, and `pages`: the first, the last,
        this one and two either side, each number, href, current, and gaps between, see pager_pages).
        All but `groups` are made only if the template reads them."""
        url = corroboration_url(number)
        urls = {source.id: source.url for source in self.site.sources}
        support = functools.cache(lambda: {name: self.part("judgment support", name, lambda name=name: judgment_support(
            self.config, self.site.page(name))) for name in self.site.skeleton.order})  # [whether the page marks judgments, their groups' keys]
        count = len(self._chunks)
        href = lambda other: relative(url, corroboration_url(other))  # noqa: E731
        more = {"judgments_href": href(1) + "#judgments-heading"} if number > 1 else {}  # the table of judgments is on the first page
        model = _Model({
            "groups": [{"key": g.key, "number": g.number, "title": g.title,
                        "sources": [{"title": s.title, "href": relative(url, urls[s.id]), "id": s.id, "reliability": s.reliability,
                                     "meaning": RELIABILITY[s.reliability] if s.reliability else "", "note": s.reliability_note}
                                    for s in g.sources]} for g in groups(self.config)],
            "number": number, "first": number == 1,
            "pager": None if count == 1 else {
                "number": number, "count": count, "previous": href(number - 1) if number > 1 else None,
                "next": href(number + 1) if number < count else None,
                "pages": pager_pages(number, count, href)},
        }, judgment_groups=lambda: group_columns(self.config, {key for _, keys in support().values() for key in keys}),
            judgments=lambda: self._judgments([name for name, (judged, _) in support().items() if judged], model["judgment_groups"], url),
            sections=lambda: Markup("".join(str(self.macro("claims_section", self._matrix(name, url), **more)) for name in names)),
            pages=lambda: [self._matrix(name, url) for name in names])
        return model

    def _judgments(self, names: list[str], judgment_groups: tuple, url: str) -> Markup:
        """The rows of the table of judgments, page by page, against the columns `judgment_groups`, seen from `url`."""
        against = fingerprint(self.template_inputs(MATRIX)[1], [group.key for group in judgment_groups], url)
        return Markup("".join(self.part("judgments body", name, lambda name=name: str(self.macro("judgments_body", self._matrix(name, url),
                                                                                                  judgment_groups)),
                                        against) for name in names))

    def page_outputs(self) -> list[tuple]:
        """The pages' outputs, in reading order, as `listed` gives them. Their paths, named inputs
        and keys are a unit of the memo per group of pages ("page outputs", by the group's names
        and digests, its pages' own digests, and what the page templates read of the whole site)
        and per page ("page output"): found from digests alone, so a page is read, linked and
        rendered only if its output must be made."""
        listed: dict[str, list] = {}
        pages = self.model["pages"]
        for unit in self.site.groups:
            own = tuple((pages[name]["citations"], pages[name]["sourcing"]) if name in pages else None for name, _ in unit[1])
            context = tuple(sorted({self._page_digests(_page_template(name)) for name, _ in unit[1]}))
            listed.update(self.memo.get("page outputs", (unit, own, context),
                                        lambda unit=unit: {name: self.page_output(name) for name, _ in unit[1] if name in pages},
                                        keeps=("page output", "template reads")))
        make = lambda name: self.made(_page_template(name), page_url(name), self.page_variables(name))  # noqa: E731
        return [(url, inputs, key, make, name) for url, inputs, key, name in map(listed.__getitem__, self.site.skeleton.order)]

    def page_output(self, name: str) -> list:
        """[url, named inputs, key, name] of page `name`'s output (a unit of the memo, "page output")."""
        url = page_url(name)
        digests = self.model["pages"][name]
        unit = (name, self.page_text(name), digests["citations"], digests["sourcing"], self._page_digests(_page_template(name)))
        inputs, key = self.memo.get("page output", unit, lambda: self._html_inputs(url, *self.template_inputs(_page_template(name)),
                                                                                    self.page_variables(name)))
        return [url, inputs, key, name]

    def _page_digests(self, template: str) -> str:
        """What the outputs of pages made with `template` read of the whole site (the digests of
        the variables it reads: a seed edit that changes a source's counts leaves the pages alone
        while page.html does not print the sources) and of the templates. (Cached per Renderer:
        see __init__; a cache on the method would keep every build's Renderer and Site alive.)"""
        digest_of = {"nav": "nav", "home_title": "home_title", "neighbours": "topic_links", "topics": "topics", "others": "others",
                     "sources": "sources"}
        reads = self.template_inputs(template)[0]
        read = [self.digests[digest] for variable, digest in digest_of.items() if reads is None or variable in reads]
        return fingerprint(self.digests["config"], self.digests["pages"], read, self._templates_key)

    def html(self, template: str, url: str, variables: dict[str, Variable], absolute_base: str | None = None) -> Output:
        """A page made from a template: its key names the templates, the settings, the URL, and each
        variable read. The named inputs and their key are a unit of the memo ("html") by all of those."""
        reads, templates_digest = self.template_inputs(template)
        unit = (template, url, absolute_base, templates_digest, self.digests["config"], self.digests["nav"], self.digests["home_title"],
                tuple((name, v.fingerprint) for name, v in variables.items()))
        inputs, key = self.memo.get("html", unit, lambda: self._html_inputs(url, reads, templates_digest, variables))
        return Output(url, inputs, lambda: self.made(template, url, variables, absolute_base), key)

    def made(self, template: str, url: str, variables: dict[str, Variable], absolute_base: str | None = None) -> bytes:
        """The bytes of a page made from a template (what `html` lists), made now, as UTF-8. Raises
        BuildError (the template's file and line) when it fails."""
        reads = self.template_inputs(template)[0]
        context = {**self.common_variables(url, absolute_base),
                   **{name: v.make() for name, v in variables.items() if reads is None or name in reads}}
        return self._jinja(lambda: self.env.get_template(template).render(**context)).encode("utf-8", "replace")

    def _html_inputs(self, url: str, reads: frozenset[str] | None, templates_digest: str, variables: dict[str, Variable]) -> list:
        fingerprints = {"nav": self.digests["nav"], "home_title": self.digests["home_title"], **{n: v.fingerprint for n, v in variables.items()}}
        read = sorted(fingerprints if reads is None else reads & fingerprints.keys())
        inputs = {"templates": templates_digest, "config": self.digests["config"], "url": url,
                  **{f"variable {name}": fingerprints[name] for name in read}}
        return [inputs, fingerprint(sorted(inputs.items()))]

    def template_inputs(self, name: str) -> tuple[frozenset[str] | None, str]:
        """(the variables template `name` can read, None for any; a digest of it and every template it pulls in)."""
        if name not in self._template_inputs:
            reads, digest = self.memo.get("template reads", (name, self._templates_key), lambda: self._template_reads(name))
            self._template_inputs[name] = (None if reads is None else frozenset(reads), digest)
        return self._template_inputs[name]

    def _template_reads(self, name: str) -> list:
        """A unit of the memo ("template reads", by the template's name and the digests of every template file)."""
        reads, names = self.templates.reads(name)
        return [None if reads is None else sorted(reads), fingerprint(sorted((n, self.template_digests.get(n)) for n in names))]

    @cached_property
    def _templates_key(self) -> str:
        return fingerprint(sorted(self.template_digests.items()))

    def common_variables(self, url: str, absolute_base: str | None) -> dict[str, Any]:
        """What every template gets. All but `nav` and `home_title` are made from the URL and the settings alone."""
        link = (lambda to: absolute_base + to) if absolute_base is not None else (lambda to: relative(url, to))
        shown = self.model["shown"]  # (what the digests were made from: no page is read for it)
        nav = [NavItem(title, link(address), address == url) for title, address in shown["menu"]]
        nav.append(NavItem("Sources", link("sources/index.html"), url.startswith("sources/")))
        return {
            "site": self.config,
            "url": url,
            "nav": nav,
            "home_href": link("index.html"),
            "home_title": shown["home_title"] if shown["home_title"] is not None else self.config.title,
            "is_home": url == "index.html",
            "stylesheet_href": link("assets/style.css"),
            "direction": self.memo.get("direction", self.config.language, lambda: direction(self.config.language)),  # (langcodes loads slowly)
            "canonical": (self.config.base_url + ("" if url == "index.html" else url)) if self.config.base_url and absolute_base is None else None,
            "link": link,
        }

    def page_variables(self, name: str | None) -> dict[str, Variable]:
        """The variables of content page `name`, or of the home page when there is no content/index.md.
        Each fingerprint is made of digests alone: the page is read only when a value is made."""
        site = self.site
        if name is None:
            url = "index.html"
            own = {variable: Variable("", lambda value=value: value) for variable, value in {"page": None, "body": Markup(""), "notes": [],
                   "sourcing": None, "contents": [], "neighbours": {"previous": None, "next": None}}.items()}
        else:
            url = page_url(name)
            text = f"{name} {self.page_text(name)}"  # the page's file: its name and the digest of its bytes
            digests = self.model["pages"][name]
            linked = lambda: site.page(name)  # noqa: E731
            own = {
                "page": Variable(text, lambda: linked().page),
                "body": Variable(f"{text} {digests['citations']} {self.digests['pages']}", lambda: body_html(linked(), url)),
                "notes": Variable(digests["citations"], lambda: [note(c, url) for c in linked().citations]),
                "sourcing": Variable(f"{digests['sourcing']} {self.corroboration_href(name, '')}", lambda: self.sourcing(linked(), url)),
                "contents": Variable(text, lambda: contents(linked().page.html)),
                "neighbours": Variable(self.digests["topic_links"], lambda: self.neighbours(name, url)),
            }
        return {
            **own,
            "topics": Variable(self.digests["topics"], lambda: [self.summary(n, url) for n in site.topic_names]),
            "others": Variable(self.digests["others"], lambda: [self.summary(n, url) for n in site.other_names]),
            "sources": self.sources_variable(url),
        }

    def summary(self, name: str, url: str) -> dict[str, Any]:
        """What a list of pages shows of page `name`, seen from `url`: from its record, without reading the page."""
        record = self.site.records[name]
        return {"title": record["title"], "summary": record["summary"], "href": relative(url, page_url(name)),
                "citations": self.site.skeleton.count_of(name)}

    def sourcing(self, page_citations: PageCitations, url: str) -> dict[str, Any]:
        """A page's source summary, and its judgments against the groups (the page's part of the Corroboration page)."""
        matrix = page_matrix(self.site, page_citations, "", lambda c: "#" + c.anchor)
        judgments = [row for row in matrix.rows if row.kind == "judgment"]
        return {"summary": matrix.summary, "judgments": judgments,
                "groups": columns(self.config, judgments), "href": self.corroboration_href(page_citations.page.path, url) + "#" + matrix.anchor}
    def neighbours(self, name: str, url: str) -> dict[str, dict[str, str] | None]:
        """The topics before and after a topic in site.yaml's order (none for a page that is not a topic)."""
        topics = [None, *self.model["shown"]["topics"], None]  # [name, title, address] in site.yaml's order, between two Nones
        at = next((at for at, topic in enumerate(topics) if topic and topic[0] == name), None)
        around = (topics[at - 1], topics[at + 1]) if at else (None, None)
        return {k: {"title": t[1], "href": relative(url, t[2])} if t else None for k, t in zip(("previous", "next"), around)}

    def page_text(self, path: str) -> str:
        """The digest of a page's Markdown file (unique when unknown, so nothing is reused)."""
        return self.inputs.pages.get(path) or f"unknown {os.urandom(16).hex()}"

    def sources_variable(self, url: str) -> Variable:
        return Variable(self.digests["sources"], lambda: [self.source_summary(s, url) for s in self.site.sources])

    # -- making them ---------------------------------------------------------------------------
    def render(self, sink: Sink, jobs: int = 1) -> Rendering:
        """Make every output whose dependency key differs from the one the memo holds for the file
        the output folder has (across `jobs` processes when there are enough to pay for starting
        them), each handed to `sink` where it is made; the others are kept as the folder has them."""
        written = self.memo.table("output")  # output path -> [key, size] of the file the output folder holds
        known, kept = written.old, written.new  # (the table's dictionaries themselves: this runs once per output)
        reusable = sink.reusable
        keys: dict[str, str] = {}
        inputs: dict[str, dict[str, str]] = {}
        sizes: dict[str, int] = {}
        todo = []
        for path, named, key, make, argument in self.listed():
            keys[path] = key
            inputs[path] = named
            entry = known.get(path)
            if entry is not None and entry[0] == key and reusable(path, entry[1]):
                sizes[path] = entry[1]
                kept[path] = entry
            else:
                todo.append(Output(path, named, functools.partial(make, argument), key))
        for path, tables in PARTS.items():
            if path in kept:  # not made: the parts it would be made of stay for the build that makes it
                for table in tables:
                    self.memo.keep(table)
        made = dict(zip((output.path for output in todo), make_all(todo, jobs, sink, self.memo)))
        if self.config.search:
            made.update(index_outputs(keys, inputs, sizes, sink, self.memo, self.config.language))
        sizes.update((path, size) for path, (size, _) in made.items())
        changed = tuple(sorted(path for path, (_, differs) in made.items() if differs))
        sizes = {path: sizes[path] for path in keys}
        return Rendering(sink.files(sizes), keys, inputs, frozenset(made), changed, sizes)

    def macro(self, name: str, *arguments: Any, **optional: Any) -> Markup:
        """Macro `name` of _matrix.html called with `arguments` and the keyword arguments `optional`:
        how the Corroboration page draws each page's part. Raises BuildError when the macro is
        missing, declares no parameter for one of `optional`, or fails."""
        def call() -> Markup:
            macro = getattr(self.env.get_template(MATRIX).module, name, None)
            if macro is None:
                raise BuildError([Problem(Location(f"templates/{MATRIX}"), f"no macro `{name}`: the Corroboration page draws each page's "
                                          "part with it; restore it from the default templates/")])
            missing = [key for key in optional if key not in macro.arguments]
            if missing:
                raise BuildError([Problem(Location(f"templates/{MATRIX}"), f"macro `{name}` takes no `{missing[0]}`: the Corroboration "
                                          f"page's pages after the first need it to link to the table of judgments on the first; declare it "
                                          f"as the default templates/{MATRIX} does: `{name}(matrix, {missing[0]}=\"#judgments-heading\")`")])
            try:
                return macro(*arguments, **optional)
            except Exception:  # noqa: BLE001  (re-raised by Jinja with the template's own lines in its traceback)
                self.env.handle_exception()
        return self._jinja(call)

    def _jinja(self, call: Callable[[], str]) -> str:
        try:
            return call()
        except BuildError:
            raise
        except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
            raise BuildError([template_problem(exc, self.config.templates_dir)]) from None

    def assets(self) -> list[Output]:
        assets_dir = self.config.templates_dir / "assets"
        return [Output(f"assets/{path.relative_to(assets_dir).as_posix()}", {"file": hashlib.sha256(data).hexdigest()}, lambda d=data: d)
                for path in (sorted(assets_dir.rglob("*")) if assets_dir.is_dir() else ()) if path.is_file() for data in [path.read_bytes()]]

    def source_summary(self, source: Source, url: str) -> dict[str, Any]:
        return {
            "id": source.id, "config": source.config, "href": relative(url, source.url), "lang": language_attributes(source),
            "title_lang": language_attributes(source, title=True),
            "file_href": relative(url, source.file_url), "sha256": source.sha256,
            "reliability_meaning": RELIABILITY.get(source.config.reliability or "", ""),
            **self.model["sources"][source.id]["stats"],  # claims, paragraphs, cited_paragraphs, share, percent: whatever page they are on
            "direction_auto": not source.language,
        }

    def source_paragraphs(self, source: Source) -> list[dict[str, Any]]:
        """Each paragraph of a source as its page shows it: highlighted excerpts and the claims citing
        them (made once per source: the page's style reads them too)."""
        if source.id in self._paragraphs:
            return self._paragraphs[source.id]
        excerpts = self.site.excerpts_of(source.id)  # in text order
        starts = [excerpt.start for excerpt in excerpts]
        result = []
        for paragraph in source.paragraphs:
            inside = excerpts[bisect.bisect_left(starts, paragraph.start) : bisect.bisect_left(starts, paragraph.end)]
            backlinks = [{"href": "#" + excerpt.anchor, "quote": shorten(excerpt.quote),
                          "original_href": excerpt.original_url,  # the original page, scrolled to the words
                          "claims": [{"href": relative(source.url, c.url), "page": c.page.title, "number": c.number, "claim": c.claim}
                                     for c in self.site.backlinks_of(source.id, excerpt.anchor)]} for excerpt in inside]
            html, split = highlight(source.text, paragraph, list(inside))
            result.append({
                "anchor": paragraph.anchor, "line": paragraph.line, "furniture": paragraph.furniture,
                "html": html, "backlinks": backlinks, "split": split, "cited_by": self._cited_by(source, inside),
            })
        self._paragraphs = {source.id: result}
        return result

    def _cited_by(self, source: Source, excerpts: list[Excerpt]) -> list[dict[str, Any]]:
        """The claims citing a paragraph's excerpts, by page in reading order: [{"page": short label, "claims": [...]}]."""
        citations = sorted((c for e in excerpts for c in self.site.backlinks_of(source.id, e.anchor)),
                           key=lambda c: (self.site.positions[c.page.path], c.number))
        pages: dict[str, dict[str, Any]] = {}
        for c in citations:
            entry = pages.setdefault(c.page.path, {"page": c.page.menu_title, "title": c.page.title, "claims": []})
            entry["claims"].append({"href": relative(source.url, c.url), "number": c.number, "claim": c.claim})
        return list(pages.values())

    def landing_style(self, source: Source) -> Markup:
        """CSS that highlights every part of a split excerpt (see highlight) when its anchor is the
        target: one rule per split excerpt, none for the others (`:target` does it)."""
        rules = [f'.source-text:has(#{anchor}:target) mark[data-of="{anchor}"], .source-text:has(#{anchor}:target) mark[data-of="{anchor}"] mark'
                 for paragraph in self.source_paragraphs(source) for anchor in paragraph["split"]]
        return Markup(",\n".join(rules) + " { background: var(--target); color: var(--mark-fg); }" if rules else "")

    def sitemap(self) -> bytes:
        updated = {page_url(name): self.site.records[name]["updated"] for name in self.site.skeleton.order}  # (no page made for it)
        urls = [*updated] + ([] if self.site.has_home else ["index.html"])
        urls += ["sources/index.html"] + [s.url for s in self.site.sources] + list(map(corroboration_url, range(1, len(self._chunks) + 1)))
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for url in urls:
            loc = self.config.base_url + ("" if url == "index.html" else url)  # (listed only when there is a base_url)
            lastmod = f"<lastmod>{updated[url]}</lastmod>" if updated.get(url) else ""  # (the record's ISO 8601 date)
            lines.append(f"  <url><loc>{html.escape(loc, quote=False)}</loc>{lastmod}</url>")  # &, <, > as XML text needs
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def citations_json(self) -> bytes:
        lines = ",\n".join(filter(None, (self.part("citation lines", name, lambda name=name: _citation_lines(self.site.page(name)))
                                         for name in self.site.skeleton.order)))
        return ('{"citations": [\n' + lines + ("\n" if lines else "") + "]}\n").encode("utf-8")


def render_site(site: Site, inputs: Inputs, memo: Memo, sink: Sink, jobs: int = 1) -> Rendering:
    """Every file of the site with its dependency key, handed to `sink`; only the outputs whose
    key the memo does not hold for the output folder's file are made (see Renderer.render)."""
    return Renderer(site, inputs, memo).render(sink, jobs)


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder for every entry: json.dumps with options makes one per call


PARALLEL_MINIMUM = 300  # outputs; below this, starting processes costs more than it saves


def make_all(outputs: list[Output], jobs: int, sink: Sink, memo: Memo) -> list[Any]:
    """Make the outputs, in forked worker processes when `jobs` > 1 and there are enough of them,
    each handed to `sink` where it was made: (size, whether it differs from the output folder's file).
    What a worker asked of `memo`'s persisted tables comes back with its results (Memo.merge)."""
    def work(start: int, end: int) -> list[Any]:
        made = []
        for output in outputs[start:end]:
            data = output.make()
            made.append((len(data), sink.write(output.path, data)))
        return made

    if jobs < 2 or len(outputs) < PARALLEL_MINIMUM or not can_fork():
        return work(0, len(outputs))

    def journalled(start: int, end: int) -> list[Any]:  # in a worker
        memo.journal = []
        made = work(start, end)
        journal, memo.journal = memo.journal, None
        return [(made, journal)]

    made = []
    for results, journal in map_ranges(journalled, len(outputs), jobs):
        made.extend(results)
        memo.merge(journal)
    return made


def _citation_lines(page_citations: PageCitations) -> str:
    """A page's citations as citations.json lists them, one per line (easy to diff and grep)."""
    return ",\n".join(_JSON.encode({
        "page": c.page.url, "claim": c.claim, "source": c.excerpt.source.config.file,
        "quote": c.excerpt.quote, "start": c.excerpt.start, "end": c.excerpt.end, "href": c.excerpt.url,
    }) for c in page_citations.citations)


def corroboration_url(number: int) -> str:
    """The address of page `number` (from 1) of the Corroboration page."""
    return CORROBORATION if number == 1 else f"corroboration/{number}.html"


def _page_template(name: str) -> str:
    return "home.html" if name == "content/index.md" else "page.html"
