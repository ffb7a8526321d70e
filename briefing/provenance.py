"""Where a seed came from: the kept original checked against site.yaml, and links into the original page.

A text fragment (`#:~:text=`, WICG "URL Fragment Text Directives") makes the browser open the
original page scrolled to the cited words and highlight them.
"""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from .config import Config, SourceConfig
from .errors import Problems

CONTEXT_WORDS = 4  # at most this many words of prefix and of suffix to tell repeated words apart


def check_originals(config: Config, problems: Problems) -> None:
    """Warn (at the `sha256` line of site.yaml) for each kept original that is missing or whose
    SHA-256 differs from the one recorded when it was added."""
    for source in config.sources:
        provenance = source.provenance
        if provenance is None or provenance.original is None or provenance.sha256 is None:
            continue
        path = config.seeds_dir / provenance.original
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            problems.warn(provenance.location, f"seeds/{provenance.original}, the original of `{source.id}`, is missing; "
                                               "restore it (git checkout seeds/), or remove `original:` and `sha256:`")
            continue
        if digest != provenance.sha256:
            problems.warn(provenance.location, f"seeds/{provenance.original}, the original of `{source.id}`, has changed since it was added "
                                               f"(SHA-256 {digest[:12]}…, site.yaml has {provenance.sha256[:12]}…); restore it, or "
                                               f"check the seed with `python build.py add --refresh {source.id}`")


def original_files(config: Config) -> list[str]:
    """The kept originals site.yaml names, as file names in seeds/ (read by the build, never published)."""
    return [s.provenance.original for s in config.sources if s.provenance is not None and s.provenance.original is not None]


def original_link(source: SourceConfig, text: str, start: int, end: int) -> str | None:
    """Where a reader sees text[start:end] in the original, for a source with a `url`, else None:
    for a kept PDF the page it lies on (`#page=N`, counting the form feeds before it: PDF viewers
    know no text fragments), for anything else a text fragment (text_fragment_url)."""
    if not source.url:
        return None
    provenance = source.provenance
    if provenance is not None and provenance.original is not None and provenance.original.lower().endswith(".pdf"):
        return f"{source.url.split('#', 1)[0]}#page={text.count(chr(12), 0, start) + 1}"
    return text_fragment_url(source, text, start, end)


def text_fragment_url(source: SourceConfig, text: str, start: int, end: int) -> str | None:
    """The source's `url` with a text fragment selecting text[start:end], or None without a `url`.

    The words are compared as a browser does (case-insensitively, white space collapsed); where
    they occur more than once in `text`, up to CONTEXT_WORDS words before (`prefix-,`) and after
    (`,-suffix`) are added until they single this occurrence out.
    """
    if not source.url:
        return None
    # The words as the page has them (a browser folds no quotes or dashes), white space collapsed.
    words = " ".join(text[start:end].split())
    before, after = text[:start].split(), text[end:].split()
    haystack = " ".join(text.split()).casefold()
    prefix = suffix = ""
    for count in range(0, CONTEXT_WORDS + 1):
        prefix = " ".join(before[max(0, len(before) - count):]) if count else ""
        suffix = " ".join(after[:count]) if count else ""
        needle = " ".join(part for part in (prefix, words, suffix) if part).casefold()
        if haystack.count(needle) <= 1:
            break
    directive = ",".join(part for part in (prefix and _encode(prefix) + "-", _encode(words), suffix and "-" + _encode(suffix)) if part)
    return f"{source.url.split('#', 1)[0]}#:~:text={directive}"


def _encode(words: str) -> str:
    """Percent-encoded for a text directive: everything but letters, digits and `._~`; `-`, `,`
    and `&` are the directive's own syntax, so they are encoded too."""
    return quote(words, safe="").replace("-", "%2D")
