"""Exports other tools read: every citation as a W3C Web Annotation, the sources as CSL-JSON.

Both are pure functions of what they are given (rendering calls them, the annotations one page at a
time; writing writes their bytes).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .config import Config, SourceConfig
from .grading import credibility_of, grade_meaning, group_of
from .link import Citation, PageCitations
from .scales import RELIABILITY

ANNOTATIONS = "annotations.jsonld"
CSL = "sources.csl.json"
ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT_CHARS = 32  # code points of prefix and suffix in each TextQuoteSelector
CSL_TYPES = {  # `kind` in site.yaml -> CSL item type
    "news report": "article-newspaper", "news": "article-newspaper", "article": "article",
    "commentary": "article", "opinion": "article", "analysis": "report", "report": "report",
    "aggregator": "webpage", "web page": "webpage", "blog post": "post-weblog", "speech": "speech",
    "interview": "interview", "book": "book", "dataset": "dataset",
}
_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%d %b %Y", "%B %Y", "%Y")


def annotation_lines(page: PageCitations, base: str, language: str, document: str = ANNOTATIONS) -> str:
    """A page's citations as W3C Web Annotations, as annotations.jsonld lists them: one JSON object
    a line ("" for none); `base` is the site's base_url, `language` its BCP 47 tag. Each targets
    the source file as published (`sources/files/NAME`, absolute when `base_url` is set) with a
    TextQuoteSelector (exact, prefix, suffix: up to 32 code points each side) and a
    TextPositionSelector (start, end: code-point offsets into the file's text, as Python reads it
    with newline=""); its body is the claim (its id the citation marker on the page), and, where
    the source or citation is graded, a second body with the grade in words. Each annotation's id
    is `document`, the file holding it (annotations_url), with a fragment naming the citation."""
    return ",\n".join(_COMPACT.encode(_annotation(citation, base, language, document)) for citation in page.citations)


def annotations_url(number: int) -> str:
    """The address of page `number` (from 1) of annotations.jsonld's AnnotationCollection: the first
    is inside the collection's own file, the others beside it (`annotations-2.jsonld` ...), so that
    the site-relative addresses they hold resolve against them as against the collection."""
    return ANNOTATIONS if number == 1 else f"annotations-{number}.jsonld"


def annotation_page(config: Config, number: int, count: int, start: int, lines: list[str], total: int) -> bytes:
    """Page `number` of `count` of annotations.jsonld's AnnotationCollection (JSON-LD, context
    `http://www.w3.org/ns/anno.jsonld`; W3C Web Annotation Data Model, section 5: Collections and
    Pages), holding `lines` (some pages' `annotation_lines`, in reading order), the first of them
    `start` annotations from the collection's first, which holds `total`. The first page is
    inside the collection's file, `annotations.jsonld` (with `last` when there are more); each
    other is a file of its own, `annotations-N.jsonld`, `partOf` it, linked `prev` and `next`."""
    base = config.base_url

    def page_id(other: int) -> str:
        return f"{base}{ANNOTATIONS}#page-1" if other == 1 else f"{base}{annotations_url(other)}"

    items = ",\n".join(line for line in lines if line)
    page: dict[str, Any] = {"@context": ANNO_CONTEXT} if number > 1 else {}
    page.update({"id": page_id(number), "type": "AnnotationPage"})
    if number > 1:
        page.update({"partOf": f"{base}{ANNOTATIONS}", "prev": page_id(number - 1)})
    if number < count:
        page["next"] = page_id(number + 1)
    page.update({"startIndex": start, "items": _Encoded("[\n" + items + "\n]" if items else "[]")})
    if number > 1:
        return _json(page)
    collection = {"@context": ANNO_CONTEXT, "id": f"{base}{ANNOTATIONS}", "type": "AnnotationCollection", "label": f"Citations of {config.title}",
                  "total": total, "first": page}
    if count > 1:
        collection["last"] = page_id(count)
    return _json(collection)


def _annotation(citation: Citation, base: str, language: str, document: str) -> dict[str, Any]:
    excerpt = citation.excerpt
    text = excerpt.source.text
    source = excerpt.source.config
    credibility = credibility_of(citation)
    body: list[dict[str, Any]] = [{"id": f"{base}{citation.url}", "type": "TextualBody", "purpose": "commenting",
                                   "value": citation.claim, "format": "text/plain", "language": language}]
    if source.reliability or credibility is not None:
        body.append({"type": "TextualBody", "purpose": "assessing", "value": grade_meaning(source, credibility), "format": "text/plain"})
    return {
        "id": f"{base}{document}#{citation.page.slug}-{citation.anchor}",
        "type": "Annotation",
        "motivation": "commenting",
        "body": body if len(body) > 1 else body[0],
        "target": {
            "source": f"{base}{excerpt.source.file_url}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": excerpt.quote,
                 "prefix": text[max(0, excerpt.start - CONTEXT_CHARS) : excerpt.start],
                 "suffix": text[excerpt.end : excerpt.end + CONTEXT_CHARS]},
                {"type": "TextPositionSelector", "start": excerpt.start, "end": excerpt.end},
            ],
        },
    }


def csl(config: Config) -> bytes:
    """The sources as CSL-JSON (what Zotero exports and Pandoc or Quarto `--citeproc` read): one
    item per source with only what site.yaml states: title, author (as a literal name), publisher,
    date, URL, kind (as `genre`), and in `note` its reliability grade and the group it shares with
    other sources."""
    by_group = group_of(config)
    shared = {key for key in by_group.values() if list(by_group.values()).count(key) > 1}
    return _json([_csl_item(source, by_group[source.id] if by_group[source.id] in shared else None) for source in config.sources])


def _csl_item(source: SourceConfig, group: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": source.id, "type": CSL_TYPES.get((source.kind or "").lower(), "document"), "title": source.title}
    if source.author:
        item["author"] = [{"literal": source.author}]
    if source.publisher:
        item["publisher"] = source.publisher
    if source.date:
        item["issued"] = _csl_date(source.date)
    if source.url:
        item["URL"] = source.url
    if source.kind:
        item["genre"] = source.kind
    notes = []
    if source.reliability:
        grade = f"Source reliability (Admiralty scale): {source.reliability}, {RELIABILITY[source.reliability].lower()}"
        notes.append(grade + (f". {source.reliability_note}" if source.reliability_note else ""))
    if group:
        notes.append(f"Not independent: one line of reporting with the other sources of group `{group}`")
    if notes:
        item["note"] = "\n".join(notes)
    return item


def _csl_date(text: str) -> dict[str, Any]:
    """`date-parts` when the date reads as one of the usual forms, else the text as `raw`."""
    for form in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text.strip(), form)
        except ValueError:
            continue
        parts = [parsed.year] + ([parsed.month] if "%m" in form or "%b" in form or "%B" in form else []) + ([parsed.day] if "%d" in form else [])
        return {"date-parts": [parts]}
    return {"raw": text}


def _json(value: Any) -> bytes:
    """JSON with the outer objects opened up and each item of a list of objects on its own line
    (one annotation, one source a line: easy to diff), made by json's C encoder: `indent=` would use
    the pure-Python one, some ten times slower on a large site."""
    return (_layout(value, 0) + "\n").encode("utf-8")


class _Encoded(str):
    """JSON text already encoded (the annotations of every page), placed by _layout as it is."""


def _layout(value: Any, depth: int) -> str:
    if isinstance(value, _Encoded):
        return value
    if isinstance(value, dict) and depth < 2 and any(isinstance(v, (dict, list, _Encoded)) for v in value.values()):
        return "{\n" + ",\n".join(f"{_COMPACT.encode(key)}: {_layout(item, depth + 1)}" for key, item in value.items()) + "\n}"
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return "[\n" + ",\n".join(_COMPACT.encode(item) for item in value) + "\n]"
    return _COMPACT.encode(value)


_COMPACT = json.JSONEncoder(ensure_ascii=False)
