"""The HTML pieces that pages show of citations and sources, made from the linked model: citation
markers with their pop-ups, notes, the contents of a long page, a source's paragraphs with each
cited excerpt highlighted, and the Corroboration page's pager. Pure functions of their arguments;
render.py decides when they are called.
"""
from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, Callable

from markupsafe import Markup, escape

from .content import CITATION_PLACEHOLDER
from .grading import credibility_of, grade_meaning
from .urls import relative

if TYPE_CHECKING:
    from .link import Citation, Excerpt, PageCitations
    from .sources import Paragraph, Source


def pager_pages(number: int, count: int, href: Callable[[int], str]) -> list[dict[str, Any]]:
    """What a pager shows on page `number` of `count`: the first and last pages, the current one and
    two either side, each {"number", "href", "current", "gap": False}, and a {"gap": True} where
    pages are left out (so a pager stays short however many pages there are)."""
    shown = sorted({1, count, *range(max(1, number - 2), min(count, number + 2) + 1)})
    pages: list[dict[str, Any]] = []
    for before, other in zip([0, *shown], shown):
        if other - before > 1:
            pages.append({"gap": True})
        pages.append({"number": other, "href": href(other), "current": other == number, "gap": False})
    return pages


# -- citations in page bodies -----------------------------------------------------------------
CITATION_RUN = re.compile("\x00[0-9]+\x00(?: ?\x00[0-9]+\x00)*")  # placeholders side by side: one group of markers


def body_html(page_citations: PageCitations, url: str) -> Markup:
    """A page's body seen from `url`: its HTML (made once per page text, content.Page.html) with
    each run of citation placeholders made into markers (`_citations_html`)."""
    return Markup(CITATION_RUN.sub(lambda m: _citations_html(m[0], page_citations.citations, url), page_citations.page.html))


def _citations_html(run: str, citations: tuple[Citation, ...], url: str) -> str:
    """Markers side by side, as one bracketed group ([15, 16, 17]): each its own link, focusable, with its own quote."""
    numbers = [int(n) for n in CITATION_PLACEHOLDER.findall(run)]
    if len(numbers) == 1:
        return _citation_html(citations[numbers[0]], url, bracketed=True)
    markers = '<span class="cite-sep">,</span>'.join(_citation_html(citations[n], url, bracketed=False) for n in numbers)
    return f'<span class="cite-group"><span class="cite-bracket">[</span>{markers}<span class="cite-bracket">]</span></span>'


def _citation_html(citation: Citation, url: str, bracketed: bool = True) -> str:
    """A citation marker: the number, linked to the excerpt, with the quote as its pop-up."""
    excerpt = citation.excerpt
    tip = f"cite-{citation.number}-tip"
    href = escape(relative(url, excerpt.url))
    label = f"[{citation.number}]" if bracketed else str(citation.number)
    return (
        f'<span class="cite"><a class="cite-ref" id="{citation.anchor}" href="{href}" '
        f'aria-describedby="{tip}">{label}</a>'
        f'<span class="cite-tip" id="{tip}" role="tooltip"><q{language_attributes(excerpt.source)}>{escape(excerpt.quote)}</q> '
        f'<a class="cite-src" href="{href}" tabindex="-1">{escape(excerpt.source.title)}</a>{_grade_html(citation)}</span></span>'
    )


def _grade_html(citation: Citation) -> str:
    """The citation's grade and its standard meaning, in its tooltip (nothing when ungraded)."""
    source = citation.excerpt.source.config
    credibility = credibility_of(citation)
    if not source.reliability and credibility is None:
        return ""
    meaning = grade_meaning(source, credibility)
    return f' <span class="cite-grade">{escape(meaning[0].upper() + meaning[1:])}</span>'


# -- contents of long pages ------------------------------------------------------------------
CONTENTS_MINIMUM = 4  # sections (level-2 headings); a shorter page needs no contents
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)(?: <a class="heading-link"|</h[23]>)', re.S)


def contents(body_html: str) -> list[dict[str, Any]]:
    """The page's level-2 headings, each with its level-3 ones, for an on-this-page list; empty for a short page."""
    sections: list[dict[str, Any]] = []
    for level, anchor, inner in _HEADING.findall(body_html):
        text = html.unescape(re.sub(r"<[^>]+>", "", CITATION_PLACEHOLDER.sub("", inner))).strip()
        if level == "2":
            sections.append({"anchor": html.unescape(anchor), "text": text, "children": []})
        elif sections:
            sections[-1]["children"].append({"anchor": html.unescape(anchor), "text": text})
    return sections if len(sections) >= CONTENTS_MINIMUM else []


