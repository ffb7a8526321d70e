"""Text as quotes see it: one folding for sources and quotes alike, offsets back to the file, lines,
word boundaries and sentences, in any script.

Folding (`fold`, `Folded`) turns a text into the form quotes are compared in, by these steps in order:

1. Default-ignorable code points are removed (Unicode `Default_Ignorable_Code_Point`: soft hyphen
   U+00AD, zero-width space U+200B, word joiner U+2060, byte-order mark U+FEFF, variation
   selectors ...), except the zero-width non-joiner U+200C and joiner U+200D, which change how
   Persian, Indic scripts and emoji read, and so must be quoted as the source has them.
2. Typographic quotes and apostrophes (“ ” „ ‟ « » ″ ‘ ’ ‚ ‛ ′ ` ´) become `"` and `'`; the dashes
   ‐ ‑ ‒ – — ― − become `-`.
3. White space (what `str.split()` splits on: spaces, tabs, line breaks, form feeds, NBSP, U+3000 ...)
   collapses: each run becomes one space, none at either end. A run between two characters of a
   script written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan, Yi, CJK
   punctuation) becomes nothing: a hard wrap inside a Japanese sentence is not a space, and a Thai
   phrase space may be typed or not.
4. Canonical composition, NFC (Unicode Standard Annex #15), cluster by cluster; presentation forms
   (ligatures such as ﬁ, Arabic contextual letter forms from PDFs) become the letters they show.

Offsets into the original text are code points of the file decoded from UTF-8 with nothing removed
(`open(f, encoding="utf-8", newline="")`): a byte-order mark and each CR count.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import regex

# What str.split() treats as white space (so the quick path, " ".join(s.split()), agrees with this one).
WHITE_SPACE_CHARS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
WHITE_SPACE = "".join(f"\\u{ord(c):04x}" for c in WHITE_SPACE_CHARS)  # as a regex character class body
_IGNORABLE = r"[\p{Default_Ignorable_Code_Point}--[\u200c\u200d]]"
# Scripts written without spaces between words, and the punctuation used with them.
_NO_SPACE = (r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}\p{Yi}"
             r"\u3000-\u303f\u30fc\uff01-\uff60\uffe0-\uffee]")

_FOLD = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u0060": "'", "\u00b4": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    **{char: " " for char in WHITE_SPACE_CHARS},
})

# Where folding changes lengths: runs of white space and ignorables (but a single white-space
# character, which folds in place, only where it stands between two no-space characters).
_RUN = regex.compile(
    rf"[{WHITE_SPACE}]*{_IGNORABLE}[{WHITE_SPACE}\p{{Default_Ignorable_Code_Point}}--[\u200c\u200d]]*"
    rf"|[{WHITE_SPACE}]{{2,}}|(?<={_NO_SPACE})[{WHITE_SPACE}](?={_NO_SPACE})", regex.V1)
_NO_SPACE_CHAR = regex.compile(_NO_SPACE, regex.V1)
# Presentation forms (Latin and Hebrew ligatures, Arabic contextual forms, as text taken from PDFs
# often has them): folded to the letters they show (NFKC), as no other compatibility form is.
_PRESENTATION = regex.compile(r"[\ufb00-\ufdff\ufe70-\ufefe]")
_SLOW = regex.compile(rf"{_IGNORABLE}|{_NO_SPACE}|[\ufb00-\ufdff\ufe70-\ufefe]", regex.V1)
_CLUSTER = regex.compile(r"\X")
_WORD_BOUNDARY = regex.compile(r"\b", regex.WORD | regex.V1)
_LINE = regex.compile(r"\r\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class OffsetMap:
    """Where each code point of a folded text came from, as pieces: piece k covers folded offsets
    [`folded[k]`, `folded[k+1]`) and original offsets from `original[k]` on, `lengths[k]` code
    points long. A piece of equal lengths maps code point to code point; any other (a run of white
    space folded to one space, a cluster composed by NFC) is atomic: it maps as a whole. Original
    code points between pieces (ignorables, a line break between no-space characters) were removed."""

    folded: tuple[int, ...]
    original: tuple[int, ...]
    lengths: tuple[int, ...]
    size: int  # folded length

    def start(self, index: int) -> int:
        """Original offset where the folded code point at `index` begins."""
        k = bisect_right(self.folded, index) - 1
        inside = index - self.folded[k]
        return self.original[k] + (inside if self._identity(k) else 0)

    def end(self, index: int) -> int:
        """Original offset where the folded range ending (exclusive) at `index` > 0 ends."""
        k = bisect_right(self.folded, index - 1) - 1
        if self._identity(k):
            return self.original[k] + index - self.folded[k]
        return self.original[k] + self.lengths[k]

    def _identity(self, k: int) -> bool:
        following = self.folded[k + 1] if k + 1 < len(self.folded) else self.size
        return following - self.folded[k] == self.lengths[k]


@dataclass(frozen=True)
class Folded:
    """A text in folded form (`text`), mapped back to the original through one or two OffsetMaps
    (the second only for texts that NFC changes)."""

    text: str
    first: OffsetMap
    composed: OffsetMap | None = None

    @classmethod
    def of(cls, original: str) -> "Folded":
        """Fold `original` (steps 1-3, then 4 where the text is not already NFC). Linear in its length."""
        text, first = _fold_runs(original)
        if unicodedata.is_normalized("NFC", text) and _PRESENTATION.search(text) is None:
            return cls(text, first)
        composed, second = _compose(text)
        return cls(composed, first, second)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) code-point offsets of the folded range [start, end), end > start."""
        if self.composed is not None:
            start, end = self.composed.start(start), self.composed.end(end)
        return self.first.start(start), self.first.end(end)


