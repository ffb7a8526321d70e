"""The citation syntax `[@id "quote"]` and the matcher that finds a quote in its source."""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .errors import Location
from .scales import CREDIBILITY
from .sources import Source
from .text import fold, is_word_boundary, visible, word_around

_ID = re.compile(r"[A-Za-z0-9_-]+")
_OPTION = re.compile(r"(n|prefix|suffix|cred)=")
_DIGITS = re.compile(r"[0-9]+")
_SPACE = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"((?:[^"\\]|\\["\\]|\\(?!["\\]))*)"')  # \" and \\ are escapes; any other backslash is itself
_ESCAPE = re.compile(r'\\(["\\])')


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
        i = _SPACE.match(text, i).end()
        if not text.startswith("@", i):
            raise CitationSyntaxError(i, 'expected `@source-id "quote"` in the citation')
        start = i
        match = _ID.match(text, i + 1)
        if not match:
            raise CitationSyntaxError(i, "expected a source id after `@`")
        source_id = match.group()
        i = _SPACE.match(text, match.end()).end()
        if not text.startswith('"', i):
            raise CitationSyntaxError(i, f'expected a quote in straight double quotes after `@{source_id}`, as in [@{source_id} "exact words"]')
        quote, i = _read_string(text, i)
        if not quote.strip():
            raise CitationSyntaxError(start, f"the quote for `@{source_id}` is empty; quote the exact words the claim rests on")
        options: dict[str, object] = {}
        while True:
            j = _SPACE.match(text, i).end()
            option = _OPTION.match(text, j)
            if not option:
                break
            name = option.group(1)
            if name in options:
                raise CitationSyntaxError(j, f"option `{name}=` is given twice")
            k = option.end()
            if name in ("n", "cred"):
                digits = _DIGITS.match(text, k)
                number = int(digits.group()) if digits else 0
                if name == "n" and number < 1:
                    raise CitationSyntaxError(k, "`n=` needs a whole number of 1 or more (which occurrence of the quote)")
                if name == "cred" and not 1 <= number <= 6:
                    scale = ", ".join(f"{digit} {meaning.lower()}" for digit, meaning in CREDIBILITY.items())
                    raise CitationSyntaxError(k, f"`cred=` needs the information's credibility on the Admiralty scale, 1 to 6 ({scale})")
                options[name] = number
                i = digits.end()
            else:
                if not text.startswith('"', k):
                    raise CitationSyntaxError(k, f'`{name}=` needs text in straight double quotes, as in {name}="..."')
                value, i = _read_string(text, k)
                if not value.strip():
                    raise CitationSyntaxError(k, f"`{name}=` is empty")
                options[name] = value
        refs.append((start, source_id, quote, options))
        i = _SPACE.match(text, i).end()
        char = text[i : i + 1]
        if char == "]":
            return refs, i + 1
        if char == "[":
            raise CitationSyntaxError(i, "a citation cannot contain brackets; close it with `]` before starting another")
        if not char:
            raise CitationSyntaxError(i, "the citation is not closed; end it with `]`")
        if char != ";":
            raise CitationSyntaxError(i, f"unexpected {char!r} in the citation; separate citations with `;` and close with `]`")
        i += 1


def _read_string(text: str, i: int) -> tuple[str, int]:
    """Read a "..." string at text[i] == '"', with \\" and \\\\ escapes."""
    string = _STRING.match(text, i)
    if not string:
        raise CitationSyntaxError(i, 'the quote is not closed; end it with a straight `"` (write \\" for a quote mark inside it)')
    return _ESCAPE.sub(r"\1", string.group(1)), string.end()


@dataclass(frozen=True)
class Match:
    start: int  # code-point offsets into Source.text
    end: int


