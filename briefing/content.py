"""Stage 2: read content/*.md: front matter, Markdown tokens, the citations and links each page makes."""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import itertools
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import regex
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .citations import CitationRef
from .config import ID_PATTERN, Config
from .errors import Location, Problem, Problems
from .memo import fingerprint
from .grading import Judgment, collect_judgments
from .parallel import can_fork, map_ranges
from .markdown import body_markdown, check_heading_ids, markdown_parser
from .text import sentence_bounds
from .urls import page_slug, slug_url
if TYPE_CHECKING:
    from .inputs import Inputs
    from .memo import Memo

from .yamlnodes import Key, Schema, compose, day, optional_text, text, whole_number

RESERVED_SLUGS = ("404", "sitemap", "citations", "corroboration", "search")  # pages the build writes itself
CITATION_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")  # in Page.html: where citation number N+1 goes


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
    menu_title: str  # the short label in the site menu (the title when not given)
    updated: dt.date | None
    citations: tuple[CitationUse, ...]
    links: tuple[tuple[str, Location], ...]  # links to other .md pages, to rewrite and check
    body: str  # the Markdown after the front matter
    allow_html: bool
    judgments: tuple[Judgment, ...] = ()  # its key judgments, in page order

    @cached_property
    def parsed(self) -> tuple[tuple[Token, ...], dict[str, Any]]:
        """Markdown tokens and the parser's env (footnotes), made when first needed: a page loaded from
        the memo is parsed only if one of its outputs must be rendered again."""
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
        return slug_url(self.slug)


PARALLEL_PAGES = 100  # pages to parse; below this, forking workers costs more than it saves


GROUPS = 64  # page groups: a build looks up one unit per group, and at the pages of a group only when one of them changed


class Pages:
    """The pages of content/ that parsed, in file order: each one's record key and record (plain
    data: what linking, the checks and the site's digests read of it), its Page (body, HTML) only
    when asked for; and, per group of pages (`page_group`), two digests of what their records hold:
    what linking reads, and what other pages and outputs show (link.record_facts).

    A build asks for the Page of each page whose own output it makes; the others are never read
    again (in a fresh process) or are the memo's objects (in the preview)."""

    def __init__(self, config: Config, keys: dict[str, str], records: Mapping[str, dict[str, Any]], made: dict[str, Page],
                 groups: list[tuple[str, str]], units: list[tuple]):
        self.config = config
        self.keys = keys  # "content/treaty.md" -> record key (page_record_key): the page's bytes and the parser's settings
        self.records = records  # -> record (page_record)
        self.groups = groups  # per page group, in group order: (digest of what linking reads, digest of what is shown)
        self.units = units  # per page group: ((allow_html, language), ((page name, digest of its bytes), ...))
        self._made = made  # the Pages parsed or kept by the memo this build

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.keys)

    def page(self, name: str) -> Page:
        """The page `name`: the memo's, or made from its record, its file read when its body is
        first asked for (`body`)."""
        page = self._made.get(name)
        if page is None:
            page = self._made[name] = page_from_record(self.records[name], "", page_slug(name), name, self.config.allow_html, _Unread)
            del page.__dict__["body"]  # read only if asked for (an export needs none)
            page.__dict__["_pages"] = self
        return page

    def body(self, name: str) -> str:
        """The body of page `name` as its file has it now (BuildError if the file changed during the build)."""
        own = Problems()
        read = read_page(self.config.content_dir / name.removeprefix("content/"), name, self.config.allow_html, own, self.config.root,
                         self.config.language)
        if read is None or read[3] != self.keys[name]:
            own.error(Location(name), "the page changed while the site was being built; build again")
            own.check()
        text = read[2]  # type: ignore[index]
        return text[len(text) - self.records[name]["body_length"]:]


class _Unread(Page):
    """A page made from its record, whose file is read when its body is first asked for (Pages.page)."""

    @cached_property  # type: ignore[override]
    def body(self) -> str:
        return self.__dict__["_pages"].body(self.path)