# Latin, Greek, Cyrillic and common punctuation: none is ignorable, of a script written without
# spaces, or a presentation form, so text made only of these folds by the quick path when it is NFC
# (a plain `re` class: it tests a paragraph some 40 times faster than the `regex` properties).
COMMON = "\x00-\xac\xae-\u02ff\u0370-\u052f\u2010-\u2027\u2030-\u205e"
_ONLY_COMMON = re.compile(f"[{COMMON}]*")


def fold(text: str) -> str:
    """`text` in the form quotes are compared in (see the module docstring)."""
    if (_ONLY_COMMON.fullmatch(text) is not None or _SLOW.search(text) is None) and unicodedata.is_normalized("NFC", text):
        return " ".join(text.translate(_FOLD).split())
    return Folded.of(text).text


def _fold_runs(original: str) -> tuple[str, OffsetMap]:
    translated = original.translate(_FOLD)
    lead = len(translated) - len(translated.lstrip(" "))
    tail = len(translated.rstrip(" "))
    parts: list[str] = []
    folded: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    size = 0
    cursor = lead

    def piece(text: str, at: int, length: int) -> None:
        nonlocal size
        if text:
            folded.append(size)
            origins.append(at)
            lengths.append(length)
            parts.append(text)
            size += len(text)

    for run in _RUN.finditer(original, lead, max(lead, tail)):
        begin, finish = run.span()
        piece(translated[cursor:begin], cursor, begin - cursor)
        cursor = finish
        chunk = run.group()
        if not any(char.isspace() for char in chunk):
            continue  # ignorables alone: removed
        if (begin > 0 and finish < len(original)
                and _NO_SPACE_CHAR.match(original, begin - 1) and _NO_SPACE_CHAR.match(original, finish)):
            continue  # white space (a hard wrap, a phrase space) between two no-space characters: removed
        if begin == lead or finish == tail:
            continue  # white space at either end: removed
        piece(" ", begin, finish - begin)
    piece(translated[cursor:max(cursor, tail)], cursor, max(cursor, tail) - cursor)
    return "".join(parts), OffsetMap(tuple(folded), tuple(origins), tuple(lengths), size)


