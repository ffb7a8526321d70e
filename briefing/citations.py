"""The citation syntax `[@id "quote"]` and the matcher that finds a quote in its source."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .errors import Location
from .scales import CREDIBILITY
from .sources import Source, normalize

_ID = re.compile(r"[A-Za-z0-9_-]+")
_OPTION = re.compile(r"(n|prefix|suffix|cred)=")
_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class CitationRef:
    """One citation as the author wrote it: which source, which words, how to disambiguate."""

    source_id: str
    quote: str
    location: Location
    occurrence: int | None = None
    prefix: str | None = None
    suffix: str | None = None
    credibility: int | None = None  # Admiralty information credibility, 1-6 (`cred=`)


class CitationSyntaxError(ValueError):
    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse_citation(text: str, pos: int) -> tuple[list[tuple[int, str, str, dict[str, object]]], int]:
    """Parse `[@id "quote" opt=...; @id2 "..."]` starting at text[pos] == "[".

    Returns ([(offset, source_id, quote, options)], end) or raises CitationSyntaxError.
    """
    assert text.startswith("[@", pos)
    refs = []
    i = pos + 1
    while True:
        i = _skip_space(text, i)
        if i >= len(text) or text[i] != "@":
            raise CitationSyntaxError(i, 'expected `@source-id "quote"` in the citation')
        start = i
        match = _ID.match(text, i + 1)
        if not match:
            raise CitationSyntaxError(i, "expected a source id after `@`")
        source_id = match.group()
        i = _skip_space(text, match.end())
        if i >= len(text) or text[i] != '"':
            raise CitationSyntaxError(i, f'expected a quote in straight double quotes after `@{source_id}`, as in [@{source_id} "exact words"]')
        quote, i = _read_string(text, i)
        if not quote.strip():
            raise CitationSyntaxError(start, f"the quote for `@{source_id}` is empty; quote the exact words the claim rests on")
        options: dict[str, object] = {}
        while True:
            j = _skip_space(text, i)
            option = _OPTION.match(text, j)
            if not option:
                break
            name = option.group(1)
            if name in options:
                raise CitationSyntaxError(j, f"option `{name}=` is given twice")
            k = option.end()
            if name == "n":
                digits = _DIGITS.match(text, k)
                if not digits or int(digits.group()) < 1:
                    raise CitationSyntaxError(k, "`n=` needs a whole number of 1 or more (which occurrence of the quote)")
                options[name] = int(digits.group())
                i = digits.end()
            elif name == "cred":
                digits = _DIGITS.match(text, k)
                if not digits or not 1 <= int(digits.group()) <= 6:
                    scale = ", ".join(f"{digit} {meaning.lower()}" for digit, meaning in CREDIBILITY.items())
                    raise CitationSyntaxError(k, f"`cred=` needs the information's credibility on the Admiralty scale, 1 to 6 ({scale})")
                options[name] = int(digits.group())
                i = digits.end()
            else:
                if k >= len(text) or text[k] != '"':
                    raise CitationSyntaxError(k, f'`{name}=` needs text in straight double quotes, as in {name}="..."')
                value, i = _read_string(text, k)
                if not value.strip():
                    raise CitationSyntaxError(k, f"`{name}=` is empty")
                options[name] = value
        refs.append((start, source_id, quote, options))
        i = _skip_space(text, i)
        if i < len(text) and text[i] == ";":
            i += 1
            continue
        if i < len(text) and text[i] == "]":
            return refs, i + 1
        if i < len(text) and text[i] == "[":
            raise CitationSyntaxError(i, "a citation cannot contain brackets; close it with `]` before starting another")
        if i >= len(text):
            raise CitationSyntaxError(i, "the citation is not closed; end it with `]`")
        raise CitationSyntaxError(i, f"unexpected {text[i]!r} in the citation; separate citations with `;` and close with `]`")


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _read_string(text: str, i: int) -> tuple[str, int]:
    """Read a "..." string at text[i] == '"', with \\" and \\\\ escapes."""
    out = []
    j = i + 1
    while j < len(text):
        char = text[j]
        if char == "\\" and j + 1 < len(text) and text[j + 1] in '"\\':
            out.append(text[j + 1])
            j += 2
            continue
        if char == '"':
            return "".join(out), j + 1
        out.append(char)
        j += 1
    raise CitationSyntaxError(i, 'the quote is not closed; end it with a straight `"` (write \\" for a quote mark inside it)')


@dataclass(frozen=True)
class Match:
    start: int
    end: int


def find_quote(source: Source, ref: CitationRef) -> Match | str:
    """Locate ref.quote in the source; a string is the reason it could not be located."""
    needle = normalize(ref.quote)
    haystack = source.index.text
    hits = source.index.find_all(needle)
    if not hits:
        return _not_found(source, ref, needle)
    if ref.prefix is not None:
        prefix = normalize(ref.prefix)
        hits = [h for h in hits if haystack[:h].rstrip().endswith(prefix)]
    if ref.suffix is not None:
        suffix = normalize(ref.suffix)
        hits = [h for h in hits if haystack[h + len(needle):].lstrip().startswith(suffix)]
    if not hits:
        return f"no occurrence of the quote in {source.id} has that prefix/suffix right beside it; check the prefix= and suffix= text"
    if ref.occurrence is not None:
        if ref.occurrence > len(hits):
            return f"n={ref.occurrence}, but the quote occurs only {len(hits)} time(s) in {source.id}"
        hits = [hits[ref.occurrence - 1]]
    if len(hits) > 1:
        lines = ", ".join(str(_line_of(source, source.index.offset(h))) for h in hits)
        return (f"the quote occurs {len(hits)} times in {source.location.path} (lines {lines}); "
                f'quote more words, or add n=2 (which occurrence), prefix="..." or suffix="..."')
    start, end = source.index.span(hits[0], hits[0] + len(needle))
    paragraph = source.paragraph_at(start)
    if paragraph is None or end > paragraph.end:
        return "the quote runs across a paragraph break in the source; cite each paragraph's words separately"
    return Match(start, end)


def _line_of(source: Source, offset: int) -> int:
    return source.text.count("\n", 0, offset) + 1


def _not_found(source: Source, ref: CitationRef, needle: str) -> str:
    passage, line = closest_passage(source, needle)
    hint = f'; closest passage (line {line}): "{passage}"' if passage else ""
    return f"quote not found in {source.location.path}: \"{ref.quote}\"{hint}; copy the words exactly as the source has them"


def closest_passage(source: Source, needle: str) -> tuple[str, int]:
    """The run of source words most like the quote (as the source spells it), for the not-found hint."""
    words_needed = max(1, len(needle.split()))
    best = (0.0, "", 0)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    for paragraph in source.paragraphs:
        words = [m.span() for m in _WORD.finditer(source.text, paragraph.start, paragraph.end)]
        for span in sorted({max(1, min(len(words), words_needed + d)) for d in (-1, 0, 1)}):
            for i in range(0, max(1, len(words) - span + 1)):
                original = source.text[words[i][0] : words[i + span - 1][1]]
                matcher.set_seq1(normalize(original))
                if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
                    continue
                ratio = matcher.ratio()
                if ratio > best[0]:
                    best = (ratio, original, paragraph.line)
    return (" ".join(best[1].split()), best[2]) if best[0] >= 0.5 else ("", 0)
