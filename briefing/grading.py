"""Tradecraft: source grades, independent groups, key judgments, and how far each is corroborated.

Read by three stages: content (the `[judgment: ...]` marker in Markdown), the pipeline's checks after
linking (shared text between sources not grouped; strong judgments resting on one group), and
rendering (the Corroboration page, each page's source summary). Nothing here reads or writes files.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markupsafe import Markup, escape

from .errors import Location, Problems
from .memo import fingerprint
from .scales import CONFIDENCE, CREDIBILITY, LIKELIHOOD, RELIABILITY, STRONG, likelihood_rank, likelihood_term

if TYPE_CHECKING:
    from .memo import Memo
    from .config import Config, SourceConfig
    from .link import Citation, PageCitations, Site
    from .sources import Source

JUDGMENT_OPEN = "[judgment:"
_CONFIDENCE = re.compile(r"(\S+) confidence")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
SHINGLE_WORDS = 5  # a run of this many words, compared between sources
MIN_SHARED_RUNS = 20  # at least this many runs shared ...
MIN_SHARED_SHARE = 0.02  # ... making at least this share of the shorter document's runs


@dataclass(frozen=True)
class Judgment:
    """A key judgment on a page: `[judgment: likely, moderate confidence]` and the words after it."""

    likelihood: str  # as written, lower-case, single-spaced
    confidence: str | None  # low, moderate or high (None only while the page has an error)
    statement: str  # the plain text of the sentence the marker opens
    first: int  # index of its first citation among the page's citations
    count: int  # how many citations follow it, up to the next marker or the end of its paragraph
    location: Location

    @property
    def term(self) -> str | None:
        """The ICD 203 term (alternative terms mapped to the main one); None if off the scale."""
        return likelihood_term(self.likelihood)

    @property
    def strong(self) -> bool:
        return self.term in STRONG

    @property
    def range(self) -> str:
        """The term's range in percent, as ICD 203 gives it ("" off the scale)."""
        term = self.term
        return LIKELIHOOD[likelihood_rank(term)][2] if term else ""

    def record(self) -> list:
        """As plain data, for the memo (see `from_record`)."""
        return [self.likelihood, self.confidence, self.statement, self.first, self.count, self.location.line]

    @classmethod
    def from_record(cls, record: list, path: str) -> Judgment:
        likelihood, confidence, statement, first, count, line = record
        return cls(likelihood, confidence, statement, first, count, Location(path, line))