def _compose(text: str) -> tuple[str, OffsetMap]:
    """NFC of a folded text, cluster by cluster (composition never crosses an extended grapheme
    cluster), with the map from composed back to folded offsets."""
    parts: list[str] = []
    folded: list[int] = []
    origins: list[int] = []
    lengths: list[int] = []
    size = 0
    cursor = 0
    for cluster in _changed_clusters(text):
        chars = cluster.group()
        if len(chars) == 1 and chars < "\u0300":
            continue
        composed = _canonical(chars)
        if composed == chars:
            continue
        begin, finish = cluster.span()
        if begin > cursor:
            folded.append(size), origins.append(cursor), lengths.append(begin - cursor), parts.append(text[cursor:begin])
            size += begin - cursor
        folded.append(size), origins.append(begin), lengths.append(finish - begin), parts.append(composed)
        size += len(composed)
        cursor = finish
    if cursor < len(text):
        folded.append(size), origins.append(cursor), lengths.append(len(text) - cursor), parts.append(text[cursor:])
        size += len(text) - cursor
    return "".join(parts), OffsetMap(tuple(folded), tuple(origins), tuple(lengths), size)


def _changed_clusters(text: str, chunk: int = 4096):  # type: ignore[no-untyped-def]
    """The extended grapheme clusters of `text` in the stretches that are not NFC (stretches end
    before a space, where no cluster continues)."""
    start = 0
    while start < len(text):
        end = text.find(" ", start + chunk)
        end = len(text) if end == -1 else end
        if not unicodedata.is_normalized("NFC", text[start:end]) or _PRESENTATION.search(text, start, end):
            yield from _CLUSTER.finditer(text, start, end)
        start = end


def _canonical(cluster: str) -> str:
    """A cluster's folded form: presentation forms as the letters they show (NFKC), then NFC."""
    if _PRESENTATION.search(cluster):
        cluster = "".join(unicodedata.normalize("NFKC", c) if _PRESENTATION.match(c) else c for c in cluster)
    return unicodedata.normalize("NFC", cluster)


def starts_spaced_word(text: str) -> bool:
    """Whether `text` begins with a word character of a script written with spaces (a letter or
    digit, not Han, kana, Thai ...): where such a word begins, a space or punctuation stands before it."""
    return bool(text) and (text[0].isalnum() or text[0] == "_") and _NO_SPACE_CHAR.match(text) is None


def is_word_boundary(text: str, index: int) -> bool:
    """Whether `index` lies on a word boundary of `text`: a Unicode default word boundary (UAX #29,
    so `8.5`, `2,000` and `can't` are one word each), or, beside a character of a script written
    without spaces, any boundary between grapheme clusters except one between two digits (so never
    before a Thai tone mark or vowel sign)."""
    if index <= 0 or index >= len(text):
        return True
    if _WORD_BOUNDARY.match(text, index) is not None:
        return True
    before, after = text[index - 1], text[index]
    if before.isdigit() and after.isdigit():
        return False
    if unicodedata.category(after)[0] == "M" or "\u200d" in (before, after):
        return False  # inside a grapheme cluster
    return _NO_SPACE_CHAR.match(before) is not None or _NO_SPACE_CHAR.match(after) is not None


def word_around(text: str, start: int, end: int, reach: int = 100) -> tuple[int, int]:
    """[start, end) widened to the nearest word boundaries on both sides, by at most `reach` code
    points each way (a "word" of a million letters is not worth showing)."""
    low, high = max(0, start - reach), min(len(text), end + reach)
    while start > low and not is_word_boundary(text, start):
        start -= 1
    while end < high and not is_word_boundary(text, end):
        end += 1
    return start, end


def line_starts(text: str) -> tuple[int, ...]:
    """Offsets where each line begins, counting lines as editors and `grep -n` do: after each `\\n`,
    `\\r\\n` or lone `\\r` (a form feed or U+2028 is not a line break)."""
    return (0, *(match.end() for match in _LINE.finditer(text)))


def line_at(starts: tuple[int, ...], offset: int) -> int:
    """The 1-based line holding code-point `offset`, given `line_starts` of the text."""
    return bisect_right(starts, offset)


