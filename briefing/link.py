"""Stage 3: resolve every citation to an excerpt of its source, number them, and gather backlinks."""
from __future__ import annotations

import hashlib
from functools import cached_property
from dataclasses import dataclass

from .citations import CitationRef, Match, find_quote
from .config import Config
from .content import CitationUse, Page
from .errors import Location, Problems
from .sources import Source, normalize


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
    resolved = []
    for page in _ordered(config, pages):
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
        resolved.append(PageCitations(page, tuple(citations)))
    by_source: dict[str, list[Excerpt]] = {source.id: [] for source in sources}
    for excerpt in sorted(excerpts.values(), key=lambda e: (e.start, e.end)):
        by_source[excerpt.source.id].append(excerpt)
    backlinks: dict[tuple[str, str], list[Citation]] = {}
    for page_citations in resolved:
        for citation in page_citations.citations:
            backlinks.setdefault((citation.excerpt.source.id, citation.excerpt.anchor), []).append(citation)
    return Site(config, sources, tuple(resolved), {k: tuple(v) for k, v in by_source.items()},
                {k: tuple(v) for k, v in backlinks.items()})


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
    match = find_quote(source, ref)
    if not isinstance(match, Match):
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
    return f"{paragraph.anchor if paragraph else 'x'}-q{hashlib.sha1(normalize(source.text[start:end]).encode()).hexdigest()[:6]}"


def _anchor(source_id: str, base: str, start: int, end: int, taken: dict[tuple[str, str], tuple[int, int]]) -> str:
    """The base anchor, numbered when another excerpt of the same source already has it."""
    anchor, n = base, 1
    while (source_id, anchor) in taken and taken[(source_id, anchor)] != (start, end):
        n += 1
        anchor = f"{base}-{n}"
    taken[(source_id, anchor)] = (start, end)
    return anchor


def _check_links(page: Page, slugs: dict[str, Page], problems: Problems) -> None:
    for href, location in page.links:
        target = href.split("#", 1)[0]
        slug = target.rsplit("/", 1)[-1][: -len(".md")]
        if "/" in target.lstrip("./") or slug not in slugs:
            problems.error(location, f"link to {target!r}, but there is no such page in content/; link to one of {', '.join(sorted(s + '.md' for s in slugs))}")