# -- Markdown: the judgment marker ----------------------------------------------------------------
def judgment_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: `[judgment: LIKELIHOOD, LEVEL confidence]` becomes a `judgment` token."""
    if not state.src.startswith(JUDGMENT_OPEN, state.pos):
        return False
    end = state.src.find("]", state.pos)
    if end < 0 or "[" in state.src[state.pos + 1 : end]:
        return False
    if not silent:
        likelihood, _, confidence = state.src[state.pos + len(JUDGMENT_OPEN) : end].partition(",")
        token = state.push("judgment", "", 0)
        token.content = state.src[state.pos : end + 1]
        token.meta = {"likelihood": " ".join(likelihood.lower().split()), "confidence": " ".join(confidence.lower().split()),
                      "offset": state.pos}
    state.pos = end + 1
    return True


def render_judgment(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """The marker as a label: the likelihood (its ICD 203 range on hover) and the confidence."""
    meta = tokens[idx].meta
    term = likelihood_term(meta["likelihood"])
    tip = f' title="ICD 203: {term}, {LIKELIHOOD[likelihood_rank(term)][2]}"' if term else ""
    confidence = _CONFIDENCE.fullmatch(meta["confidence"])
    level = f' · {escape(confidence[1])} confidence' if confidence else ""
    return f'<span class="judgment-label"><span class="judgment-kind">Judgment:</span> <span{tip}>{escape(meta["likelihood"])}</span>{level}</span>'


def collect_judgments(tokens: Sequence[Token], path: str, body_line: int, problems: Problems) -> tuple[Judgment, ...]:
    """The page's judgments, each with the span of its citations (counted as content._collect
    numbers them: every reference of every citation, in token order); problems with a marker are
    reported at its line."""
    judgments: list[Judgment] = []
    count = 0
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        first_line = body_line + 1 + (block.map[0] if block.map else 0)
        current: tuple[dict, int, list[str], Location] | None = None
        for child in block.children:
            if child.type == "citation":
                count += len(child.meta["refs"])
            elif child.type == "judgment":
                if current is not None:
                    judgments.append(_judgment(current, count))
                where = Location(path, first_line + block.content.count("\n", 0, child.meta["offset"]))
                _check_marker(child.meta, where, problems)
                current = (child.meta, count, [], where)
            elif current is not None and child.type in ("text", "code_inline"):
                current[2].append(child.content)
            elif current is not None and child.type in ("softbreak", "hardbreak"):
                current[2].append(" ")
        if current is not None:
            judgments.append(_judgment(current, count))
    return tuple(judgments)


def _judgment(current: tuple[dict, int, list[str], Location], count: int) -> Judgment:
    meta, first, words, location = current
    confidence = _CONFIDENCE.fullmatch(meta["confidence"])
    text = " ".join("".join(words).split())
    end = _SENTENCE_END.search(text)
    statement = re.sub(r"\s+([.,;:!?])", r"\1", text[: end.start() if end else len(text)].strip())
    return Judgment(meta["likelihood"], confidence[1] if confidence and confidence[1] in CONFIDENCE else None,
                    statement, first, count - first, location)


def _check_marker(meta: dict, where: Location, problems: Problems) -> None:
    example = "[judgment: likely, moderate confidence]"
    if not meta["likelihood"]:
        problems.error(where, f"the judgment gives no likelihood; write it as {example}")
        return
    if likelihood_term(meta["likelihood"]) is None:
        terms = ", ".join(term for term, _, _ in LIKELIHOOD)
        problems.warn(where, f"“{meta['likelihood']}” is not a likelihood term of the ICD 203 scale; use one of {terms} "
                             f"(or their alternatives: {', '.join(alt for _, alt, _ in LIKELIHOOD)})")
    confidence = _CONFIDENCE.fullmatch(meta["confidence"])
    if not meta["confidence"]:
        problems.error(where, f"the judgment gives no confidence level; add low, moderate or high confidence, as in {example}")
    elif confidence is None or confidence[1] not in CONFIDENCE:
        problems.error(where, f"“{meta['confidence']}” is not a confidence level; write low confidence, moderate confidence or high confidence")


# -- independent groups ------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """One independent line of reporting: a source alone, or the sources sharing a `group`."""

    key: str  # the group name, or the id of a source in no group
    number: int  # 1, 2, ... in site.yaml order (by each group's first source)
    sources: tuple[SourceConfig, ...]

    @property
    def label(self) -> str:
        return self.key

    @property
    def title(self) -> str:
        """Its documents' titles, for hover text and the key below a matrix."""
        return "; ".join(s.title for s in self.sources)


def groups(config: Config) -> tuple[Group, ...]:
    """The independent groups of the configured sources. A source's `group` names its group; a
    `group` that is another source's id puts it with that source. Made once per configuration:
    every page asks for them."""
    return _grouping(config)[0]


def _grouping(config: Config) -> tuple[tuple[Group, ...], dict[str, str], dict[str, int]]:
    """(the groups, each source's group key, each group key's place among the groups)."""
    known = _GROUPING.get(id(config.sources))
    if known is not None and known[0] is config.sources:
        return known[1]
    members: dict[str, list[SourceConfig]] = {}
    for source in config.sources:
        members.setdefault(group_key(source), []).append(source)
    made = (tuple(Group(key, number, tuple(sources)) for number, (key, sources) in enumerate(members.items(), 1)),
            {source.id: group_key(source) for source in config.sources}, {key: place for place, key in enumerate(members)})
    _GROUPING.clear()
    _GROUPING[id(config.sources)] = (config.sources, made)
    return made


_GROUPING: dict[int, tuple[tuple, tuple[tuple[Group, ...], dict[str, str], dict[str, int]]]] = {}  # the last configuration's


def group_key(source: SourceConfig) -> str:
    """The key of the group a source belongs to (its own id when it names no group)."""
    return source.group if source.group is not None else source.id


def group_of(config: Config) -> dict[str, str]:
    """Source id -> group key (made once per configuration; do not change it)."""
    return _grouping(config)[1]


