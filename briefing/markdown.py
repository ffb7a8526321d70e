"""The Markdown dialect of content/ pages: CommonMark with tables, strikethrough, footnotes,
heading anchors, citations (`[@id "quote"]`) and key judgments, and the render rules that make a
page's body HTML (content.Page.html), each citation a numbered placeholder the render stage fills in.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import escape
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.anchors.index import slugify as anchor_slugify
from mdit_py_plugins.footnote import footnote_plugin

from .citations import CitationSyntaxError, parse_citation
from .errors import Location, Problems
from .grading import judgment_rule, render_judgment
from .urls import relative, slug_url


@functools.lru_cache(maxsize=4)
def markdown_parser(allow_html: bool, language: str = "en") -> MarkdownIt:
    """The page parser; `language` (a BCP 47 tag) decides where claims' sentences end."""
    return make_markdown(allow_html, language)


@functools.lru_cache(maxsize=2)
def body_markdown(allow_html: bool) -> MarkdownIt:
    """The parser with the render rules that make Page.html."""
    md = make_markdown(allow_html)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("citation_error", lambda self, tokens, idx, options, env: escape(tokens[idx].content))
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("judgment", render_judgment)
    md.add_render_rule("table_open", lambda self, tokens, idx, options, env: '<div class="table-wrap">\n' + self.renderToken(tokens, idx, options, env))
    md.add_render_rule("table_close", lambda self, tokens, idx, options, env: self.renderToken(tokens, idx, options, env) + "</div>\n")
    md.add_render_rule("heading_close", _render_heading_close)
    # Footnote markers are bare superscript numbers, so they are not mistaken for [bracketed] citations.
    md.add_render_rule("footnote_caption", lambda self, tokens, idx, options, env: str(tokens[idx].meta["id"] + 1)
                       + (f":{tokens[idx].meta['subId']}" if tokens[idx].meta.get("subId", -1) > 0 else ""))
    return md


def _render_heading_close(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A heading with an anchor ends with a visible link to itself."""
    anchor = tokens[idx - 2].attrGet("id")
    link = (f' <a class="heading-link" href="#{escape(str(anchor))}" data-pagefind-ignore><span aria-hidden="true">#</span>'
            f'<span class="visually-hidden">Link to this section</span></a>') if anchor else ""
    return link + self.renderToken(tokens, idx, options, env)


def _render_citation(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = env["briefing"]
    first = state["count"]
    state["count"] += len(tokens[idx].meta["refs"])
    return "".join(f"\x00{n}\x00" for n in range(first, state["count"]))  # NUL never survives Markdown parsing, so it marks only these


def _render_link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A link to another page's Markdown file points at that page (the link stage checks that it exists)."""
    token = tokens[idx]
    href = str(token.attrs.get("href", ""))
    target, _, fragment = href.partition("#")
    if target.endswith(".md") and "://" not in target:
        page_url = slug_url(target.rsplit("/", 1)[-1][:-3])
        # Render a copy: the tokens belong to the Page.
        tokens = list(tokens)
        tokens[idx] = token.copy(attrs={**token.attrs, "href": relative(env["briefing"]["url"], page_url + ("#" + fragment if fragment else ""))})
    return self.renderToken(tokens, idx, options, env)


def make_markdown(allow_html: bool, language: str = "en") -> MarkdownIt:
    """A CommonMark parser with tables, strikethrough, footnotes, heading anchors (`heading_id`),
    citations (`[@id "quote"]`, citations.parse_citation) and key judgments (grading.judgment_rule);
    raw HTML only with `allow_html`."""
    md = MarkdownIt("commonmark", {"html": allow_html, "typographer": False, "language": language})
    md.enable("table").enable("strikethrough")
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4, permalink=False, slug_func=heading_id)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.inline.ruler.before("link", "judgment", judgment_rule)
    return md


def heading_id(text: str) -> str:
    """A heading's anchor: its words, lower-case, joined by single hyphens (`## What the sources
    report` -> `what-the-sources-report`); `section` for a heading of emoji or punctuation alone.
    Never empty, never starting or ending with a hyphen; a repeated one gets -1, -2 ..."""
    slug = re.sub(r"-{2,}", "-", anchor_slugify(text)).strip("-")
    return slug or "section"


# The ids the pages' templates and the renderer give elements of every page: a heading may not take one.
PAGE_IDS = ("main", "topics-heading", "more-heading", "sources-heading", "source-notes-heading")
PAGE_ID_PATTERN = re.compile(r"(cite|note)-\d+(-tip)?|fn\d+|fnref\d+(:\d+)?")


def check_heading_ids(tokens: list[Token], name: str, body_line: int, problems: Problems) -> None:
    """Report, at its line of page `name` (whose body starts after line `body_line`), each heading
    whose anchor is an id the page itself uses (PAGE_IDS, PAGE_ID_PATTERN)."""
    for token in tokens:
        if token.type == "heading_open" and token.attrs.get("id") is not None:
            anchor = str(token.attrs["id"])
            if anchor in PAGE_IDS or PAGE_ID_PATTERN.fullmatch(anchor):
                line = body_line + (token.map[0] if token.map else 0) + 1
                problems.error(Location(name, line), f"the heading's anchor `{anchor}` is an id the page itself uses, so links "
                                                     "to either would be ambiguous; reword the heading")


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    try:
        refs, end = parse_citation(state.src, state.pos)
    except CitationSyntaxError as exc:
        if silent:
            return False
        token = state.push("citation_error", "", 0)
        token.content = "["
        token.meta = {"offset": exc.offset, "message": exc.message}
        state.pos += 1
        return True
    if not silent:
        token = state.push("citation", "", 0)
        token.content = state.src[state.pos : end]
        token.meta = {"refs": refs}
    state.pos = end
    return True