def visible(text: str) -> str:
    """`text` for messages, with what a reader cannot see shown as ⟨U+XXXX⟩ after what it follows:
    invisible, format and control characters (`configu⟨U+00AD⟩ration`), and combining marks where
    they are not composed with their letter (`s⟨U+0301⟩` in text stored decomposed, or a mark with
    no letter before it). Marks that belong to their cluster as written (Thai, Devanagari, vowelled
    Arabic) are left as they are."""
    out = []
    for cluster in _CLUSTER.findall(text):
        decomposed = (unicodedata.normalize("NFC", cluster) != cluster or unicodedata.category(cluster[0])[0] == "M"
                      or cluster[0].isspace())
        for char in cluster:
            shown = _invisible(char) and (unicodedata.category(char)[0] != "M" or decomposed)
            out.append(f"⟨U+{ord(char):04X}⟩" if shown else char)
    return "".join(out)


def _invisible(char: str) -> bool:
    if char.isspace() and char in "\t\n\r\x0c ":
        return False
    category = unicodedata.category(char)
    return category in ("Mn", "Me", "Cf", "Cc", "Zl", "Zp") or (category == "Zs" and char != " ") or _IS_IGNORABLE.match(char) is not None


_IS_IGNORABLE = regex.compile(r"\p{Default_Ignorable_Code_Point}", regex.V1)


# -- direction -----------------------------------------------------------------------------------
# ISO 15924 codes of the scripts written right to left (Unicode's Bidi_Class R and AL scripts).
RIGHT_TO_LEFT_SCRIPTS = frozenset({
    "Adlm", "Arab", "Aran", "Armi", "Avst", "Chrs", "Cprt", "Elym", "Hatr", "Hebr", "Hung", "Khar", "Lydi", "Mand",
    "Mani", "Mend", "Merc", "Mero", "Narb", "Nbat", "Nkoo", "Orkh", "Ougr", "Palm", "Phli", "Phlp", "Phnx", "Prti",
    "Rohg", "Samr", "Sarb", "Sogd", "Sogo", "Syrc", "Thaa", "Yezi",
})


@lru_cache(maxsize=64)
def direction(language: str) -> str:
    """`rtl` or `ltr`: the direction of the script a BCP 47 tag names or implies (its likely script,
    from CLDR's likely subtags through `langcodes`: `ar` -> Arab -> rtl, `az-Arab` -> rtl, `ja` -> ltr)."""
    import langcodes  # loaded only for a site that names a language other than the default

    script = langcodes.Language.get(language).maximize().script
    return "rtl" if script in RIGHT_TO_LEFT_SCRIPTS else "ltr"


# -- sentences ------------------------------------------------------------------------------------
def sentence_bounds(text: str, language: str) -> list[int]:
    """Code-point offsets where sentences of `text` begin (the first is 0), by ICU's sentence break
    rules (UAX #29 with CLDR's abbreviation suppressions for `language`, so `Mr. Kim` is one
    sentence in English): `.`/`!`/`?` before a capital in any alphabet, `。！？` in CJK, `؟` in
    Arabic, `।` in Devanagari."""
    if not text:
        return [0]
    breaker = _sentence_breaker()
    bounds = [start for start, _ in breaker(text, _icu_locale(language)).segments()]
    if not text.isascii() and _ASTRAL.search(text):  # ICU counts UTF-16 code units
        units = _utf16_to_code_points(text)
        bounds = [units[b] for b in bounds]
    return bounds or [0]


@lru_cache(maxsize=1)
def _sentence_breaker():  # type: ignore[no-untyped-def]
    from icu4py.breakers import SentenceBreaker  # a large library: loaded when a claim is first needed
    return SentenceBreaker


@lru_cache(maxsize=16)
def _icu_locale(language: str) -> str:
    return language.replace("-", "_") + "@ss=standard"


def _utf16_to_code_points(text: str) -> dict[int, int]:
    units: dict[int, int] = {}
    unit = 0
    for index, char in enumerate(text):
        units[unit] = index
        unit += 2 if ord(char) > 0xFFFF else 1
    units[unit] = len(text)
    return units
