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
from .memo import Memo, Table
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



def link(config: Config, sources: tuple[Source, ...], pages: tuple[Page, ...], problems: Problems, memo: Memo, key: str) -> Site:
    """Resolve every citation. The linked site is a unit of the memo ("site", kept in memory) under
    `key`, a digest of the settings, pages and seeds (inputs.Inputs.model). Where each quote lies
    in its source is one too ("quote", by `quote_key`), so an unchanged citation is not searched
    again; and each page linked ("linked", kept in memory: by the page and its citations' places
    and anchors), so the preview hands out the same PageCitations while a page links alike, and
    what rendering computed of it (by its identity) holds."""
    failed = {problem.location.path for problem in problems.errors}  # pages already reported (by the same inputs)
    site, found = memo.get("site", key, lambda: _link(config, sources, pages, memo, failed))
    problems.items.extend(found)
    return site


def _link(config: Config, sources: tuple[Source, ...], pages: tuple[Page, ...], memo: Memo, failed: set[str]) -> tuple[Site, list]:
    problems = Problems()
    by_id = {source.id: source for source in sources}
    known = {source_config.id for source_config in config.sources}
    slugs = {page.slug: page for page in pages}
    for slug in (*config.topics, *config.pages):
        already_reported = f"content/{slug}.md" in failed
        if slug not in slugs and not already_reported:
            key, where = ("topics", config.topics_location) if slug in config.topics else ("pages", config.pages_location)
            problems.error(where, f"`{key}` lists `{slug}`, which has no page; create content/{slug}.md or remove it from `{key}`")
    excerpts: dict[tuple[str, int, int], Excerpt] = {}
    anchors: dict[tuple[str, str], tuple[int, int]] = {}
    quotes = memo.table("quote")
    resolved = [_link_page(page, by_id, known, slugs, excerpts, anchors, problems, quotes, memo) for page in _ordered(config, pages)]
    by_source: dict[str, list[Excerpt]] = {source.id: [] for source in sources}
    for excerpt in sorted(excerpts.values(), key=lambda e: (e.start, e.end)):
        by_source[excerpt.source.id].append(excerpt)
    backlinks: dict[tuple[str, str], list[Citation]] = {}
    for page_citations in resolved:
        for citation in page_citations.citations:
            backlinks.setdefault((citation.excerpt.source.id, citation.excerpt.anchor), []).append(citation)
    return Site(config, sources, tuple(resolved), {k: tuple(v) for k, v in by_source.items()},
                {k: tuple(v) for k, v in backlinks.items()}), problems.items


def _link_page(page: Page, by_id: dict[str, Source], known: Collection[str], slugs: Collection[str],
               excerpts: dict[tuple[str, int, int], Excerpt], anchors: dict[tuple[str, str], tuple[int, int]],
               problems: Problems, quotes: Table, memo: Memo) -> PageCitations:
    """A page's citations, numbered, each with its excerpt (shared through `excerpts` with the
    pages linked before it, and anchored apart from theirs through `anchors`). A unit of the memo
    ("linked", kept in memory) by the page and the sources it cites, taken while its excerpts
    are still anchored as they were among the pages linked before it."""
    _check_links(page, slugs, problems)
    cited = tuple(by_id.get(use.ref.source_id) for use in page.citations)
    unit = (id(page), tuple(map(id, cited)))  # the value keeps page and sources alive, so their ids are not reused
    before = memo.table("linked").get(unit)
    if before is not None and _anchored_alike(before[1], before[2], excerpts, anchors):
        return before[1]
    errors = len(problems.errors)
    places, bases = [], []
    for use, source in zip(page.citations, cited):
        ref = use.ref
        if source is None:
            if ref.source_id not in known:  # a known id whose file failed to load was reported already
                problems.error(ref.location, f"unknown source `@{ref.source_id}`; known ids are {', '.join(sorted(known)) or '(none)'} (see `sources` in site.yaml)")
            continue
        place = _locate(source, ref, quotes)
        if isinstance(place, str):
            problems.error(ref.location, place)
            continue
        start, end, base = place
        key = (source.id, start, end)
        if key not in excerpts:
            excerpts[key] = Excerpt(source, start, end, _anchor(source.id, base, start, end, anchors))
        places.append((excerpts[key], use))
        bases.append(base)
    linked = PageCitations(page, tuple(Citation(page, number, excerpt, use.claim, use.ref.location) for number, (excerpt, use) in enumerate(places, 1)))
    if len(problems.errors) == errors:  # a page with errors is linked again, so they are reported again
        memo.table("linked")[unit] = (page, linked, bases, cited)
    return linked


def _anchored_alike(linked: PageCitations, bases: list[str], excerpts: dict[tuple[str, int, int], Excerpt],
                    anchors: dict[tuple[str, str], tuple[int, int]]) -> bool:
    """Whether a page linked before gets the same anchors among the pages linked before it now
    (they are numbered in page order); its excerpts are then taken into `excerpts`."""
    for citation, base in zip(linked.citations, bases):
        excerpt = citation.excerpt
        key = (excerpt.source.id, excerpt.start, excerpt.end)
        known = excerpts.get(key)
        if known is None:
            if _anchor(excerpt.source.id, base, excerpt.start, excerpt.end, anchors) != excerpt.anchor:
                return False
            excerpts[key] = excerpt
        elif known.anchor != excerpt.anchor:
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


def _locate(source: Source, ref: CitationRef, quotes: Table | dict[str, list]) -> tuple[int, int, str] | str:
    """(start, end, anchor base) of the quote in its source, or what is wrong."""
    key = quote_key(source, ref)
    found = quotes.get(key)
    if found is not None:
        start, end, base = found
        return start, end, base
    wrong = (ref.quote, ref.occurrence, ref.prefix, ref.suffix)
    if wrong in source.misses:  # the same wrong quote, already looked for (in the pages' parsing)
        return source.misses[wrong]
    match = find_quote(source, ref)
    if not isinstance(match, Match):
        source.misses[wrong] = match
        return match
    place = (match.start, match.end, _anchor_base(source, match.start, match.end))
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
