"""Stage 3: resolve every citation to an excerpt of its source, number them, and gather backlinks."""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from functools import cached_property
from dataclasses import dataclass

from .citations import CitationRef, Match, find_quote
from .config import Config
from .provenance import original_link
from .content import CitationUse, Page
from .errors import Location, Problems
from .grading import page_facts
from .sources import Source
from .text import fold


@dataclass(frozen=True)
class Excerpt:
    """A cited span of a source, with its stable anchor on the source page."""

    source: Source
    start: int
    end: int
    anchor: str

    @property
    def quote(self) -> str:
        return self.source.text[self.start : self.end]

    @property
    def url(self) -> str:
        return f"{self.source.url}#{self.anchor}"

    @property
    def original_url(self) -> str | None:
        """The original scrolled to these words (a text fragment; a PDF's page), for a source with a `url`."""
        return original_link(self.source.config, self.source.text, self.start, self.end)


@dataclass(frozen=True)
class Citation:
    """A numbered citation on a page, pointing at one excerpt."""

    page: Page
    number: int
    excerpt: Excerpt
    claim: str
    location: Location

    @property
    def anchor(self) -> str:
        return f"cite-{self.number}"

    @property
    def url(self) -> str:
        return f"{self.page.url}#{self.anchor}"


@dataclass(frozen=True)
class PageCitations:
    page: Page
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Site:
    config: Config
    sources: tuple[Source, ...]
    pages: tuple[PageCitations, ...]  # home first, then topics in site.yaml order, then other pages
    excerpts: dict[str, tuple[Excerpt, ...]]  # by source id, in text order
    backlinks: dict[tuple[str, str], tuple[Citation, ...]]  # (source id, excerpt anchor) -> citations

    @cached_property
    def home(self) -> PageCitations | None:
        return next((p for p in self.pages if p.page.slug == "index"), None)

    @cached_property
    def topics(self) -> tuple[PageCitations, ...]:
        return tuple(p for p in self.pages if p.page.slug in self.config.topics)

    @cached_property
    def other_pages(self) -> tuple[PageCitations, ...]:
        return tuple(p for p in self.pages if p.page.slug != "index" and p.page.slug not in self.config.topics)

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each page's place in `pages`, by path."""
        return {p.page.path: index for index, p in enumerate(self.pages)}

    @cached_property
    def menu(self) -> tuple[PageCitations, ...]:
        """The navigation: topics, then the pages site.yaml lists under `pages` (a large site lists the rest on its home page)."""
        by_slug = {p.page.slug: p for p in self.pages}
        return tuple(by_slug[slug] for slug in (*self.config.topics, *self.config.pages) if slug in by_slug)



def link(config: Config, sources: tuple[Source, ...], pages: tuple[Page, ...], problems: Problems,
         quotes: dict[str, list] | None = None, used: set[str] | None = None) -> Site:
    """Resolve every citation. `quotes` (from the build cache, updated in place) remembers where each
    quote was found in a source with given bytes, so an unchanged citation is not searched again;
    `used` receives the keys of the entries this site needs."""
    by_id = {source.id: source for source in sources}
    known = {source_config.id for source_config in config.sources}
    slugs = {page.slug: page for page in pages}
    for slug in (*config.topics, *config.pages):
        already_reported = any(p.location.path == f"content/{slug}.md" for p in problems.errors)
        if slug not in slugs and not already_reported:
            key, where = ("topics", config.topics_location) if slug in config.topics else ("pages", config.pages_location)
            problems.error(where, f"`{key}` lists `{slug}`, which has no page; create content/{slug}.md or remove it from `{key}`")
    excerpts: dict[tuple[str, int, int], Excerpt] = {}
    anchors: dict[tuple[str, str], tuple[int, int]] = {}
    resolved = [_link_page(page, by_id, known, slugs, excerpts, anchors, problems, quotes, used) for page in _ordered(config, pages)]
    by_source: dict[str, list[Excerpt]] = {source.id: [] for source in sources}
    for excerpt in sorted(excerpts.values(), key=lambda e: (e.start, e.end)):
        by_source[excerpt.source.id].append(excerpt)
    backlinks: dict[tuple[str, str], list[Citation]] = {}
    for page_citations in resolved:
        for citation in page_citations.citations:
            backlinks.setdefault((citation.excerpt.source.id, citation.excerpt.anchor), []).append(citation)
    return Site(config, sources, tuple(resolved), {k: tuple(v) for k, v in by_source.items()},
                {k: tuple(v) for k, v in backlinks.items()})


