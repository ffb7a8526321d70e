"""Stage 3: resolve every citation to an excerpt of its source, number them, and gather backlinks."""
from __future__ import annotations

import hashlib
from collections.abc import Collection
from functools import cached_property
from dataclasses import dataclass
from typing import Any

from .citations import CitationRef, Match, find_quote
from .config import Config
from .provenance import original_link
from .content import CitationUse, Page, Pages
from .errors import Location, Problem, Problems
from .memo import Memo, Table, fingerprint
from .sources import Source
from .text import fold
from .urls import page_slug


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


class Skeleton:
    """The link stage's result, as the memo keeps it (plain data, each page's and each source's part
    one string, so that it loads fast and is parsed only for what a build asks of it):

    - `order`: the page names in reading order;
    - `cites(name)`: per citation of a page, (source id, start, end, anchor, index of the citation in
      the page's record);
    - `excerpts_of(source id)`: per excerpt of a source, in text order, (start, end, anchor,
      ((page name, citation number), ...));
    - `citing_pages(source id)`: the pages citing a source, in reading order;
    - `count`: how many citations the site has."""

    def __init__(self, data: dict[str, Any], key: str):
        self.data = data
        self.key = key  # the link unit's key: the settings, the seeds, and what linking reads of every page
        self.order: list[str] = data["order"]
        self.count: int = data["count"]
        self._cites: dict[str, list[tuple[str, int, int, str, int]]] = {}
        self._excerpts: dict[str, list[tuple[int, int, str, tuple[tuple[str, int], ...]]]] = {}

    @classmethod
    def of(cls, order: list[str], cites: dict[str, list[tuple[str, int, int, str, int]]],
           excerpts: dict[str, list[tuple[int, int, str, list[tuple[str, int]]]]]) -> dict[str, Any]:
        """The plain form of a skeleton."""
        position = {name: index for index, name in enumerate(order)}
        return {"order": order, "count": sum(map(len, cites.values())),
                "citing": {sid: "\x1e".join(sorted({name for *_, citing in entries for name, _ in citing}, key=position.__getitem__))
                           for sid, entries in excerpts.items()},
                "citations": {name: "\x1e".join(f"{sid}\x1f{start}\x1f{end}\x1f{anchor}\x1f{use}" for sid, start, end, anchor, use in own)
                              for name, own in cites.items()},
                "by_source": {sid: "\x1e".join(f"{start}\x1f{end}\x1f{anchor}\x1f" + "\x1c".join(f"{name}\x1d{number}" for name, number in citing)
                                               for start, end, anchor, citing in entries) for sid, entries in excerpts.items()}}

    def cites(self, name: str) -> list[tuple[str, int, int, str, int]]:
        found = self._cites.get(name)
        if found is None:
            text = self.data["citations"][name]
            found = self._cites[name] = [(sid, int(start), int(end), anchor, int(use)) for sid, start, end, anchor, use in
                                         (entry.split("\x1f") for entry in text.split("\x1e"))] if text else []
        return found

    def excerpts_of(self, source_id: str) -> list[tuple[int, int, str, tuple[tuple[str, int], ...]]]:
        found = self._excerpts.get(source_id)
        if found is None:
            text = self.data["by_source"].get(source_id, "")
            found = self._excerpts[source_id] = [
                (int(start), int(end), anchor, tuple((pair.split("\x1d")[0], int(pair.split("\x1d")[1])) for pair in citing.split("\x1c") if pair))
                for start, end, anchor, citing in (entry.split("\x1f") for entry in text.split("\x1e"))] if text else []
        return found

    def citing_pages(self, source_id: str) -> list[str]:
        """The names of the pages citing a source, in reading order."""
        text = self.data["citing"].get(source_id, "")
        return text.split("\x1e") if text else []

    def count_of(self, name: str) -> int:
        """How many citations page `name` has."""
        text = self.data["citations"][name]
        return text.count("\x1e") + 1 if text else 0

    def cited_sources(self) -> list[str]:
        """The ids of the sources with excerpts."""
        return [sid for sid, text in self.data["by_source"].items() if text]


