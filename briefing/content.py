"""Stage 2: read content/*.md: front matter, Markdown tokens, the citations and links each page makes."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import escape
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .citations import CitationRef, CitationSyntaxError, parse_citation
from .config import ID_PATTERN, Config
from .errors import Location, Problem, Problems
from .grading import Judgment, collect_judgments, judgment_rule, render_judgment
from .parallel import can_fork, map_ranges
from .urls import relative
from .yamlnodes import compose, mapping, scalar

FRONT_MATTER_KEYS = ("title", "summary", "order", "updated")
RESERVED_SLUGS = ("404", "sitemap", "citations", "corroboration")
CITATION_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")  # in Page.html: where citation number N+1 goes
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class CitationUse:
    """A citation in a page: the reference, and the claim (sentence or item) it supports."""

    ref: CitationRef
    claim: str


@dataclass(frozen=True)
class Page:
    slug: str
    path: str  # e.g. content/treaty.md
    title: str
    summary: str
    order: int
    updated: dt.date | None
    citations: tuple[CitationUse, ...]
    links: tuple[tuple[str, Location], ...]  # links to other .md pages, to rewrite and check
    body: str  # the Markdown after the front matter
    allow_html: bool
    judgments: tuple[Judgment, ...] = ()  # its key judgments, in page order

    @cached_property
    def parsed(self) -> tuple[tuple[Token, ...], dict[str, Any]]:
        """Markdown tokens and the parser's env (footnotes), made when first needed: a page loaded from
        the build cache is parsed only if one of its outputs must be rendered again."""
        env: dict[str, Any] = {}
        tokens = markdown_parser(self.allow_html).parse(self.body, env)
        return tuple(tokens), env

    @cached_property
    def html(self) -> str:
        """The body as HTML, made once per page text: links to .md pages already point at the pages,
        and each citation marker is a placeholder (CITATION_PLACEHOLDER, numbered from 0 in the order
        the page's citations are listed) that rendering fills in once citations are linked. The
        tokens are let go once it is made: the HTML is all later stages need."""
        tokens, env = self.parsed
        md = body_markdown(self.allow_html)
        html = md.renderer.render(list(tokens), md.options, {**env, "briefing": {"url": self.url, "count": 0}})
        self.__dict__.pop("parsed", None)
        return html

    @property
    def tokens(self) -> tuple[Token, ...]:
        return self.parsed[0]

    @property
    def env(self) -> dict[str, Any]:
        return self.parsed[1]

    @property
    def url(self) -> str:
        return "index.html" if self.slug == "index" else f"{self.slug}.html"

    @property
    def location(self) -> Location:
        return Location(self.path, 1)


@functools.lru_cache(maxsize=2)
def markdown_parser(allow_html: bool) -> MarkdownIt:
    return make_markdown(allow_html)


@functools.lru_cache(maxsize=2)
def body_markdown(allow_html: bool) -> MarkdownIt:
    """The parser with the render rules that make Page.html."""
    md = make_markdown(allow_html)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("citation_error", lambda self, tokens, idx, options, env: escape(tokens[idx].content))
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("judgment", render_judgment)
    return md


def _render_citation(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    state = env["briefing"]
    marks = []
    for _ in tokens[idx].meta["refs"]:
        marks.append(f"\x00{state['count']}\x00")  # NUL never survives Markdown parsing, so it marks only these
        state["count"] += 1
    return "".join(marks)


def _render_link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A link to another page's Markdown file points at that page (the link stage checks that it exists)."""
    token = tokens[idx]
    href = str(token.attrs.get("href", ""))
    target, _, fragment = href.partition("#")
    if target.endswith(".md") and "://" not in target:
        slug = target.rsplit("/", 1)[-1][:-3]
        page_url = "index.html" if slug == "index" else f"{slug}.html"
        # Render a copy: the tokens belong to the Page.
        tokens = list(tokens)
        tokens[idx] = token.copy(attrs={**token.attrs, "href": relative(env["briefing"]["url"], page_url + ("#" + fragment if fragment else ""))})
    return self.renderToken(tokens, idx, options, env)


def make_markdown(allow_html: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": allow_html, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4, permalink=False)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.inline.ruler.before("link", "judgment", judgment_rule)
    return md


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


PARALLEL_PAGES = 100  # pages to parse; below this, forking workers costs more than it saves


def load_pages(config: Config, problems: Problems, records: dict[str, Any] | None = None, jobs: int = 1,
               known: dict[str, tuple[Page, dict[str, Any]]] | None = None,
               locate: Locate | None = None, quotes: dict | None = None, names: list[str] | None = None) -> tuple[Page, ...]:
    """Every content/*.md page. `records` (from the build cache, updated in place) holds what earlier
    builds learnt from pages by their bytes, so an unchanged page is not parsed again. The pages
    that must be parsed are parsed (and their bodies made into HTML) across `jobs` processes when
    there are enough of them. `known` (from the preview's last build) holds, by file name, the pages
    whose bytes have not changed since, with their records: those are taken as they are. `locate`
    looks up the quotes of each page parsed, where it is parsed; what it finds goes into `quotes`.
    `names` limits the pages loaded to these file names."""
    known = known or {}
    records = {} if records is None else records
    content_dir = config.content_dir
    if not content_dir.is_dir():
        problems.error(Location("content/"), "there is no content/ folder; create it with one Markdown file per topic")
        return ()
    allow_html = config.allow_html
    found: list[tuple[Problems, Page | None]] = []  # in file order, with each file's problems
    pending: list[tuple[int, str, str, str, str]] = []  # (position in `found`, slug, name, text, record key)
    for file_name in page_files(content_dir) if names is None else names:
        own = Problems()
        name = f"content/{file_name}"
        if name in known:
            page, record = known[name]
            for line, message in record["warnings"]:
                own.warn(Location(name, line), message)
            found.append((own, page))
            continue
        found.append((own, None))
        read = read_page(content_dir / file_name, name, allow_html, own, config.root)
        if read is None:
            continue
        slug, name, text, key = read
        if key in records:
            found[-1] = (own, page_from_record(records[key], text, slug, name, allow_html, own))
        else:
            pending.append((len(found) - 1, slug, name, text, key))
    for (position, slug, name, _, key), (record, body, html, items, places) in zip(pending, parse_all(pending, allow_html, jobs, locate)):
        if quotes is not None:
            quotes.update(places)
        own = found[position][0]
        own.items.extend(items)
        if record is None:
            continue
        if not own.errors:  # a page with errors is parsed again next time, so its errors are reported again
            records[key] = record
        page = page_from_record(record, body, slug, name, allow_html, own, warn=False)
        page.__dict__["html"] = html  # as the cached property would store it
        found[position] = (own, page)
    for own, _ in found:
        problems.items.extend(own.items)
    return tuple(page for _, page in found if page is not None)


def page_files(content_dir: Path) -> list[str]:
    """The names of the page files in content/, sorted: every *.md but editor lock and backup
    files such as .#page.md."""
    with os.scandir(content_dir) as entries:
        return sorted(entry.name for entry in entries if entry.name.endswith(".md") and not entry.name.startswith((".", "#")))


def page_record_key(name: str, sha256: str, allow_html: bool) -> str:
    return f"{name} {sha256} html={allow_html}"


def read_page(path: Path, name: str, allow_html: bool, problems: Problems, root: Path | None = None) -> tuple[str, str, str, str] | None:
    """(slug, name, text, record key) of a page file, or None with the problem reported."""
    if path.is_symlink() and root is not None and root.resolve() not in path.resolve().parents:
        problems.error(Location(name), "this is a link to a file outside the project; copy the page into content/")
        return None
    slug = path.stem
    if not ID_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS:
        problems.error(Location(name), f"the file name {path.name!r} cannot be a page address; use lower-case letters, digits, - or _ (and not {', '.join(RESERVED_SLUGS)})")
        return None
    data = path.read_bytes()
    key = page_record_key(name, hashlib.sha256(data).hexdigest(), allow_html)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.error(Location(name), f"not valid UTF-8 ({exc.reason} at byte {exc.start}); save the page as UTF-8")
        return None
    return slug, name, text, key


Parsed = tuple[dict[str, Any] | None, str, str, list[Problem], dict]  # (record or None, body, body HTML, problems, what `locate` found)
Locate = Callable[[tuple[CitationUse, ...]], dict]  # a page's citations -> where their quotes lie (see link.locate_quotes)


def parse_all(pending: list[tuple[int, str, str, str, str]], allow_html: bool, jobs: int = 1, locate: Locate | None = None) -> list[Parsed]:
    """Parse each (position, slug, name, text, key), in forked workers when `jobs` > 1 and there are
    enough pages; only plain data (records, body HTML, problems) comes back, never tokens. With
    `locate`, each page's quotes are also looked up in its sources where the page is parsed."""
    def work(start: int, end: int) -> list[Parsed]:
        return [_parse_one(slug, name, text, allow_html, locate) for _, slug, name, text, _ in pending[start:end]]

    if jobs < 2 or len(pending) < PARALLEL_PAGES or not can_fork():
        return work(0, len(pending))
    return map_ranges(work, len(pending), jobs)


def _parse_one(slug: str, name: str, text: str, allow_html: bool, locate: Locate | None = None) -> Parsed:
    problems = Problems()
    page = parse_page(text, slug, name, markdown_parser(allow_html), problems)
    if page is None:
        return None, "", "", problems.items, {}
    places = locate(page.citations) if locate is not None else {}
    return page_record(page, problems.items), page.body, page.html, problems.items, places


def page_record(page: Page, warnings: list[Problem]) -> dict[str, Any]:
    """What the build needs from a page besides its tokens, as plain data for the build cache."""
    return {
        "title": page.title, "summary": page.summary, "order": page.order,
        "updated": page.updated.isoformat() if page.updated else None, "body_length": len(page.body),
        "citations": [[u.ref.source_id, u.ref.quote, u.ref.location.line, u.ref.occurrence, u.ref.prefix, u.ref.suffix, u.claim,
                       u.ref.credibility] for u in page.citations],
        "judgments": [judgment.record() for judgment in page.judgments],
        "links": [[href, location.line] for href, location in page.links],
        "warnings": [[w.location.line, w.message] for w in warnings if w.warning],
    }


def page_from_record(record: dict[str, Any], text: str, slug: str, name: str, allow_html: bool, problems: Problems,
                     warn: bool = True) -> Page:
    for line, message in record["warnings"] if warn else ():
        problems.warn(Location(name, line), message)
    citations = tuple(CitationUse(CitationRef(source_id, quote, Location(name, line), n, prefix, suffix, cred), claim)
                      for source_id, quote, line, n, prefix, suffix, claim, cred in record["citations"])
    updated = dt.date.fromisoformat(record["updated"]) if record["updated"] else None
    return Page(slug=slug, path=name, title=record["title"], summary=record["summary"], order=record["order"], updated=updated,
                citations=citations, links=tuple((href, Location(name, line)) for href, line in record["links"]),
                body=text[len(text) - record["body_length"]:], allow_html=allow_html,
                judgments=tuple(Judgment.from_record(judgment, name) for judgment in record["judgments"]))


def parse_page(text: str, slug: str, name: str, md: MarkdownIt, problems: Problems) -> Page | None:
    """Parse one page's text (front matter + Markdown) without touching the disk."""
    split = split_front_matter(text, name, problems)
    if split is None:
        return None
    meta_text, body, body_line = split
    meta = read_front_matter(meta_text, name, problems)
    if meta is None:
        return None
    env: dict[str, Any] = {}
    tokens = md.parse(body, env)
    citations, links = _collect(tokens, name, body_line, problems)
    page = Page(slug=slug, path=name, title=meta["title"], summary=meta["summary"], order=meta["order"],
                updated=meta["updated"], citations=tuple(citations), links=tuple(links), body=body,
                allow_html=bool(md.options.get("html")), judgments=collect_judgments(tokens, name, body_line, problems))
    page.__dict__["parsed"] = (tuple(tokens), env)  # already parsed: keep it (what cached_property would store)
    return page


def split_front_matter(text: str, name: str, problems: Problems) -> tuple[str, str, int] | None:
    """(front matter text, body, line number of the body's first line minus one)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        problems.error(Location(name, 1), "no front matter; start the page with a `---` line, `title: ...`, and another `---` line")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 1
    problems.error(Location(name, 1), "the front matter is not closed; add a `---` line after the last `key: value` line")
    return None


def read_front_matter(meta_text: str, name: str, problems: Problems) -> dict[str, Any] | None:
    before = len(problems.errors)
    node = compose(meta_text, name, problems, line_offset=1)
    if node is None:
        if len(problems.errors) == before:
            problems.error(Location(name, 2), "the front matter is empty; it needs at least `title: ...`")
        return None
    fields = mapping(node, problems, "front matter")
    if fields is None:
        return None
    for key, loc in fields.unknown(FRONT_MATTER_KEYS):
        problems.warn(loc, f"unknown front matter key `{key}` is ignored; known keys are {', '.join(FRONT_MATTER_KEYS)}")
    title_node = fields.get("title")
    if title_node is None:
        problems.error(node.location, "missing required front matter key `title`")
        return None
    title = scalar(title_node, str, problems, "title")
    summary = scalar(fields.get("summary"), str, problems, "summary") if fields.get("summary") else ""
    order = scalar(fields.get("order"), int, problems, "order") if fields.get("order") else 0
    updated = None
    if fields.get("updated") is not None:
        updated = scalar(fields.get("updated"), dt.date, problems, "updated")
        if isinstance(updated, dt.datetime):  # `updated: 2024-02-02 10:30:00` is YAML for a time of day: the page shows the day
            updated = updated.date()
    if len(problems.errors) > before or title is None:
        return None
    return {"title": title, "summary": summary or "", "order": order or 0, "updated": updated}


def _collect(tokens: list[Token], name: str, body_line: int, problems: Problems) -> tuple[list[CitationUse], list[tuple[str, Location]]]:
    """Give every citation its file:line and its claim; gather links to other pages."""
    citations: list[CitationUse] = []
    links: list[tuple[str, Location]] = []
    row_text: dict[int, str] | None = None  # made when a table holds a citation
    for index, block in enumerate(tokens):
        if block.type != "inline" or not block.children or not any(child.type in _COLLECTED for child in block.children):
            continue
        first_line = body_line + 1 + (block.map[0] if block.map else 0)
        for child, claim in _claims(block.children):
            if child.type not in _COLLECTED:
                continue
            if not claim and row_text is None:
                row_text = _table_rows(tokens)
            if not claim and index in row_text:  # a table cell holding only citations: the claim is its row
                claim = row_text[index]
            offset_line = lambda offset: first_line + block.content.count("\n", 0, offset)  # noqa: E731
            if child.type == "citation_error":
                problems.error(Location(name, offset_line(child.meta["offset"])), child.meta["message"])
            elif child.type == "citation":
                for offset, source_id, quote, options in child.meta["refs"]:
                    ref = CitationRef(source_id, quote, Location(name, offset_line(offset)),
                                      options.get("n"), options.get("prefix"), options.get("suffix"), options.get("cred"))
                    citations.append(CitationUse(ref, claim))
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                target = href.split("#", 1)[0]
                if target.endswith(".md") and "://" not in target:
                    links.append((href, Location(name, first_line)))
    return citations, links


_COLLECTED = ("citation", "citation_error", "link_open")  # the inline tokens _collect looks at


def _table_rows(tokens: list[Token]) -> dict[int, str]:
    """For each inline token inside a table row, the plain text of the whole row."""
    rows: dict[int, str] = {}
    members: list[int] = []
    for index, token in enumerate(tokens):
        if token.type == "tr_open":
            members = []
        elif token.type == "inline" and token.children is not None and members is not None:
            members.append(index)
        elif token.type == "tr_close":
            text = _tidy(" | ".join(t for t in ("".join(c.content for c in tokens[i].children or () if c.type in ("text", "code_inline")).strip() for i in members) if t))
            rows.update({i: text for i in members})
    return rows


def _claims(children: list[Token]) -> list[tuple[Token, str]]:
    """Each inline token paired with the plain-text sentence it sits in (for citation claims)."""
    text_parts: list[str] = []
    positions: list[int] = []
    length = 0
    for child in children:
        positions.append(length)
        if child.type in ("text", "code_inline"):
            text_parts.append(child.content)
            length += len(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text_parts.append(" ")
            length += 1
    text = "".join(text_parts)
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text) + 1]
    result = []
    for child, position in zip(children, positions):
        if child.type not in _COLLECTED:  # only citations need their claim
            result.append((child, ""))
            continue
        claim = ""
        for start, end in zip(bounds, bounds[1:]):
            if start <= position < end or (position == len(text) and end == len(text) + 1):
                claim = text[start:end].strip()
                if not claim and start > 0:  # marker placed after the full stop: the claim is the sentence before
                    previous = bounds[bounds.index(start) - 1]
                    claim = text[previous:start].strip()
                break
        result.append((child, _tidy(claim)))
    return result


def _tidy(claim: str) -> str:
    """Plain text of a claim: single spaces, no space left where a citation marker stood."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(claim.split()))