# -- helpers -----------------------------------------------------------------------------------
def language_attributes(source: Source, title: bool = False) -> Markup:
    """` lang="…" dir="…"` for text in a source's own language (BCP 47, and the direction of its
    script), or nothing when site.yaml gives the source no language. For its `title`: nothing either
    when the title is a bracketed description (`[Untitled report …]`), which is the editor's words
    in the site's language, not the document's."""
    if not source.language or (title and source.title.lstrip().startswith("[")):
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(source.language, source.direction)


def note(citation: Citation, url: str) -> dict[str, Any]:
    """A citation as the page's notes list it, seen from `url`: its number, the ids of the note and
    of its marker, links to the excerpt and to the source's page, the quote and its `lang`/`dir`."""
    excerpt = citation.excerpt
    return {"number": citation.number, "id": f"note-{citation.number}", "back": "#" + citation.anchor,
            "href": relative(url, excerpt.url), "source": excerpt.source.title,
            "source_href": relative(url, excerpt.source.url), "quote": excerpt.quote,
            "lang": language_attributes(excerpt.source)}


def shorten(text: str, limit: int = 90) -> str:
    """`text` with its runs of white space made single spaces, cut to `limit` code points with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Code points HTML text cannot carry (parse errors): controls but for tab, line feed, form feed and
# carriage return, and noncharacters. A source page shows each as its Unicode control picture (␋),
# or as U+FFFD where there is none.
_UNSHOWABLE = {**{c: 0x2400 + c for c in (*range(0x01, 0x09), 0x0B, *range(0x0E, 0x20))}, 0x00: 0x2400, 0x7F: 0x2421,
               **{c: 0xFFFD for c in (*range(0x80, 0xA0), *range(0xFDD0, 0xFDF0))},
               **{plane * 0x10000 + low: 0xFFFD for plane in range(17) for low in (0xFFFE, 0xFFFF)}}
_SHOWABLE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_UNSHOWABLE)) + "]")


def source_text_html(text: str) -> str:
    """Source text as HTML: escaped, and each code point HTML cannot carry shown as a picture of it."""
    html = str(escape(text))
    return html.translate(_UNSHOWABLE) if _SHOWABLE.search(html) else html


def highlight(text: str, paragraph: Paragraph, excerpts: list[Excerpt]) -> tuple[Markup, list[str]]:
    """Paragraph HTML with each excerpt in <mark> elements covering exactly its words, and the
    anchors of the excerpts that had to be split. Excerpts nest where they can (a longer one
    outside a shorter one it contains); one that crosses another is closed where the other ends and
    reopened after it, so its first <mark> carries its anchor (`id`) and the others name it
    (`data-of`): a reader who follows a citation sees exactly its words highlighted (`:target`, and
    for a split excerpt a rule in the page's style), told apart from every other quote. Linear in
    the paragraph's length plus its excerpts, times how many excerpts cross at one place."""
    out: list[str] = []
    cursor = paragraph.start
    ordered = sorted(excerpts, key=lambda e: (e.start, -e.end))
    stack: list[Excerpt] = []
    opened: set[str] = set()
    split: set[str] = set()

    def text_to(position: int) -> None:
        nonlocal cursor
        if position > cursor:
            out.append(source_text_html(text[cursor:position]))
            cursor = position

    def open_mark(excerpt: Excerpt) -> None:
        if excerpt.anchor in opened:
            out.append(f'<mark class="excerpt excerpt-cont" data-of="{excerpt.anchor}">')
            split.add(excerpt.anchor)
        else:
            opened.add(excerpt.anchor)
            out.append(f'<mark class="excerpt" id="{excerpt.anchor}">')
        stack.append(excerpt)

    index = 0
    while index < len(ordered) or stack:
        next_start = ordered[index].start if index < len(ordered) else None
        next_end = min(min(e.end, paragraph.end) for e in stack) if stack else None
        if next_end is not None and (next_start is None or next_end <= next_start):
            text_to(next_end)
            lowest = next(i for i, e in enumerate(stack) if min(e.end, paragraph.end) == next_end)
            above = stack[lowest:]
            out.append("</mark>" * len(above))
            del stack[lowest:]
            for excerpt in above:
                if min(excerpt.end, paragraph.end) > next_end:
                    open_mark(excerpt)
            continue
        text_to(next_start)
        open_mark(ordered[index])
        index += 1
    text_to(paragraph.end)
    return Markup("".join(out)), sorted(split)