def link_page(config: Config, sources: dict[str, Source], page: Page, slugs: Collection[str],
              anchors: Iterable[tuple[str, str, int, int]], problems: Problems, quotes: dict[str, list] | None = None) -> PageCitations:
    """Link one page of a site whose other pages are as they were. `sources` holds the sources it
    cites; `anchors`, as (source id, anchor, start, end), those its excerpts had in that site (an
    excerpt that is new may collide with another page's and be numbered differently there: compare
    `facts` to find out)."""
    taken = {(source_id, anchor): (start, end) for source_id, anchor, start, end in anchors}
    known = {source_config.id for source_config in config.sources}
    return _link_page(page, sources, known, slugs, {}, taken, problems, quotes, None)


def _link_page(page: Page, by_id: dict[str, Source], known: Collection[str], slugs: Collection[str],
               excerpts: dict[tuple[str, int, int], Excerpt], anchors: dict[tuple[str, str], tuple[int, int]],
               problems: Problems, quotes: dict[str, list] | None, used: set[str] | None) -> PageCitations:
    """A page's citations, numbered, each with its excerpt (shared through `excerpts` with the
    pages linked before it, and anchored apart from theirs through `anchors`)."""
    _check_links(page, slugs, problems)
    citations = []
    for use in page.citations:
        ref = use.ref
        source = by_id.get(ref.source_id)
        if source is None:
            if ref.source_id not in known:  # a known id whose file failed to load was reported already
                problems.error(ref.location, f"unknown source `@{ref.source_id}`; known ids are {', '.join(sorted(known)) or '(none)'} (see `sources` in site.yaml)")
            continue
        place = _locate(source, ref, quotes, used)
        if isinstance(place, str):
            problems.error(ref.location, place)
            continue
        start, end, base = place
        key = (source.id, start, end)
        if key not in excerpts:
            excerpts[key] = Excerpt(source, start, end, _anchor(source.id, base, start, end, anchors))
        citations.append(Citation(page, len(citations) + 1, excerpts[key], use.claim, ref.location))
    return PageCitations(page, tuple(citations))


def facts(page_citations: PageCitations) -> list:
    """What the outputs of other pages and of sources read of a page, as plain data: while these
    stay as they were, a change to the page changes its own output only."""
    page = page_citations.page
    return [(page.title, page.menu_title), page.summary, page.order, page.updated.isoformat() if page.updated else None,
            [[c.excerpt.source.id, c.excerpt.start, c.excerpt.end, c.excerpt.anchor, c.claim] for c in page_citations.citations],
            page_facts(page)]


def with_pages(site: Site, linked: dict[str, PageCitations]) -> Site:
    """The site with some pages (by path) linked again (`link_page`), their titles, summaries,
    orders and dates as they were, and nothing else changed:
    their sources' excerpts and backlinks made again from the other pages' citations and theirs.
    As a whole link would make it, where `anchored_alike` holds for each page."""
    pages = tuple(linked.get(p.page.path, p) for p in site.pages)
    before = [p for p in site.pages if p.page.path in linked]
    gone = {id(c) for p in before for c in p.citations}
    position = site.positions  # the pages keep their places: their titles and order are as they were
    excerpts, backlinks = dict(site.excerpts), dict(site.backlinks)
    for source_id in {c.excerpt.source.id for p in (*before, *linked.values()) for c in p.citations}:
        cited: dict[tuple[str, str], list[Citation]] = {}
        spans: dict[tuple[int, int], Excerpt] = {}
        for excerpt in site.excerpts.get(source_id, ()):
            key = (source_id, excerpt.anchor)
            kept = [c for c in backlinks.pop(key, ()) if id(c) not in gone]
            if kept:
                cited[key], spans[(excerpt.start, excerpt.end)] = kept, excerpt
        for citation in (c for p in linked.values() for c in p.citations if c.excerpt.source.id == source_id):
            cited.setdefault((source_id, citation.excerpt.anchor), []).append(citation)
            spans.setdefault((citation.excerpt.start, citation.excerpt.end), citation.excerpt)
        for key, citations in cited.items():
            backlinks[key] = tuple(sorted(citations, key=lambda c: (position[c.page.path], c.number)))
        excerpts[source_id] = tuple(sorted(spans.values(), key=lambda e: (e.start, e.end)))
    new = Site(site.config, site.sources, pages, excerpts, backlinks)
    new.__dict__["positions"] = position  # as the cached property would store it
    return new