class _Records(Mapping):
    """Page name -> record, read from the memo's "record" table when asked for."""

    def __init__(self, keys: dict[str, str], table: Any, read: dict[str, dict[str, Any]]):
        self._keys, self._table, self._read = keys, table, read  # `read`: the records this build made or read

    def __getitem__(self, name: str) -> dict[str, Any]:
        return self._read[name] if name in self._read else self._table[self._keys[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, name: str) -> str:
        """The key of page `name`'s record (content.page_record_key: its name, bytes and the parser's settings)."""
        return self._keys[name]


@functools.lru_cache(maxsize=1 << 16)
def page_group(name: str) -> int:
    """The group of a page, by a hash of its name that every process computes alike."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % GROUPS


def load_pages(config: Config, inputs: Inputs, memo: Memo, problems: Problems, jobs: int = 1,
               locate: Locate | None = None) -> Pages:
    """Every content/*.md page that `inputs` digested. Three units of the memo: a page's record
    ("record": what the build needs of it besides its body, plain data) by the digest of its bytes
    and the parser's settings (`page_record_key`); and per group of pages (`page_group`), by the
    names and digests of its pages, what the build needs to know of the group without reading a
    record ("page group": each page's record key, its warnings, and the digests of the pages'
    record_facts) and, in the preview, its Page objects with their HTML made ("page objects"). So
    an unchanged page is never read or parsed again, and an unchanged group costs one look-up. The
    pages that must be parsed are parsed (and their bodies made into HTML) across `jobs` processes
    when there are enough of them; then `locate` looks up their quotes where they are parsed, and
    what it finds goes into the memo's "quote" table (a few pages' quotes are looked up by linking,
    if it must link)."""
    from .link import record_facts  # here: link imports this module

    content_dir = config.content_dir
    if not content_dir.is_dir():
        problems.error(Location("content/"), "there is no content/ folder; create it with one Markdown file per topic")
        return Pages(config, {}, {}, {}, [], [])
    allow_html, language = config.allow_html, config.language
    groups, objects, quotes = memo.table("page group"), memo.table("page objects"), memo.table("quote")
    records, known = memo.table("record"), memo.table("facts")
    members: dict[int, list[tuple[str, str]]] = {}
    for item in inputs.pages.items():
        members.setdefault(page_group(item[0]), []).append(item)
    units = [((allow_html, language), tuple(members[index])) for index in sorted(members)]
    summaries = {unit: groups.get(unit) for unit in units}
    made: dict[str, Page] = {}
    for unit in units:
        if summaries[unit] is not None:
            made.update(objects.get(unit) or {})
            memo.keep("record")  # the records of the groups taken whole stay
            memo.keep("facts")
    own: dict[str, Problems] = {}  # each page's problems, in the groups not taken whole
    found: dict[str, tuple[str, list]] = {}  # -> (record key, facts: record_facts and warnings), for each page with a record
    read: dict[str, dict[str, Any]] = {}  # -> record, for each page whose record this build made or read
    pending: list[tuple[str, str, str, str]] = []  # (slug, name, text, record key) of each page to parse
    for unit in units:
        for name, digest in unit[1] if summaries[unit] is None else ():
            own[name] = Problems()
            key = page_record_key(name, digest, allow_html, language)
            facts = known.get(key)  # what the group needs of an unchanged page, without its record
            if facts is None:
                opened = read_page(content_dir / name.removeprefix("content/"), name, allow_html, own[name], config.root, language)
                if opened is None:
                    continue
                slug, _, text, key = opened
                record = records.get(key)
                if record is None:
                    pending.append(opened)
                    continue
                made[name] = page_from_record(record, text, slug, name, allow_html)
                read[name], facts = record, [*record_facts(record), record["warnings"]]
                known[key] = facts
            for line, message in facts[2]:
                own[name].warn(Location(name, line), message)
            found[name] = (key, facts)
    for (slug, name, _, key), (record, body, html, items, places) in zip(pending, parse_all(pending, allow_html, jobs, locate if len(pending) >= PARALLEL_PAGES else None, language)):
        quotes.update(places)
        own[name].items.extend(items)
        if record is None:
            continue
        page = made[name] = page_from_record(record, body, slug, name, allow_html)
        page.__dict__["html"] = html  # as the cached property would store it
        read[name], found[name] = record, (key, [*record_facts(record), record["warnings"]])
        if not own[name].errors:  # a page with errors is parsed again next time, so its errors are reported again
            records[key], known[key] = record, found[name][1]
    for unit in units:
        if summaries[unit] is None:
            names = [name for name, _ in unit[1]]
            shown = {name: found[name][1] for name in names if name in found}
            summary = summaries[unit] = {
                "keys": {name: found[name][0] for name in shown},
                "warnings": [[p.location.path, p.location.line, p.message] for name in names for p in own[name].warnings],
                "digests": [fingerprint([(name, digests[0]) for name, digests in shown.items()]),
                            fingerprint([digests[1] for digests in shown.values()])],
            }
            if not any(own[name].errors for name in names) and len(summary["keys"]) == len(names):
                groups[unit] = summary  # a group with errors is read again next time, so its errors are reported again
                objects[unit] = {name: made[name] for name in summary["keys"] if name in made}
            problems.items.extend(p for name in names for p in own[name].errors)
        problems.items.extend(Problem(Location(path, line), message, warning=True) for path, line, message in summaries[unit]["warnings"])
    keys = {name: key for summary in summaries.values() for name, key in summary["keys"].items()}
    keys = {name: keys[name] for name in inputs.pages if name in keys}  # in file order
    digests = [tuple(summary["digests"]) for summary in summaries.values()]
    return Pages(config, keys, _Records(keys, records, read), made, digests, units)


def page_problems(root: Path) -> list[Problem]:
    """The errors of each page of `root`/content read alone (front matter, Markdown, citation
    syntax, heading anchors; not whether its citations and links resolve), without site.yaml: what
    a build whose site.yaml is broken reports besides, so the author sees every problem at once."""
    content_dir = root / "content"
    if not content_dir.is_dir() or content_dir.is_symlink():
        return []
    errors: list[Problem] = []
    for file_name in page_files(content_dir):
        own = Problems()
        read = read_page(content_dir / file_name, f"content/{file_name}", False, own, root)
        if read is not None:
            own.items.extend(_parse_one(*read[:3], False)[3])
        errors.extend(own.errors)
    return errors


def page_files(content_dir: Path) -> list[str]:
    """The names of the page files in content/, sorted: every *.md file but editor lock and backup
    files such as .#page.md. A folder, named pipe or device is never opened (project.check_project
    reports it)."""
    with os.scandir(content_dir) as entries:
        return sorted(entry.name for entry in entries if entry.name.endswith(".md") and not entry.name.startswith((".", "#"))
                      and entry.is_file())


def page_record_key(name: str, sha256: str, allow_html: bool, language: str) -> str:
    return f"{name} {sha256} html={allow_html} lang={language}"


def read_page(path: Path, name: str, allow_html: bool, problems: Problems, root: Path, language: str = "en") -> tuple[str, str, str, str] | None:
    """(slug, name, text, record key) of a page file, or None with the problem reported."""
    if path.is_symlink() and root.resolve() not in path.resolve().parents:
        problems.error(Location(name), "this is a link to a file outside the project; copy the page into content/")
        return None
    slug = path.stem
    if not ID_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS:
        problems.error(Location(name), f"the file name {path.name!r} cannot be a page address; use lower-case letters, digits, - or _ (and not {', '.join(RESERVED_SLUGS)})")
        return None
    data = path.read_bytes()
    key = page_record_key(name, hashlib.sha256(data).hexdigest(), allow_html, language)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.error(Location(name), f"not valid UTF-8 ({exc.reason} at byte {exc.start}); save the page as UTF-8")
        return None
    return slug, name, text, key


Parsed = tuple[dict[str, Any] | None, str, str, list[Problem], dict]  # (record or None, body, body HTML, problems, what `locate` found)
Locate = Callable[[tuple[CitationUse, ...]], dict]  # a page's citations -> where their quotes lie (see link.locate_quotes)


def parse_all(pending: list[tuple[str, str, str, str]], allow_html: bool, jobs: int, locate: Locate | None, language: str) -> list[Parsed]:
    """Parse each (slug, name, text, key), in forked workers when `jobs` > 1 and there are
    enough pages; only plain data (records, body HTML, problems) comes back, never tokens. With
    `locate`, each page's quotes are also looked up in its sources where the page is parsed."""
    def work(start: int, end: int) -> list[Parsed]:
        return [_parse_one(slug, name, text, allow_html, locate, language) for slug, name, text, _ in pending[start:end]]

    if jobs < 2 or len(pending) < PARALLEL_PAGES or not can_fork():
        return work(0, len(pending))
    return map_ranges(work, len(pending), jobs)


def _parse_one(slug: str, name: str, text: str, allow_html: bool, locate: Locate | None = None, language: str = "en") -> Parsed:
    problems = Problems()
    page = parse_page(text, slug, name, markdown_parser(allow_html, language), problems)
    if page is None:
        return None, "", "", problems.items, {}
    places = locate(page.citations) if locate is not None else {}
    return page_record(page, problems.items), page.body, page.html, problems.items, places


def page_record(page: Page, warnings: list[Problem]) -> dict[str, Any]:
    """What the build needs from a page besides its tokens, as plain data for the memo (memo.py)."""
    return {
        "title": page.title, "summary": page.summary, "order": page.order, "menu_title": page.menu_title,
        "updated": page.updated.isoformat() if page.updated else None, "body_length": len(page.body),
        "citations": [[u.ref.source_id, u.ref.quote, u.ref.location.line, u.ref.occurrence, u.ref.prefix, u.ref.suffix, u.claim,
                       u.ref.credibility] for u in page.citations],
        "judgments": [judgment.record() for judgment in page.judgments],
        "links": [[href, location.line] for href, location in page.links],
        "warnings": [[w.location.line, w.message] for w in warnings if w.warning],
    }


def page_from_record(record: dict[str, Any], text: str, slug: str, name: str, allow_html: bool, kind: type[Page] = Page) -> Page:
    citations = tuple(CitationUse(CitationRef(source_id, quote, Location(name, line), n, prefix, suffix, cred), claim)
                      for source_id, quote, line, n, prefix, suffix, claim, cred in record["citations"])
    updated = dt.date.fromisoformat(record["updated"]) if record["updated"] else None
    return kind(slug=slug, path=name, title=record["title"], summary=record["summary"], order=record["order"],
                menu_title=record["menu_title"], updated=updated,
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
    citations, links = _collect(tokens, name, body_line, problems, md.options.get("language", "en"))
    page = Page(slug=slug, path=name, title=meta["title"], summary=meta["summary"], order=meta["order"],
                menu_title=meta["menu_title"] or meta["title"],
                updated=meta["updated"], citations=tuple(citations), links=tuple(links), body=body,
                allow_html=bool(md.options.get("html")), judgments=collect_judgments(tokens, name, body_line, problems))
    page.__dict__["parsed"] = (tuple(tokens), env)  # already parsed: keep it (what cached_property would store)
    check_heading_ids(tokens, name, body_line, problems)
    return page


def split_front_matter(text: str, name: str, problems: Problems) -> tuple[str, str, int] | None:
    """(front matter text, body, line number of the body's first line minus one)."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        problems.error(Location(name, 1), "no front matter; start the page with a `---` line, `title: ...`, and another `---` line")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 1
    problems.error(Location(name, 1), "the front matter is not closed; add a `---` line after the last `key: value` line")
    return None


FRONT_MATTER_SCHEMA = Schema((
    Key("title", text, required=True),
    Key("summary", optional_text, default=""),
    Key("order", whole_number, default=0),
    Key("updated", day),
    Key("menu_title", optional_text, default=""),
), unknown="unknown front matter key `{key}` is ignored; known keys are {allowed}", missing="missing required front matter key `{key}`",
   unknown_warns=True)


def read_front_matter(meta_text: str, name: str, problems: Problems) -> dict[str, Any] | None:
    """The front matter's values by key (see FRONT_MATTER_SCHEMA), or None after reporting why not."""
    before = len(problems.errors)
    node = compose(meta_text, name, problems, line_offset=1)
    if node is None:
        if len(problems.errors) == before:
            problems.error(Location(name, 2), "the front matter is empty; it needs at least `title: ...`")
        return None
    meta = FRONT_MATTER_SCHEMA.read(node, problems, "front matter")
    if meta is None or len(problems.errors) > before:
        return None
    return dict(meta.values)


_NEWLINE = re.compile("\n")


def _collect(tokens: list[Token], name: str, body_line: int, problems: Problems, language: str) -> tuple[list[CitationUse], list[tuple[str, Location]]]:
    """Give every citation its file:line and its claim; gather links to other pages."""
    citations: list[CitationUse] = []
    links: list[tuple[str, Location]] = []
    rows = functools.cache(lambda: _table_rows(tokens))  # made when a citation may need its table row as its claim
    blocks = [(index, block) for index, block in enumerate(tokens)
              if block.type == "inline" and block.children and any(child.type in _COLLECTED for child in block.children)]
    claims = _claims([block.children for _, block in blocks if any(c.type == "citation" for c in block.children)], language)
    for index, block in blocks:
        first_line = body_line + 1 + (block.map[0] if block.map else 0)
        breaks = [m.start() for m in _NEWLINE.finditer(block.content)]
        for child, claim in claims.get(id(block.children)) or ((child, "") for child in block.children):
            if child.type not in _COLLECTED:
                continue
            if not claim:  # a table cell holding only citations: the claim is its row
                claim = rows().get(index, "")
            offset_line = lambda offset: first_line + bisect.bisect_left(breaks, offset)  # noqa: E731
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
        elif token.type == "inline" and token.children is not None:
            members.append(index)
        elif token.type == "tr_close":
            text = _tidy(" | ".join(t for t in ("".join(c.content for c in tokens[i].children if c.type in ("text", "code_inline")).strip() for i in members) if t))
            rows.update({i: text for i in members})
    return rows


CLAIM_LIMIT = 400  # code points; a longer sentence's claim is the words just before its marker


def _claims(blocks: list[list[Token]], language: str) -> dict[int, list[tuple[Token, str]]]:
    """For each inline block (by id of its children list), each child paired with the plain-text
    sentence it sits in, for citation claims. Sentences are found by ICU for `language`
    (text.sentence_bounds), in one pass over all the blocks of a page (each ends a sentence). A
    marker placed after the full stop at the end of a block belongs to the sentence before it. A
    sentence longer than CLAIM_LIMIT is cut to the CLAIM_LIMIT code points before the marker, from
    a word start, after "…", so claims (and citations.json) stay linear in size however long a
    sentence runs."""
    plain = [_plain_text(children) for children in blocks]
    joined = "\u2029".join(words for words, _ in plain)  # a paragraph separator always ends a sentence
    found = sentence_bounds(joined, language) if _SENTENCE_END.search(joined) else [0]
    result: dict[int, list[tuple[Token, str]]] = {}
    base = 0
    for children, (words, positions) in zip(blocks, plain):
        lo, hi = bisect.bisect_right(found, base), bisect.bisect_left(found, base + len(words) + 1)
        bounds = [0, *(b - base for b in found[lo:hi] if b - base < len(words)), len(words)]
        result[id(children)] = [(child, _claim(words, bounds, position) if child.type == "citation" else "")
                                for child, position in zip(children, positions)]
        base += len(words) + 1
    return result


def _plain_text(children: list[Token]) -> tuple[str, list[int]]:
    """The plain text of an inline block, and where each child starts in it."""
    parts = [child.content if child.type in ("text", "code_inline") else " " if child.type in ("softbreak", "hardbreak") else ""
             for child in children]
    return "".join(parts), list(itertools.accumulate(map(len, parts), initial=0))[:-1]


def _claim(text: str, bounds: list[int], position: int) -> str:
    """The claim of a marker at `position` of a block's text, given where its sentences begin."""
    k = min(bisect.bisect_right(bounds, position) - 1, len(bounds) - 2)
    start, end = bounds[k], bounds[k + 1]
    if not text[start:end].strip() and k > 0:  # marker placed after the full stop: the claim is the sentence before
        start, end = bounds[k - 1], bounds[k]
    if end - start > CLAIM_LIMIT:
        end = max(min(end, position), start + 1)
        cut = max(start, end - CLAIM_LIMIT)
        if cut > start:
            space = text.find(" ", cut, end)
            return "…" + _tidy(text[space + 1 if space != -1 else cut : end])
    return _tidy(text[start:end].strip())


_SENTENCE_END = regex.compile(r"\p{Sentence_Terminal}")


_SPACE_BEFORE_PUNCTUATION = regex.compile(r"\s+(\p{Terminal_Punctuation})")  # . , ; : ! ? 。 、 ؟ ، । ...


def _tidy(claim: str) -> str:
    """Plain text of a claim: single spaces, no space left where a citation marker stood before
    punctuation (Unicode Terminal_Punctuation, so `।`, `。` and `؟` as well as `.`)."""
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(claim.split()))