def check_independence(config: Config, sources: Iterable[Source], problems: Problems, memo: Memo) -> None:
    """Warn, at the later source's entry in site.yaml, about each pair of sources in different
    groups that share at least MIN_SHARED_RUNS runs of SHINGLE_WORDS words, making at least
    MIN_SHARED_SHARE of the shorter document's runs (case, punctuation and spacing ignored): one may
    copy or reword the other, or both a common text. Linear in the words of all sources; a unit of
    the memo ("independence") under the sources' bytes, groups and places in site.yaml."""
    by_group = group_of(config)
    sources = list(sources)
    key = fingerprint(sorted(by_group.items()), [(s.id, s.sha256, s.config.location.path, s.config.location.line) for s in sources])
    for path, line, message in memo.get("independence", key, lambda: _shared_text(by_group, sources)):
        problems.warn(Location(path, line), message)


def _shared_text(by_group: dict[str, str], sources: list[Source]) -> list[list]:
    """The warnings of check_independence, as [path, line, message]."""
    found = []
    first_owner: dict[int, int] = {}  # run hash -> the first source holding it
    owners: dict[int, list[int]] = {}  # run hash -> every source holding it, for runs held by several
    totals: list[int] = []
    for position, source in enumerate(sources):
        runs = set(map(hash, _runs(_words(source.text))))
        totals.append(len(runs))
        for run in runs:
            first = first_owner.setdefault(run, position)
            if first != position:
                owners.setdefault(run, [first]).append(position)
    shared: dict[tuple[int, int], set[int]] = {}  # (earlier, later source) -> the runs they share
    for run, holders in owners.items():
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                if by_group[sources[a].id] != by_group[sources[b].id]:
                    shared.setdefault((a, b), set()).add(run)
    for (a, b), runs in sorted(shared.items()):
        if len(runs) < MIN_SHARED_RUNS or len(runs) / (min(totals[a], totals[b]) or 1) < MIN_SHARED_SHARE:
            continue
        where = sources[b].config.location
        found.append([where.path, where.line,
                      f"sources `{sources[a].id}` and `{sources[b].id}` share {len(runs)} runs of {SHINGLE_WORDS} words "
                      f"(the longest: “{_longest_shared(sources[a].text, runs)}”) but are not in one group; if one draws on "
                      f"the other, or both on a common text, give both the same `group:` in site.yaml"])
    return found


def _words(text: str) -> list[str]:
    return _WORD.findall(text.replace("’", "'").lower())


def _runs(words: list[str]) -> Iterable[tuple[str, ...]]:
    """Every run of SHINGLE_WORDS consecutive words."""
    return zip(*(words[i:] for i in range(SHINGLE_WORDS)))


def _longest_shared(text: str, shared: set[int]) -> str:
    """The longest stretch of `text` made of consecutive shared runs, as the text has it."""
    spans = [m.span() for m in _WORD.finditer(text.replace("’", "'"))]
    starts = [i for i, run in enumerate(_runs(_words(text))) if hash(run) in shared]
    first, last = _longest_run(starts)
    return " ".join(text[spans[first][0] : spans[last + SHINGLE_WORDS - 1][1]].split())


def _longest_run(indexes: list[int]) -> tuple[int, int]:
    """(first, last) of the longest stretch of consecutive numbers in a sorted list."""
    best = (indexes[0], indexes[0])
    start = previous = indexes[0]
    for index in indexes[1:]:
        if index != previous + 1:
            start = index
        previous = index
        if previous - start > best[1] - best[0]:
            best = (start, previous)
    return best


def check_judgments(config: Config, site: Site, problems: Problems, memo: Memo) -> None:
    """Warn at each judgment of `very likely` or `almost certain` whose citations come from fewer
    than two independent groups. A unit of the memo ("judgments", by Site.key, which digests the
    settings and what every page shows), made of one unit per page ("weak judgments", by the key
    of its record and the sources' groups), so that an edit reads the edited pages' records alone."""
    for path, line, message in memo.get("judgments", site.key, lambda: _weak_judgments(config, site.records, memo), keeps=("weak judgments",)):
        problems.warn(Location(path, line), message)


def _weak_judgments(config: Config, records: Any, memo: Memo) -> list[list]:
    by_group = group_of(config)
    grouping = fingerprint(sorted(by_group.items()))
    memo.keep("weak judgments")  # as long as the records are: a page edited back finds its entry
    found = []
    for name in records:
        found.extend(memo.get("weak judgments", (records.key(name), grouping), lambda name=name: _page_weak_judgments(name, records[name], by_group)))
    return found


