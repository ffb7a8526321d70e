"""Stage 1: read each seed document byte-for-byte, split it into paragraphs, index it for quoting."""
from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from functools import cached_property
from dataclasses import dataclass
from pathlib import Path

from .config import Config, SourceConfig
from .errors import Location, Problems

# Typographic variants that an author may type differently from the source; everything else must match.
_FOLD = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u0060": "'", "\u00b4": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
})


_WORD = re.compile(r"\S+")
_COLLAPSE = re.compile(r"\s{2,}")
# Texts up to this many characters are scanned for each quote; longer ones get a word index.
SCAN_LIMIT = 200_000


def normalize(text: str) -> str:
    """The form quotes are compared in: typographic quotes, apostrophes and dashes folded, white space collapsed."""
    return " ".join(text.translate(_FOLD).split())


@dataclass(frozen=True)
class NormalizedText:
    """A normalised copy of a text, mapped back to the original by runs: folding keeps lengths, so
    offsets shift only where white space collapses, and a run boundary list locates any offset."""

    text: str
    run_starts: tuple[int, ...]  # normalised offsets where a run begins (sorted, first is 0)
    run_shifts: tuple[int, ...]  # original offset minus normalised offset within that run

    @classmethod
    def of(cls, original: str) -> "NormalizedText":
        folded = original.translate(_FOLD)
        text = " ".join(folded.split())
        # Offsets shift only where white space is dropped: at the start, and where a run of two or
        # more white-space characters becomes one space (a single one is replaced in place).
        removed = len(folded) - len(folded.lstrip())  # original offset minus normalised offset, so far
        starts, shifts = [0], [removed]
        for run in _COLLAPSE.finditer(folded, removed, len(folded.rstrip())):
            begin, end = run.span()
            removed += end - begin - 1
            starts.append(end - removed)  # the first character after the run
            shifts.append(removed)
        return cls(text, tuple(starts), tuple(shifts))

    def offset(self, index: int) -> int:
        """Original offset of the normalised character at `index`."""
        return index + self.run_shifts[bisect_right(self.run_starts, index) - 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) offsets of the normalised range [start, end)."""
        return self.offset(start), self.offset(end - 1) + 1

    @cached_property
    def word_index(self) -> dict[str, list[int]]:
        """Where each word starts: built once per source, so finding a quote costs only its rarest word's hits."""
        index: dict[str, list[int]] = {}
        for word in _WORD.finditer(self.text):
            index.setdefault(word.group(), []).append(word.start())
        return index

    def find_all(self, needle: str) -> list[int]:
        """Every start offset of `needle` (normalised) in the text, overlapping ones included."""
        if len(self.text) <= SCAN_LIMIT or needle.count(" ") < 2:
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
        """find_all through the word index (needs three words or more): for long texts quoted often."""
        words = needle.split(" ")
        # Interior words are whole words of the text wherever the needle occurs.
        interior = range(1, len(words) - 1)
        index = self.word_index
        best = min(interior, key=lambda i: len(index.get(words[i], ())))
        lead = len(" ".join(words[:best])) + 1
        return [p - lead for p in index.get(words[best], ()) if p >= lead and self.text.startswith(needle, p - lead)]


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: int  # code-point offsets into Source.text
    end: int
    line: int
    anchor: str
    furniture: bool


@dataclass(frozen=True)
class Source:
    config: SourceConfig
    text: str
    sha256: str
    paragraphs: tuple[Paragraph, ...]

    @cached_property
    def index(self) -> NormalizedText:
        """The normalised text that quotes are matched in, made when a quote must be looked up."""
        return NormalizedText.of(self.text)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def title(self) -> str:
        return self.config.title

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