class Site:
    """The linked site: its sources, its pages in reading order (home first, then topics in
    site.yaml order, then other pages) with their numbered citations, each source's excerpts in
    text order and the citations of each excerpt (backlinks).

    It is a view of the link stage's plain result (`skeleton`): a page's Page, Citation and Excerpt
    objects are made when something first asks for that page, so a build that renders one page
    makes the objects of that page and of the pages its outputs show, not of all."""

    def __init__(self, config: Config, sources: tuple[Source, ...], skeleton: Skeleton, pages: Pages, memo: Memo, key: str):
        self.config = config
        self.sources = sources
        self.skeleton = skeleton
        self.records = pages.records  # page name -> record (content.page_record), in file order
        self.groups = pages.units  # the groups of pages (content.Pages.units)
        self.key = key  # digests everything the site holds but the pages' bodies (see link())
        self._pages = pages
        self._memo = memo
        self._by_id = {source.id: source for source in sources}
        self._linked: dict[str, PageCitations] = {}
        self._excerpts: dict[tuple[str, int, int], Excerpt] = {}
        self._source_backlinks: dict[str, dict[str, tuple[Citation, ...]]] = {}

    def page(self, name: str) -> PageCitations:
        """The page `name` ("content/treaty.md") with its citations. A unit of the memo ("linked",
        kept in memory) by the page, its citations' places and anchors and the sources they cite,
        so the preview hands out the same PageCitations while a page links alike, and what rendering
        computed of it (by its identity) holds."""
        linked = self._linked.get(name)
        if linked is None:
            page = self._pages.page(name)
            cites = self.skeleton.cites(name)
            cited = tuple(self._by_id[c[0]] for c in cites)
            key = (id(page), tuple(cites), tuple(map(id, cited)))  # the value keeps page and sources alive: ids are not reused
            linked = self._memo.get("linked", key, lambda: (page, cited, PageCitations(page, tuple(
                Citation(page, number, self._excerpt(sid, start, end, anchor), page.citations[use].claim)
                for number, (sid, start, end, anchor, use) in enumerate(cites, 1)))))[2]
            for citation in linked.citations:  # one Excerpt object for each excerpt
                self._excerpts.setdefault((citation.excerpt.source.id, citation.excerpt.start, citation.excerpt.end), citation.excerpt)
            self._linked[name] = linked
        return linked

    def _excerpt(self, source_id: str, start: int, end: int, anchor: str) -> Excerpt:
        excerpt = self._excerpts.get((source_id, start, end))
        if excerpt is None:
            excerpt = self._excerpts[(source_id, start, end)] = Excerpt(self._by_id[source_id], start, end, anchor)
        return excerpt

    def excerpts_of(self, source_id: str) -> tuple[Excerpt, ...]:
        """The excerpts of a source, in text order (none for a source nothing cites, or an unknown id)."""
        return tuple(self._excerpt(source_id, start, end, anchor) for start, end, anchor, _ in self.skeleton.excerpts_of(source_id))

    def backlinks_of(self, source_id: str, anchor: str) -> tuple[Citation, ...]:
        """The citations of one excerpt (by its source's id and its anchor), in reading order."""
        found = self._source_backlinks.get(source_id)
        if found is None:
            found = self._source_backlinks[source_id] = {
                entry[2]: tuple(self.page(name).citations[number - 1] for name, number in entry[3])
                for entry in self.skeleton.excerpts_of(source_id)}
        return found.get(anchor, ())

    @property
    def citation_count(self) -> int:
        return self.skeleton.count

    @property
    def has_home(self) -> bool:
        """Whether content/index.md is a page (without making it)."""
        return "content/index.md" in self.positions

    @cached_property
    def topic_names(self) -> tuple[str, ...]:
        """The topics' page names, in reading order."""
        topics = set(self.config.topics)
        return tuple(name for name in self.skeleton.order if page_slug(name) in topics)

    @cached_property
    def other_names(self) -> tuple[str, ...]:
        """The names of the pages that are neither the home page nor a topic, in reading order."""
        known = {"index", *self.config.topics}
        return tuple(name for name in self.skeleton.order if page_slug(name) not in known)

    @property
    def pages(self) -> tuple[PageCitations, ...]:
        """Every page in reading order, each made now if it was not yet."""
        return tuple(map(self.page, self.skeleton.order))

    @property
    def topics(self) -> tuple[PageCitations, ...]:
        return tuple(map(self.page, self.topic_names))

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each page's place in `pages`, by path."""
        return {name: index for index, name in enumerate(self.skeleton.order)}


def link(config: Config, sources: tuple[Source, ...], pages: Pages, problems: Problems, memo: Memo, settings: str) -> Site:
    """Resolve every citation: a unit of the memo ("skeleton", plain data, so `python build.py`
    keeps it) under a key that digests what linking reads: the settings (`settings`, inputs.Inputs.config),
    each source's bytes, and of each page its links and the citations' sources, quotes and lines,
    its title and order (`record_facts`, by group of pages: content.Pages.groups). A claim or prose edit leaves the key as it was; then nothing
    is linked again. Where each quote lies in its source is a unit too ("quote", by `quote_key`).

    The skeleton: `order`, the page names in reading order; `citations`, per page
    [source id, start, end, anchor, index of the citation in the page's record] for each citation;
    `by_source`, per source id [start, end, anchor, [[page name, citation number], ...]] for each
    excerpt in text order. Its problems are errors, reported again while the key holds."""
    failed = sorted({problem.location.path for problem in problems.errors})  # pages already reported (by the same inputs)
    linked, shown = zip(*pages.groups) if pages.groups else ((), ())
    key = fingerprint(settings, [(s.id, s.sha256) for s in sources], linked, failed)
    skeleton, found = memo.get("skeleton", key, lambda: _link(config, sources, pages, memo.table("quote"), set(failed)), keeps=("quote",))
    problems.items.extend(Problem(Location(path, line), message) for path, line, message in found)
    skeleton = Skeleton(skeleton, key)
    unit = (key, tuple(pages.keys.values()), tuple(map(id, sources)))
    return memo.get("site", unit, lambda: (sources, Site(config, sources, skeleton, pages, memo, fingerprint(key, shown))),
                    keeps=("linked",))[1]


