"""Stage 1: read each seed document byte-for-byte, split it into paragraphs, index it for quoting."""
from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import regex

from .config import Config, SourceConfig
from .errors import Location, Problem, Problems
from .text import Folded, direction, fold, line_at, line_starts, starts_spaced_word
if TYPE_CHECKING:
    from .inputs import Inputs
    from .memo import Memo, Table

_WORD = re.compile(r"\S+")
# Texts up to this many characters are scanned for each quote; longer ones get a word index.
SCAN_LIMIT = 200_000
INDEX_AFTER = 16  # quotes scanned for in a long text before its word index is built


class QuoteIndex:
    """A source text folded for quoting (text.Folded), with the ways to find a folded quote in it."""

    def __init__(self, original: str):
        self.folded = Folded.of(original)
        self.text = self.folded.text
        self.searches = 0  # quotes looked up: the word index is built only for a source quoted often

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) code-point offsets of the folded range [start, end)."""
        return self.folded.span(start, end)

    def offset(self, index: int) -> int:
        """Original offset of the folded code point at `index`."""
        return self.folded.span(index, index + 1)[0]

    @cached_property
    def word_index(self) -> dict[str, list[int]]:
        """Where each space-separated word starts, and where each part of one after punctuation
        starts, under that part (`anti-war` is also found as `war`, `(“closest` as `closest`):
        built once per source, so finding a quote costs only its rarest word's hits."""
        index: dict[str, list[int]] = {}
        for word in _WORD.finditer(self.text):
            token, start = word.group(), word.start()
            index.setdefault(token, []).append(start)
            if not token.isalnum():
                for part in _AFTER_PUNCTUATION.finditer(token):
                    index.setdefault(token[part.start():], []).append(start + part.start())
        return index

    def find_all(self, needle: str) -> list[int]:
        """Every start offset of `needle` (folded) in the folded text, overlapping ones included."""
        self.searches += 1
        if len(self.text) <= SCAN_LIMIT or needle.count(" ") < 2 or (self.searches <= INDEX_AFTER and "word_index" not in self.__dict__):
            return self.scan(needle)
        return self.lookup(needle)

    def scan(self, needle: str) -> list[int]:
        """find_all by scanning the text: fastest for texts of ordinary length."""
        hits, at = [], self.text.find(needle)
        while at != -1:
            hits.append(at)
            at = self.text.find(needle, at + 1)
        return hits

    def lookup(self, needle: str) -> list[int]:
        """find_all through the word index (needs three words or more): for long texts quoted often.
        Interior words are whole space-separated words of the text wherever the needle occurs; so is
        the first word, but for punctuation that may stand before it, which the index also leaves off."""
        words = needle.split(" ")
        index = self.word_index
        candidates = list(range(1, len(words) - 1))
        if starts_spaced_word(words[0]):  # it starts where a word of the text or a part after punctuation does
            candidates.append(0)
        best = min(candidates, key=lambda i: len(index.get(words[i], ())))
        lead = len(" ".join(words[:best])) + 1 if best else 0
        return sorted(p - lead for p in index.get(words[best], ()) if p >= lead and self.text.startswith(needle, p - lead))


_AFTER_PUNCTUATION = regex.compile(r"(?<=[^\w])\w")  # where a part of a word begins after punctuation


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: int  # code-point offsets into Source.text
    end: int
    line: int
    anchor: str
    furniture: bool