def load_sources(config: Config, problems: Problems, known: tuple[Source, ...] = (),
                 layouts: dict[str, list[list]] | None = None) -> tuple[Source, ...]:
    """Every seed site.yaml lists. A `known` source (from the preview's last build) with the same
    settings and the same bytes is reused as it is, with its index already built. `layouts` (from
    the build cache, updated in place) holds the paragraphs earlier builds found in each seed's bytes."""
    reusable = {(source.config, source.sha256): source for source in known}
    sources = []
    for source_config in config.sources:
        path = config.seeds_dir / source_config.file
        if reusable:
            try:
                same = reusable.get((source_config, hashlib.sha256(path.read_bytes()).hexdigest()))
            except OSError:
                same = None
            if same is not None:
                sources.append(same)
                continue
        source = load_source(path, source_config, problems, layouts)
        if source is not None:
            sources.append(source)
    return tuple(sources)


def layout_key(sha256: str, mode: str) -> str:
    return f"{sha256} {mode}"


def load_source(path: Path, source_config: SourceConfig, problems: Problems, layouts: dict[str, list[list]] | None = None) -> Source | None:
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
    key = layout_key(sha256, source_config.paragraphs)
    if layouts is not None and key in layouts:
        paragraphs = tuple(Paragraph(index, start, end, line, anchor, False) for index, (start, end, line, anchor) in enumerate(layouts[key]))
    else:
        paragraphs = split_paragraphs(text, source_config.paragraphs)
        if layouts is not None and paragraphs:
            layouts[key] = [[p.start, p.end, p.line, p.anchor] for p in paragraphs]
    if not paragraphs:
        problems.error(Location(where.path, 1), "the source is empty; a seed must contain the document's text")
        return None
    paragraphs = _mark_furniture(text, paragraphs, source_config, problems)
    return Source(source_config, text, sha256, paragraphs)


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


def split_paragraphs(text: str, mode: str) -> tuple[Paragraph, ...]:
    """Paragraph spans: each non-blank line ("lines"), or each block between blank lines ("blank-lines")."""
    spans: list[tuple[int, int, int]] = []  # start, end, line
    offset = 0
    line_no = 0
    block: tuple[int, int, int] | None = None
    for raw_line in text.splitlines(keepends=True):
        line_no += 1
        content = raw_line.rstrip("\r\n")
        stripped = content.strip()
        if stripped:
            start = offset + (len(content) - len(content.lstrip()))
            end = offset + len(content.rstrip())
            if mode == "lines":
                spans.append((start, end, line_no))
            else:
                block = (block[0], end, block[2]) if block else (start, end, line_no)
        elif block:
            spans.append(block)
            block = None
        offset += len(raw_line)
    if block:
        spans.append(block)
    anchors: dict[str, int] = {}
    paragraphs = []
    for index, (start, end, line) in enumerate(spans):
        # Anchors come from the paragraph's own words, so editing another paragraph never moves them.
        anchor = "p-" + hashlib.sha1(normalize(text[start:end]).encode()).hexdigest()[:8]
        anchors[anchor] = anchors.get(anchor, 0) + 1
        if anchors[anchor] > 1:
            anchor += f"-{anchors[anchor]}"
        paragraphs.append(Paragraph(index, start, end, line, anchor, False))
    return tuple(paragraphs)


def _mark_furniture(text: str, paragraphs: tuple[Paragraph, ...], source_config: SourceConfig, problems: Problems) -> tuple[Paragraph, ...]:
    by_text = {normalize(item.text): item for item in source_config.furniture if item.text is not None}
    by_line = {item.line: item for item in source_config.furniture if item.line is not None}
    used: set[int] = set()
    marked = []
    if not source_config.furniture:
        return paragraphs
    for paragraph in paragraphs:
        item = by_line.get(paragraph.line) or (by_text.get(normalize(text[paragraph.start : paragraph.end])) if by_text else None)
        if item is not None:
            used.add(id(item))
        marked.append(Paragraph(paragraph.index, paragraph.start, paragraph.end, paragraph.line, paragraph.anchor, item is not None))
    for item in source_config.furniture:
        if id(item) not in used:
            what = f"line {item.line}" if item.line is not None else repr(item.text)
            problems.error(item.location, f"furniture {what} is not a paragraph of seeds/{source_config.file}; copy the whole line exactly, or give its line number")
    return tuple(marked)