def anchored_alike(site: Site, before: PageCitations, after: PageCitations) -> bool:
    """Whether a page linked again (`after`, seeded with the anchors of its sources' excerpts in
    `site`) has the anchors a whole link would give it, and whether its old excerpts (`before`)
    leave the others' as they were: so when every excerpt involved has its plain anchor, and no
    other excerpt of its source shares that anchor's words and paragraph (a numbered anchor)."""
    for citation in (*before.citations, *after.citations):
        excerpt = citation.excerpt
        base = _anchor_base(excerpt.source, excerpt.start, excerpt.end)
        if excerpt.anchor != base or any(e.anchor.startswith(base + "-") for e in site.excerpts.get(excerpt.source.id, ())):
            return False
    return True


def quote_key(source: Source, ref: CitationRef) -> str:
    """What a quote's location depends on: the source's bytes and paragraphs, the quote and its options."""
    return "\x00".join((source.sha256, source.config.paragraphs, ref.quote, str(ref.occurrence), str(ref.prefix), str(ref.suffix)))


def locate_quotes(sources: dict[str, Source], uses: tuple[CitationUse, ...]) -> dict[str, list]:
    """Where the quotes of some citations lie, by quote_key (those found; `link` reports the others)."""
    quotes: dict[str, list] = {}
    for use in uses:
        source = sources.get(use.ref.source_id)
        if source is not None:
            _locate(source, use.ref, quotes)
    return quotes


def _locate(source: Source, ref: CitationRef, quotes: dict[str, list] | None, used: set[str] | None = None) -> tuple[int, int, str] | str:
    """(start, end, anchor base) of the quote in its source, or what is wrong."""
    key = quote_key(source, ref) if quotes is not None else None
    if used is not None and key is not None:
        used.add(key)
    if quotes is not None and key in quotes:
        start, end, base = quotes[key]
        return start, end, base
    wrong = (ref.quote, ref.occurrence, ref.prefix, ref.suffix)
    if wrong in source.misses:  # the same wrong quote, already looked for (in the pages' parsing)
        return source.misses[wrong]
    match = find_quote(source, ref)
    if not isinstance(match, Match):
        source.misses[wrong] = match
        return match
    place = (match.start, match.end, _anchor_base(source, match.start, match.end))
    if quotes is not None:
        quotes[key] = list(place)
    return place


def _ordered(config: Config, pages: tuple[Page, ...]) -> list[Page]:
    topic_rank = {slug: rank for rank, slug in enumerate(config.topics)}

    def rank(page: Page) -> tuple[int, int, int, str]:
        if page.slug == "index":
            return (0, 0, 0, "")
        if page.slug in topic_rank:
            return (1, topic_rank[page.slug], 0, "")
        return (2, 0, page.order, page.title.lower())

    return sorted(pages, key=rank)


def _anchor_base(source: Source, start: int, end: int) -> str:
    """Anchor = paragraph anchor + hash of the quoted words: stable while those words stay put."""
    paragraph = source.paragraph_at(start)
    return f"{paragraph.anchor if paragraph else 'x'}-q{hashlib.sha1(fold(source.text[start:end]).encode()).hexdigest()[:6]}"


def _anchor(source_id: str, base: str, start: int, end: int, taken: dict[tuple[str, str], tuple[int, int]]) -> str:
    """The base anchor, numbered when another excerpt of the same source already has it."""
    anchor, n = base, 1
    while (source_id, anchor) in taken and taken[(source_id, anchor)] != (start, end):
        n += 1
        anchor = f"{base}-{n}"
    taken[(source_id, anchor)] = (start, end)
    return anchor


def _check_links(page: Page, slugs: Collection[str], problems: Problems) -> None:
    for href, location in page.links:
        target = href.split("#", 1)[0]
        slug = target.rsplit("/", 1)[-1][: -len(".md")]
        if "/" in target.lstrip("./") or slug not in slugs:
            problems.error(location, f"link to {target!r}, but there is no such page in content/; link to one of {', '.join(sorted(s + '.md' for s in slugs))}")