def find_quote(source: Source, ref: CitationRef) -> Match | str:
    """Locate ref.quote in the source: both folded (text.fold), the match starting and ending on word
    boundaries (text.is_word_boundary), inside one paragraph, and unique once `prefix`, `suffix` and
    `n` have chosen. A string is the reason it could not be located, for `file:line: reason`."""
    needle = fold(ref.quote)
    if not needle:
        return f'the quote for `@{ref.source_id}` is empty once invisible characters are ignored; quote the exact words the claim rests on'
    index = source.index
    haystack = index.text
    found = index.find_all(needle)
    hits = [h for h in found if is_word_boundary(haystack, h) and is_word_boundary(haystack, h + len(needle))]
    if not hits:
        if found:
            return _inside_words(source, ref, found, len(needle))
        return _not_found(source, ref, needle)
    if ref.prefix is not None:
        prefix = fold(ref.prefix)
        hits = [h for h in hits if _prefix_at(haystack, prefix, h)]
    if ref.suffix is not None:
        suffix = fold(ref.suffix)
        hits = [h for h in hits if _suffix_at(haystack, suffix, h + len(needle))]
    if not hits:
        return f'no occurrence of the quote "{_brief(ref.quote)}" in {source.id} has that prefix/suffix right beside it; check the prefix= and suffix= text (whole words)'
    if ref.occurrence is not None:
        if ref.occurrence > len(hits):
            return f'n={ref.occurrence}, but the quote "{_brief(ref.quote)}" occurs only {len(hits)} time(s) in {source.id}'
        hits = [hits[ref.occurrence - 1]]
    if len(hits) > 1:
        lines = ", ".join(str(source.line_at(index.offset(h))) for h in hits[:20]) + (", ..." if len(hits) > 20 else "")
        return (f'the quote "{_brief(ref.quote)}" occurs {len(hits)} times in {source.location.path} (lines {lines}); '
                f'quote more words, or add n=2 (which occurrence), prefix="..." or suffix="..."')
    start, end = index.span(hits[0], hits[0] + len(needle))
    paragraph = source.paragraph_at(start)
    if paragraph is None or end > paragraph.end:
        return "the quote runs across a paragraph break in the source; cite each paragraph's words separately"
    return Match(start, end)


def _prefix_at(text: str, prefix: str, at: int) -> bool:
    """Whether the folded `prefix` ends right before `at` (a space between allowed), starting on a word boundary."""
    end = at - 1 if text[at - 1 : at] == " " else at
    return bool(prefix) and text.endswith(prefix, 0, end) and is_word_boundary(text, end - len(prefix))


def _suffix_at(text: str, suffix: str, at: int) -> bool:
    """Whether the folded `suffix` starts right after `at` (a space between allowed), ending on a word boundary."""
    start = at + 1 if text[at : at + 1] == " " else at
    return bool(suffix) and text.startswith(suffix, start) and is_word_boundary(text, start + len(suffix))


def _brief(quote: str, limit: int = 60) -> str:
    """A quote as a message names it: visible, and cut after `limit` code points."""
    quote = " ".join(quote.split())
    return visible(quote if len(quote) <= limit else quote[: limit - 1] + "…")


def _inside_words(source: Source, ref: CitationRef, found: list[int], needle_length: int) -> str:
    """The message for a quote (`needle_length` code points once folded) found only where it starts
    or ends inside a word of the source."""
    index = source.index
    start, end = word_around(index.text, found[0], found[0] + needle_length)
    original = source.text[slice(*index.span(start, end))]
    line = source.line_at(index.offset(found[0]))
    others = f" (and {len(found) - 1} more place(s))" if len(found) > 1 else ""
    return (f'the quote "{_brief(ref.quote)}" occurs in {source.location.path} only inside longer words: '
            f'line {line} has "{visible(" ".join(original.split()))}"{others}; '
            f"a quote must start and end on whole words: quote the whole word")


def _not_found(source: Source, ref: CitationRef, needle: str) -> str:
    passage = closest_passage(source, needle)
    hint = ""
    if passage is not None:
        start, end = passage
        original = " ".join(source.text[start:end].split())
        kind = difference(needle, fold(original))
        hint = f'; closest passage (line {source.line_at(start)}): "{_brief(original, _HINT_LIMIT)}"' + (f" ({kind})" if kind else "")
    return f'quote not found in {source.location.path}: "{visible(ref.quote)}"{hint}; copy the words exactly as the source has them'