def _page_weak_judgments(name: str, record: dict, by_group: dict[str, str]) -> list[list]:
    """[path, line, message] for each judgment of one page too strong for the groups its citations come from."""
    found_all = []
    for entry in record["judgments"]:
        judgment = Judgment.from_record(entry, name)
        if not judgment.strong:
            continue
        cited = [citation[0] for citation in record["citations"][judgment.first : judgment.first + judgment.count]]
        found = sorted({by_group[s] for s in cited if s in by_group})
        if len(found) >= 2:
            continue
        basis = f"rests on one independent group of sources ({found[0]})" if found else "cites no source"
        found_all.append([judgment.location.path, judgment.location.line,
                          f"the judgment “{judgment.term}” {basis}; a judgment this strong needs two or "
                          f"more independent groups: cite an independent source, or use a weaker likelihood term"])
    return found_all


# -- the corroboration matrix ------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    grades: tuple[str, ...]  # e.g. ("B2", "C"): one per distinct grading of its citations
    tip: str  # the grades' standard meanings, for hover


@dataclass(frozen=True)
class Row:
    """A judgment or a claim, and the support each independent group gives it."""

    kind: str  # "judgment" or "claim"
    text: str
    href: str  # where it is on its page (its first citation, or the page)
    by_group: dict[str, Cell]  # by group key, only the groups that support it (so a row costs its citations, not all groups)
    likelihood: str = ""
    confidence: str = ""
    range: str = ""

    @property
    def support(self) -> int:
        """How many independent groups support it."""
        return len(self.by_group)

    @property
    def thin(self) -> bool:
        """Resting on one group or none."""
        return self.support < 2


@dataclass(frozen=True)
class PageMatrix:
    title: str
    href: str
    anchor: str  # its section on the Corroboration page
    summary: str  # the ICD 206-style source summary
    rows: tuple[Row, ...]
    groups: tuple[Group, ...]  # the columns: the groups supporting any of its rows, in site.yaml order

    @property
    def judgments(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.kind == "judgment")

    @property
    def claims(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.kind == "claim")

    @property
    def thin_claims(self) -> int:
        """How many of its claims rest on one group or none."""
        return sum(row.thin for row in self.rows if row.kind == "claim")


def columns(config: Config, rows: Iterable[Row]) -> tuple[Group, ...]:
    """The groups that support any of `rows`, in site.yaml order: a matrix's columns."""
    return group_columns(config, {key for row in rows for key in row.by_group})


def group_columns(config: Config, used: Iterable[str]) -> tuple[Group, ...]:
    """The groups of keys `used`, in site.yaml order."""
    every, _, place = _grouping(config)
    return tuple(every[i] for i in sorted(place[key] for key in used))


def grade(source: SourceConfig, credibility: int | None) -> str:
    """`B2`, `B` (no credibility given), `·2` (no reliability) or `·`: as the matrix shows it."""
    return f"{source.reliability or '·'}{credibility or ''}"


def grade_meaning(source: SourceConfig, credibility: int | None) -> str:
    """The grade in words, e.g. `source reliability B (usually reliable); information credibility 2 (probably true)`."""
    parts = [f"source reliability {source.reliability} ({RELIABILITY[source.reliability].lower()})" if source.reliability else "source not graded"]
    if credibility is not None:
        parts.append(f"information credibility {credibility} ({CREDIBILITY[credibility].lower()})")
    return "; ".join(parts)


def credibility_of(citation: Citation) -> int | None:
    """The `cred=` of a linked citation (numbered in the order the page lists its references)."""
    return citation.page.citations[citation.number - 1].ref.credibility


def page_matrix(site: Site, page_citations: PageCitations, page_href: str, link: Any) -> PageMatrix:
    """A page's judgments, then its other claims, against the independent groups.
    `link(citation)` gives the href of a citation as seen from the page showing the matrix."""
    by_group = group_of(site.config)
    page = page_citations.page
    citations = page_citations.citations
    in_judgment: set[int] = set()
    rows: list[Row] = []
    for judgment in page.judgments:
        span = citations[judgment.first : judgment.first + judgment.count]
        in_judgment.update(c.number for c in span)
        rows.append(Row("judgment", judgment.statement, link(span[0]) if span else page_href,
                        _cells(span, by_group),
                        judgment.likelihood, judgment.confidence or "", judgment.range))
    claims: dict[str, list[Citation]] = {}
    for citation in citations:
        if citation.number not in in_judgment:
            claims.setdefault(citation.claim, []).append(citation)
    for claim, cited in claims.items():
        rows.append(Row("claim", claim or "(a citation without a sentence)", link(cited[0]), _cells(cited, by_group)))
    return PageMatrix(page.title, page_href, f"page-{page.slug}", source_summary(site.config, citations), tuple(rows),
                      columns(site.config, rows))