def record_facts(record: dict[str, Any]) -> list[str]:
    """Two digests of a page's record (a unit of the memo, "facts", by the record's key): what
    linking reads (its title and order, its links, each citation's source, quote, line and
    options), and what other pages and outputs show of it (all of the record but its warnings, its
    body's length and the lines of its judgments). A prose edit changes neither."""
    return [fingerprint(record["title"], record["order"], record["links"], [citation[:6] for citation in record["citations"]]),
            fingerprint(record["title"], record["summary"], record["order"], record["menu_title"], record["updated"],
                        [citation[6:] for citation in record["citations"]], [judgment[:-1] for judgment in record["judgments"]])]


def _link(config: Config, sources: tuple[Source, ...], pages: Pages, quotes: Table, failed: set[str]) -> tuple[dict[str, Any], list]:
    problems = Problems()
    by_id = {source.id: source for source in sources}
    known = {source_config.id for source_config in config.sources}
    slugs = {page_slug(name) for name in pages.records}
    for slug in (*config.topics, *config.pages):
        if slug not in slugs and f"content/{slug}.md" not in failed:
            key, where = ("topics", config.topics_location) if slug in config.topics else ("pages", config.pages_location)
            problems.error(where, f"`{key}` lists `{slug}`, which has no page; create content/{slug}.md or remove it from `{key}`")
    excerpts: dict[tuple[str, int, int], list] = {}  # -> [start, end, anchor, [[page name, citation number], ...]]
    anchors: set[tuple[str, str]] = set()  # (source id, anchor) of each excerpt
    order = _ordered(config, pages.records)
    citations: dict[str, list[list]] = {}
    for name in order:
        record = pages.records[name]
        _check_links(name, record["links"], slugs, problems)
        cites = citations[name] = []
        for index, (source_id, quote, line, occurrence, prefix, suffix, _, credibility) in enumerate(record["citations"]):
            ref = CitationRef(source_id, quote, Location(name, line), occurrence, prefix, suffix, credibility)
            source = by_id.get(source_id)
            if source is None:
                if source_id not in known:  # a known id whose file failed to load was reported already
                    problems.error(ref.location, f"unknown source `@{source_id}`; known ids are {', '.join(sorted(known)) or '(none)'} (see `sources` in site.yaml)")
                continue
            place = _locate(source, ref, quotes)
            if isinstance(place, str):
                problems.error(ref.location, place)
                continue
            start, end, base = place
            entry = excerpts.get((source_id, start, end))
            if entry is None:
                entry = excerpts[(source_id, start, end)] = [start, end, _anchor(source_id, base, anchors), []]
            cites.append([source_id, start, end, entry[2], index])
            entry[3].append([name, len(cites)])
    by_source: dict[str, list] = {source.id: [] for source in sources}
    for (source_id, _, _), entry in sorted(excerpts.items(), key=lambda item: (item[0][1], item[0][2])):
        by_source[source_id].append(entry)
    return (Skeleton.of(order, citations, by_source),
            [[p.location.path, p.location.line, p.message] for p in problems.items])


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
        return tuple(found)
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


def _ordered(config: Config, records: dict[str, dict[str, Any]]) -> list[str]:
    """Page names in reading order: home, topics in site.yaml's order, then the others by `order` and title."""
    first = {slug: rank for rank, slug in enumerate(config.topics)} | {"index": -1}

    def rank(name: str) -> tuple[int, int, int, str]:
        slug = page_slug(name)
        if slug in first:
            return (0, first[slug], 0, "")
        return (1, 0, records[name]["order"], records[name]["title"].lower())

    return sorted(records, key=rank)


def _anchor_base(source: Source, start: int, end: int) -> str:
    """Anchor = paragraph anchor + hash of the quoted words: stable while those words stay put."""
    paragraph = source.paragraph_at(start)
    return f"{paragraph.anchor if paragraph else 'x'}-q{hashlib.sha1(fold(source.text[start:end]).encode()).hexdigest()[:6]}"


def _anchor(source_id: str, base: str, taken: set[tuple[str, str]]) -> str:
    """The base anchor of a new excerpt, numbered when another excerpt of the same source already has it."""
    anchor, n = base, 1
    while (source_id, anchor) in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add((source_id, anchor))
    return anchor


def _check_links(name: str, links: list[list], slugs: Collection[str], problems: Problems) -> None:
    for href, line in links:
        target = href.split("#", 1)[0]
        slug = target.rsplit("/", 1)[-1][: -len(".md")]
        if "/" in target.lstrip("./") or slug not in slugs:
            problems.error(Location(name, line), f"link to {target!r}, but there is no such page in content/; link to one of {', '.join(sorted(s + '.md' for s in slugs))}")