def difference(quote: str, passage: str) -> str:
    """Names a difference between a folded quote and a folded passage when it is of one kind only:
    letter case, a joiner (U+200C/U+200D), or compatibility forms (NFKC: full-width letters,
    ligatures, superscripts). Empty when the difference is of words."""
    if quote == passage:
        return ""
    if quote.casefold() == passage.casefold():
        return "differs only in upper/lower case"
    joiners = str.maketrans("", "", "\u200c\u200d")
    if quote.translate(joiners) == passage.translate(joiners):
        return "differs only by an invisible joiner (U+200C ZERO WIDTH NON-JOINER or U+200D ZERO WIDTH JOINER)"
    if unicodedata.normalize("NFKC", quote) == unicodedata.normalize("NFKC", passage):
        return "differs only in compatibility forms such as full-width letters or ligatures (Unicode NFKC)"
    return ""


def closest_passage(source: Source, needle: str) -> tuple[int, int] | None:
    """The source passage most like a folded quote that was not found, as original [start, end)
    code-point offsets, or None when nothing is alike. Candidates come from character n-grams of the
    quote found in the folded text (str.find, so any script, spaces or none), voted by where they
    put the quote's start; only the best few are compared in full (difflib). Bounded: at most
    `_GRAMS` n-grams, each ignored past `_HITS_PER_GRAM` occurrences, `_CANDIDATES` comparisons."""
    index = source.index
    text = index.text
    if not needle or not text:
        return None
    whole = len(needle)
    needle = needle[:_PROBE]  # a long quote is placed by its opening words: comparisons cost the square of their length
    size = max(2, min(8, len(needle) // 4))
    votes: Counter[int] = Counter()
    step = max(1, (len(needle) - size) // _GRAMS)
    bucket = max(4, len(needle) // 4)
    for offset in range(0, max(1, len(needle) - size + 1), step):
        gram = needle[offset : offset + size]
        if not gram.strip() or text.count(gram) > _HITS_PER_GRAM:
            continue  # too common to say where the quote is (counting is one fast pass)
        positions = index.scan(gram)  # overlapping ones too: at most `size` times the count
        if len(positions) > _HITS_PER_GRAM:
            continue  # too common to say where the quote is
        votes.update((position - offset) // bucket for position in positions)
    if not votes:
        return None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    best: tuple[float, int, int] = (0.0, 0, 0)
    for key, _ in votes.most_common(_CANDIDATES):
        low = max(0, key * bucket - bucket)
        high = min(len(text), key * bucket + len(needle) + 2 * bucket)
        matcher.set_seq1(text[low:high])
        blocks = [b for b in matcher.get_matching_blocks() if b.size >= min(size, 3)] or matcher.get_matching_blocks()[:1]
        first, last = blocks[0], blocks[-1]
        start = min(high, max(low, low + first.a - first.b))
        end = max(start, min(high, low + last.a - last.b + len(needle)))
        for start, end in _near_words(text, start, end):
            matcher.set_seq1(text[start:end])
            ratio = matcher.ratio()
            if ratio > best[0]:
                best = (ratio, start, end)
    if best[0] < 0.5:
        return None
    start, end = best[1], best[2]
    if whole > len(needle):
        end = word_around(text, start, min(len(text), start + whole))[1]
    return index.span(start, end)


def _near_words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) snapped to word boundaries, and with one word more or less at either end."""
    start, end = word_around(text, start, end)
    starts = {start, _word_boundary(text, start, 1), _word_boundary(text, start, -1)}
    ends = {end, _word_boundary(text, end, 1), _word_boundary(text, end, -1)}
    return [(s, e) for s in sorted(starts) for e in sorted(ends) if e > s and text[s:e].strip() == text[s:e]]


def _word_boundary(text: str, index: int, step: int) -> int:
    """The nearest word boundary past `index` going `step` (1 or -1); the text's ends are boundaries."""
    index = min(len(text), max(0, index + step))
    while not is_word_boundary(text, index):
        index += step
    return index


_PROBE = 160  # code points of a quote compared when placing a hint
_HINT_LIMIT = 300  # code points of a hint shown
_GRAMS = 64
_HITS_PER_GRAM = 200
_CANDIDATES = 8