class Source:
    """One seed: its entry in site.yaml, its text (str, code points), the sha256 of its bytes and its
    paragraphs. A deferred source (`Source.deferred`) reads its file only when its text or
    paragraphs are first asked for. Two sources are equal when their entries and bytes are."""

    def __init__(self, config: SourceConfig, text: str, sha256: str, paragraphs: tuple[Paragraph, ...]):
        self.config = config
        self.sha256 = sha256
        self.text = text
        self.paragraphs = paragraphs

    @classmethod
    def deferred(cls, config: SourceConfig, sha256: str, read: Callable[[], str], split: Callable[[str], tuple[Paragraph, ...]]) -> Source:
        """A source whose file is read (`read()`, raising BuildError if it changed since it was
        digested) only when its text is first asked for, and split (`split(text)`) only when its
        paragraphs are."""
        source = cls.__new__(cls)
        source.config, source.sha256, source._read, source._split = config, sha256, read, split
        return source

    @cached_property
    def text(self) -> str:
        return self._read()

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return self._split(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and (self.config, self.sha256) == (other.config, other.sha256) and (
            self.sha256 or self.text == other.text)

    def __hash__(self) -> int:
        return hash((self.config.id, self.sha256))

    def __repr__(self) -> str:
        return f"Source({self.config.id!r}, sha256={self.sha256[:12]!r})"

    @cached_property
    def index(self) -> QuoteIndex:
        """The folded text that quotes are matched in, made when a quote must be looked up."""
        return QuoteIndex(self.text)

    @cached_property
    def misses(self) -> dict[tuple, str]:
        """Why quotes were not found here, by (quote, n, prefix, suffix), so a build looks for each
        wrong quote once (the hint for a misquote costs a search of the whole text)."""
        return {}

    @cached_property
    def line_starts(self) -> tuple[int, ...]:
        """Offsets where the text's lines begin (text.line_starts)."""
        return line_starts(self.text)

    def line_at(self, offset: int) -> int:
        """The 1-based line of code-point `offset`, as editors and `grep -n` number lines."""
        return line_at(self.line_starts, offset)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def title(self) -> str:
        return self.config.title

    @property
    def language(self) -> str | None:
        """The document's BCP 47 language tag, when site.yaml gives one (else it is the site's)."""
        return self.config.language

    @property
    def direction(self) -> str | None:
        """`rtl` or `ltr` for a document with a language, from its script; None when none is given."""
        return direction(self.config.language) if self.config.language else None

    @property
    def url(self) -> str:
        return f"sources/{self.config.id}.html"

    @property
    def file_url(self) -> str:
        """The published copy of the seed, under a name no server gives an active type: a seed
        named essay.html or map.svg is published as essay.html.txt (text/plain), never as a page."""
        from .urls import published_name  # here: the import lines above change often

        return f"sources/files/{published_name(self.config.file)}"

    @property
    def location(self) -> Location:
        return Location(f"seeds/{self.config.file}")

    def paragraph_at(self, offset: int) -> Paragraph | None:
        position = bisect_right(self._paragraph_starts, offset) - 1
        if position >= 0 and offset < self.paragraphs[position].end:
            return self.paragraphs[position]
        return None

    @cached_property
    def _paragraph_starts(self) -> list[int]:
        return [paragraph.start for paragraph in self.paragraphs]


def load_sources(config: Config, inputs: Inputs, memo: Memo, problems: Problems) -> tuple[Source, ...]:
    """Every seed site.yaml lists, in its order. A source is a unit of the memo ("source", kept in
    memory) under its settings and the digest of its bytes, so the preview reuses it with its index
    built; its paragraphs are a unit too ("layout", by the bytes' digest and the paragraph rule),
    and what loading it found wrong ("seed check", plain data, by the settings and the digest): a
    seed loaded well before is read only when its text is needed (Source.deferred)."""
    unit = (inputs.config, tuple(inputs.seeds.items()))  # all of them: one look-up in the preview ("sources", kept in memory)
    sources, found = memo.get("sources", unit, lambda: _load_sources(config, inputs, memo), keeps=("source", "seed check", "layout"))
    problems.items.extend(found)
    return sources


def _load_sources(config: Config, inputs: Inputs, memo: Memo) -> tuple[tuple[Source, ...], list[Problem]]:
    problems = Problems()
    sources = []
    layouts, checks = memo.table("layout"), memo.table("seed check")
    for source_config in config.sources:
        digest = inputs.seeds.get(f"seeds/{source_config.file}")
        key = (source_config, digest)
        found = memo.table("source").get(key)
        check = f"{inputs.config} {source_config.id} {digest}"
        known = checks.get(check)
        if found is None and known is not None:
            path = config.seeds_dir / source_config.file
            found = (Source.deferred(source_config, str(digest), lambda c=source_config, p=path, d=digest: _reread(p, c, d),
                                     lambda text, c=source_config, d=digest: _paragraphs(text, str(d), c, Problems(), layouts)),
                     [Problem(Location(path_, line), message, warning) for path_, line, message, warning in known])
        if found is None:
            own = Problems()
            found = (load_source(config.seeds_dir / source_config.file, source_config, own, layouts), own.items)
            if found[0] is not None and found[0].sha256 == digest:  # the bytes read are the bytes digested
                memo.table("source")[key] = found
                checks[check] = [[p.location.path, p.location.line, p.message, p.warning] for p in own.items]
        problems.items.extend(found[1])
        if found[0] is not None:
            sources.append(found[0])
    return tuple(sources), problems.items


def _reread(path: Path, source_config: SourceConfig, sha256: str) -> str:
    """A deferred source's text, from its file (BuildError if its bytes are not the ones digested)."""
    problems = Problems()
    where = Location(f"seeds/{source_config.file}")
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    text = decode_seed(data, where, problems) if hashlib.sha256(data).hexdigest() == sha256 else None
    if text is None:
        problems.error(where, "the seed changed while the site was being built; build again")
        problems.check()
    return text  # type: ignore[return-value]


def load_source(path: Path, source_config: SourceConfig, problems: Problems, layouts: Table | None = None) -> Source | None:
    """One seed, decoded and split into paragraphs (taken from `layouts` by its bytes when there)."""
    where = Location(f"seeds/{source_config.file}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(source_config.location, f"cannot read seeds/{source_config.file}: {exc.strerror}")
        return None
    text = decode_seed(data, where, problems)
    if text is None:
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    paragraphs = _paragraphs(text, sha256, source_config, problems, layouts)
    if not paragraphs:
        problems.error(Location(where.path, 1), "the source is empty; a seed must contain the document's text")
        return None
    return Source(source_config, text, sha256, paragraphs)


def _paragraphs(text: str, sha256: str, source_config: SourceConfig, problems: Problems, layouts: Table | None) -> tuple[Paragraph, ...]:
    """A seed's paragraphs (taken from `layouts` by its bytes' digest when there), its furniture marked; () for none."""
    key = f"{sha256} {source_config.paragraphs}"  # the bytes and the paragraph rule
    if layouts is not None and key in layouts:
        paragraphs = tuple(Paragraph(index, start, end, line, anchor, False) for index, (start, end, line, anchor) in enumerate(layouts[key]))
    else:
        paragraphs = split_paragraphs(text, source_config.paragraphs)
        if layouts is not None and paragraphs:
            layouts[key] = [[p.start, p.end, p.line, p.anchor] for p in paragraphs]
    return _mark_furniture(text, paragraphs, source_config, problems) if paragraphs else ()


def decode_seed(data: bytes, where: Location, problems: Problems) -> str | None:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.error(Location(where.path, line), "the file contains a NUL byte, so it is binary, not text; save the document as UTF-8 text")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.error(Location(where.path, line), f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save the document as UTF-8")
        return None


_BREAKS = re.compile(r"\r\n|\r|\n|\f")
_BLANK = regex.compile(r"[\s\p{Default_Ignorable_Code_Point}]*", regex.V1)


def split_paragraphs(text: str, mode: str) -> tuple[Paragraph, ...]:
    """Paragraph spans, each numbered by the line it starts on (text.line_starts: `\n`, `\r\n`, lone
    `\r`). `lines`: each non-blank line is a paragraph; `blank-lines`: each block of non-blank lines
    between blank ones. In both, a form feed (a page break in text from PDFs) ends a paragraph
    without being a line. A byte-order mark at the start belongs to no paragraph. A line holding only
    white space and invisible characters is blank. Linear in the text's length."""
    spans: list[tuple[int, int, int]] = []  # start, end, line
    line_no = 1
    block: tuple[int, int, int] | None = None
    position = 1 if text.startswith("\ufeff") else 0
    for breaker in (*_BREAKS.finditer(text, position), None):
        content = text[position : breaker.start() if breaker else len(text)]
        blank = not content or _BLANK.fullmatch(content)
        if not blank:
            start = position + (len(content) - len(content.lstrip()))
            end = position + len(content.rstrip())
            if mode == "lines":
                spans.append((start, end, line_no))
            else:
                block = (block[0], end, block[2]) if block else (start, end, line_no)
        page_end = breaker is None or breaker.group() == "\f"  # a page break ends the paragraph, as the text's end does
        if block and (blank or page_end):
            spans.append(block)
            block = None
        if not page_end:
            line_no += 1
        position = breaker.end() if breaker else len(text)
    anchors: dict[str, int] = {}
    paragraphs = []
    for index, (start, end, line) in enumerate(spans):
        # Anchors come from the paragraph's own words, so editing another paragraph never moves them.
        anchor = "p-" + hashlib.sha1(fold(text[start:end]).encode()).hexdigest()[:8]
        anchors[anchor] = anchors.get(anchor, 0) + 1
        if anchors[anchor] > 1:
            anchor += f"-{anchors[anchor]}"
        paragraphs.append(Paragraph(index, start, end, line, anchor, False))
    return tuple(paragraphs)


def _mark_furniture(text: str, paragraphs: tuple[Paragraph, ...], source_config: SourceConfig, problems: Problems) -> tuple[Paragraph, ...]:
    if not source_config.furniture:
        return paragraphs
    by_text = {fold(item.text): item for item in source_config.furniture if item.text is not None}
    by_line = {item.line: item for item in source_config.furniture if item.line is not None}
    items = [by_line.get(p.line) or (by_text.get(fold(text[p.start : p.end])) if by_text else None) for p in paragraphs]
    used = {id(item) for item in items if item is not None}
    for item in source_config.furniture:
        if id(item) not in used:
            what = f"line {item.line}" if item.line is not None else repr(item.text)
            problems.error(item.location, f"furniture {what} is not a paragraph of seeds/{source_config.file}; copy the whole line exactly, or give its line number")
    return tuple(replace(paragraph, furniture=item is not None) for paragraph, item in zip(paragraphs, items))