def judgment_support(config: Config, page_citations: PageCitations) -> list:
    """[whether the page marks judgments, the sorted keys of the groups supporting any of them]:
    what the table of judgments needs of a page to find its columns (page_matrix's judgment rows, without drawing them)."""
    by_group = group_of(config)
    citations, judgments = page_citations.citations, page_citations.page.judgments
    keys = {by_group[c.excerpt.source.config.id] for j in judgments for c in citations[j.first : j.first + j.count]}
    return [bool(judgments), sorted(keys)]


def _cells(citations: Sequence[Citation], by_group: dict[str, str]) -> dict[str, Cell]:
    """The support of each group that some of `citations` come from, by group key."""
    found: dict[str, dict[str, str]] = {}
    for citation in citations:
        source = citation.excerpt.source.config
        credibility = credibility_of(citation)
        found.setdefault(by_group[source.id], {}).setdefault(grade(source, credibility), f"{source.id}: {grade_meaning(source, credibility)}")
    return {key: Cell(tuple(grades), "\n".join(grades.values())) for key, grades in found.items()}


def source_summary(config: Config, citations: Sequence[Citation]) -> str:
    """An ICD 206-style source summary of some citations: how many documents, from how many
    independent groups, their reliability, and how many statements rest on one group alone."""
    if not citations:
        return "This page cites no documents."
    by_group = group_of(config)
    documents = {c.excerpt.source.config.id: c.excerpt.source.config for c in citations}
    group_count = len({by_group[i] for i in documents})
    grades: dict[str, int] = {}
    for source in documents.values():
        name = f"{source.reliability} ({RELIABILITY[source.reliability].lower()})" if source.reliability else "not graded"
        grades[name] = grades.get(name, 0) + 1
    order = sorted(grades, key=lambda name: (name == "not graded", name))
    statements: dict[str, set[str]] = {}
    for citation in citations:
        statements.setdefault(citation.claim, set()).add(by_group[citation.excerpt.source.config.id])
    alone = sum(len(g) == 1 for g in statements.values())
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    return (f"Draws on {plural(len(documents), 'document')} from {plural(group_count, 'independent group')}. "
            f"Source reliability: {', '.join(f'{grades[name]} {name}' for name in order)}. "
            f"Statements resting on one group alone: {alone} of {len(statements)}.")


def matrix_row_html(row: Row, groups: Sequence[Group]) -> Markup:
    """One row of a corroboration matrix as HTML (the `matrix_row` template filter): the claim or
    judgment, one cell per column group (its grades, or "none"), and how many groups support it.
    Made here rather than in the template because a large briefing has tens of thousands of rows,
    and each attribute a sandboxed template reads is checked."""
    head = ""
    if row.kind == "judgment":
        span = f' title="ICD 203: {escape(row.range)}"' if row.range else ' title="ICD 203"'
        confidence = f" · {escape(row.confidence)} confidence" if row.confidence else ""
        head = f'<span class="judgment-label"><span{span}>{escape(row.likelihood)}</span>{confidence}</span> '
    cells = []
    for group in groups:
        cell = row.by_group.get(group.key)
        if cell is None:
            cells.append('<td class="g"><span class="none"><span aria-hidden="true">–</span><span class="visually-hidden">none</span></span></td>')
        else:
            grades = "".join(f'<span class="grade">{escape(g)}</span>' for g in cell.grades)
            cells.append(f'<td class="g"><span class="grades" title="{escape(cell.tip)}">{grades}</span></td>')
    thin = ' <span class="thin-label">thin</span>' if row.thin else ""
    return Markup(f'<tr class="{row.kind}{" thin" if row.thin else ""}"><th scope="row">{head}<a href="{escape(row.href)}">{escape(row.text)}</a></th>'
                  f'{"".join(cells)}<td class="g count">{row.support}{thin}</td></tr>')

