"""Random edits: after every one, both incremental builds give exactly the bytes a cold build gives.

A 40-page synthetic briefing (benchmarks/synthetic.py) is made twice, in two folders that never
share an output folder or a build cache. About 200 edits chosen by `random.Random(SEED)` (page
prose, claims, citations added, removed and changed, titles, dates, summaries, seeds, templates,
the stylesheet, site.yaml, pages added and removed, saves that change nothing, two edits at once)
are applied alike to both. After each edit:

- the first copy is built as the preview builds it (in this process, from the last good build),
- the second as `python build.py` builds it (a fresh process, with its cache in `.cache/`),
- the first copy's inputs are built cold into a new folder,

and the three output trees must be equal, file for file and byte for byte. An edit that makes
the site invalid (a misquote, a link to a removed page, a broken template ...) must fail all three
builds, with the same problems reported, and leave both output folders exactly as they were; a
later step undoes it.

A failure names the seed, the step and the last few edits. Replay a seed, or try others:

    RANDOM_EDITS_SEED=1234 python -m pytest tests/test_random_edits.py -x -q

(`RANDOM_EDITS_STEPS` changes the number of edits.)
"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from benchmarks.synthetic import make_site
from briefing.config import Config, load_config
from briefing.errors import BuildError
from briefing.pipeline import BuildResult, build
from tests.conftest import ROOT
from tests.sitecheck import tree

SEED = int(os.environ.get("RANDOM_EDITS_SEED", "20240917"))
STEPS = int(os.environ.get("RANDOM_EDITS_STEPS", "200"))
PAGES, SOURCES = 40, 8


# The two incremental builds under test, each in one place.

def preview_build(config: Config, last: BuildResult) -> BuildResult:
    """The preview's incremental build: in this process, from its last good build."""
    return build(config, last.memo)


def process_build(site: Path) -> subprocess.CompletedProcess:
    """`python build.py` in a fresh process, with its build cache in site/.cache/."""
    return subprocess.run([sys.executable, "build.py", "--config", str(site / "site.yaml"), "-q"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def cold_build(site: Path, output: Path) -> BuildResult:
    return build(load_config(site / "site.yaml", output_dir=output))


# Edits. Each reads the first copy and returns what to write to both: {path: bytes, or None to delete}.

Changes = dict[str, "bytes | None"]
CITATION = re.compile(r'\[@(src\d+) "([^"\[\]]*)"\]')
LINK = re.compile(r"\]\(([a-z0-9_-]+)\.md[#)]")


@dataclass
class Edit:
    kind: str
    what: str
    changes: Changes
    fails: bool | None = False  # True: the site must then fail to build; None: it may or may not


@dataclass
class Editor:
    site: Path  # the first copy: edits are worked out from it
    rng: random.Random
    vocabulary: list[str]
    added: int = 0  # pages added so far (content/extra-N.md)
    counter: int = 0  # for unique template and stylesheet text
    deck: list[str] = field(default_factory=list)  # the kinds of edit still to deal
    deferred: list[str] = field(default_factory=list)  # kinds dealt when there was nothing to edit
    removed: dict[str, bytes] = field(default_factory=dict)  # pages removed, as they were

    # reading the site

    def read(self, path: str) -> str:
        return (self.site / path).read_text(encoding="utf-8")

    def pages(self) -> list[str]:
        return sorted(f"content/{p.name}" for p in (self.site / "content").glob("*.md"))

    def sources(self) -> list[str]:
        return re.findall(r"^  - id: (\S+)$", self.read("site.yaml"), re.M)

    def topics(self) -> list[str]:
        return re.search(r"^topics: \[(.*)\]$", self.read("site.yaml"), re.M)[1].split(", ")

    def citations(self) -> list[tuple[str, re.Match]]:
        return [(path, match) for path in self.pages() for match in CITATION.finditer(self.read(path))]

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(self.vocabulary) for _ in range(self.rng.randint(low, high)))

    def sentence(self, low: int = 5, high: int = 12) -> str:
        text = self.words(low, high)
        return text[0].upper() + text[1:] + "."

    def run_of(self, source: str, near: bool = False) -> str | None:
        """4 to 8 whole words of one line of the seed, found once in it: a quote that resolves.
        `near`: from a line some page quotes already, so excerpts may overlap or share a paragraph."""
        text = self.read(f"seeds/{source}.txt")
        lines = [line for line in text.split("\n") if len(line.split()) >= 8]
        if near:
            quoted = {match[2] for _, match in self.citations() if match[1] == source}
            lines = [line for line in lines if any(quote in line for quote in quoted)] or lines
        for _ in range(30):
            words = self.rng.choice(lines).split()
            length = self.rng.randint(4, 8)
            start = self.rng.randrange(0, len(words) - length + 1)
            run = " ".join(words[start:start + length])
            if text.count(run) == 1 and not set(run) & set('"[]\\'):
                return run
        return None

    @staticmethod
    def outside(text: str) -> list[bool]:
        """For each character: whether it is outside every [...] and (...) (citations, links)."""
        depth, result = 0, []
        for char in text:
            if char in "[(":
                depth += 1
            result.append(depth == 0)
            if char in "])":
                depth = max(0, depth - 1)
        return result

    def paragraph(self, path: str) -> tuple[list[str], int] | None:
        """The page's lines and the index of one prose paragraph (not front matter, a heading, list, table or note)."""
        lines = self.read(path).split("\n")
        end = lines.index("---", 1)
        prose = [i for i in range(end + 1, len(lines)) if lines[i][:1].isalpha()]
        return (lines, self.rng.choice(prose)) if prose else None

    def sentence_starts(self, line: str) -> list[int]:
        free = self.outside(line)
        return [0] + [i for i in range(2, len(line)) if line[i - 2:i] == ". " and free[i - 1] and line[i].isupper()]

    def insert_sentence(self, path: str, sentence: str) -> Changes | None:
        found = self.paragraph(path)
        if found is None:
            return None
        lines, index = found
        at = self.rng.choice(self.sentence_starts(lines[index]))
        lines[index] = lines[index][:at] + sentence + " " + lines[index][at:]
        return {path: "\n".join(lines).encode()}

    def set_front(self, path: str, key: str, value: str) -> Changes:
        lines = self.read(path).split("\n")
        end = lines.index("---", 1)
        for i in range(1, end):
            if lines[i].startswith(f"{key}:"):
                lines[i] = f"{key}: {value}"
                break
        else:
            lines.insert(end, f"{key}: {value}")
        return {path: "\n".join(lines).encode()}

    # the edits

    def prose(self) -> Edit | None:
        path = self.rng.choice(self.pages())
        changes = self.insert_sentence(path, self.sentence())
        return changes and Edit("prose", f"a sentence into a paragraph of {path}", changes)

    def claim(self) -> Edit | None:
        path, match = self.rng.choice(self.citations())
        text = self.read(path)
        free = self.outside(text)
        start = max(text.rfind(". ", 0, match.start()) + 2, text.rfind("\n", 0, match.start()) + 1)
        words = [w for w in re.finditer(r"[A-Za-z]+", text[start:match.start()]) if free[start + w.start()]]
        if not words:
            return None
        word = self.rng.choice(words)
        a, b = start + word.start(), start + word.end()
        new = self.rng.choice(self.vocabulary) if self.rng.random() < 0.6 else text[a:b] + " " + self.rng.choice(self.vocabulary)
        return Edit("claim", f"{path}: the claim before [@{match[1]} …] reads {new!r} for {text[a:b]!r}",
                    {path: (text[:a] + new + text[b:]).encode()})

    def citation_added(self) -> Edit | None:
        """A sentence citing new words of a seed, words near a quoted passage, or a passage another citation quotes."""
        path, source, way = self.rng.choice(self.pages()), self.rng.choice(self.sources()), self.rng.random()
        if way < 0.25:
            _, match = self.rng.choice(self.citations())
            source, run = match[1], match[2]
        else:
            run = self.run_of(source, near=way < 0.5)
        changes = run and self.insert_sentence(path, f'{self.sentence()[:-1]} [@{source} "{run}"].')
        return changes and Edit("citation added", f'{path}: a sentence citing [@{source} "{run}"]', changes)

    def citation_removed(self) -> Edit | None:
        path, match = self.rng.choice(self.citations())
        text = self.read(path)
        start = match.start() - 1 if text[match.start() - 1] == " " and text[match.start() - 2] != "|" else match.start()
        return Edit("citation removed", f"{path}: {match[0]} removed", {path: (text[:start] + text[match.end():]).encode()})

    def quote_changed(self) -> Edit | None:
        path, match = self.rng.choice(self.citations())
        source = match[1] if self.rng.random() < 0.5 else self.rng.choice(self.sources())
        run = self.run_of(source)
        if run is None:
            return None
        text = self.read(path)
        return Edit("quote changed", f'{path}: {match[0]} now [@{source} "{run}"]',
                    {path: (text[:match.start()] + f'[@{source} "{run}"]' + text[match.end():]).encode()})

    def misquote(self) -> Edit | None:
        path, match = self.rng.choice(self.citations())
        words = match[2].split()
        i = self.rng.randrange(len(words))
        words[i] = self.rng.choice([w for w in self.vocabulary if w != words[i].strip(".").lower()])
        quote = " ".join(words)
        if quote in self.read(f"seeds/{match[1]}.txt"):
            return None
        text = self.read(path)
        return Edit("misquote", f'{path}: {match[0]} misquoted as "{quote}"',
                    {path: (text[:match.start()] + f'[@{match[1]} "{quote}"]' + text[match.end():]).encode()}, fails=True)

    def title(self) -> Edit:
        """A page's title; now and then its menu title or its order (where the menu lists it)."""
        path, way = self.rng.choice(self.pages()), self.rng.random()
        key, value = ("title", self.sentence(1, 4)[:-1]) if way < 0.7 else \
            ("menu_title", self.sentence(1, 2)[:-1]) if way < 0.85 else ("order", str(self.rng.randint(0, 9)))
        return Edit("title", f"{path}: {key}: {value}", self.set_front(path, key, value))

    def date(self) -> Edit:
        path = self.rng.choice(self.pages())
        if self.rng.random() < 0.15:
            return Edit("date", f"{path}: updated: 2024-02-30 (no such day)", self.set_front(path, "updated", "2024-02-30"), fails=True)
        value = f"{self.rng.randint(2019, 2025)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        return Edit("date", f"{path}: updated: {value}", self.set_front(path, "updated", value))

    def summary(self) -> Edit:
        path = self.rng.choice(self.pages())
        value = self.sentence()
        return Edit("summary", f"{path}: summary: {value}", self.set_front(path, "summary", value))

    def seed_appended(self) -> Edit:
        path = f"seeds/{self.rng.choice(self.sources())}.txt"
        text = self.read(path)
        paragraph = " ".join(self.sentence() for _ in range(self.rng.randint(1, 4)))
        return Edit("seed appended", f"{path}: a paragraph appended", {path: (text + paragraph + "\n").encode()})

    def seed_inserted(self) -> Edit | None:
        """Words inserted in a line a page quotes: inside the quote (it breaks) or before it (it moves)."""
        _, match = self.rng.choice(self.citations())
        path = f"seeds/{match[1]}.txt"
        text = self.read(path)
        at = text.find(match[2])
        if at < 0:
            return None
        inside = [at + m.start() for m in re.finditer(" ", match[2])]
        words = self.words(1, 3)
        if self.rng.random() < 0.5:
            where = self.rng.choice(inside)
            new = text[:where] + " " + words + text[where:]
            return Edit("seed inserted", f"{path}: {words!r} inserted inside the quoted {match[2]!r}", {path: new.encode()}, fails=True)
        new = text[:at] + words + " " + text[at:]
        return Edit("seed inserted", f"{path}: {words!r} inserted before the quoted {match[2]!r}", {path: new.encode()}, fails=None)

    def template_comment(self) -> Edit:
        path = f"templates/{self.rng.choice(['page.html', 'base.html', 'source.html', '_matrix.html', 'corroboration.html'])}"
        self.counter += 1
        return Edit("template", f"{path}: a comment appended", {path: (self.read(path) + f"{{# revision {self.counter} #}}\n").encode()})

    def template_text(self) -> Edit:
        path, pattern = self.rng.choice([("templates/page.html", r'(<a href="#top">)([^<]*)(</a>)'),
                                         ("templates/base.html", r'(<a class="skip" href="#main">)([^<]*)(</a>)'),
                                         ("templates/source.html", r'(<p class="note">)([^<]*)(</p>)'),
                                         ("templates/_matrix.html", r'(\{\{ matrix.thin_claims \}\} )([^<]*)(</summary>)')])
        value = self.sentence(2, 6)
        text = re.sub(pattern, lambda m: m[1] + value + m[3], self.read(path), count=1)
        return Edit("template", f"{path}: literal text now {value!r}", {path: text.encode()})

    def template_variable(self) -> Edit:
        """page.html starts (or stops) showing a variable it did not read before."""
        path = "templates/page.html"
        text = self.read(path)
        line = self.rng.choice(['  <p class="count">{{ sources | length }} sources</p>\n', '  <p class="count">{{ nav | length }} sections</p>\n'])
        anchor = "  <h1>{{ page.title }}</h1>\n"
        new = text.replace(line, "") if line in text else text.replace(anchor, anchor + line, 1)
        return Edit("template", f"{path}: {line.strip()} {'removed' if line in text else 'added'}", {path: new.encode()})

    def template_broken(self) -> Edit:
        path = "templates/page.html"
        text = self.read(path)
        return Edit("template broken", f"{path}: an unclosed {{% if %}}",
                    {path: text.replace("<h1>", "{% if page.title %}<h1>", 1).encode()}, fails=True)

    def asset(self) -> Edit:
        path = "templates/assets/style.css"
        self.counter += 1
        rule = f".r{self.counter} {{ margin: {self.rng.randint(0, 9)}px; }}\n"
        return Edit("asset", f"{path}: {rule.strip()} appended", {path: (self.read(path) + rule).encode()})

    def settings(self) -> Edit:
        text = self.read("site.yaml")
        choice = self.rng.choice(["title", "description", "topics", "source"])
        if choice == "topics":
            topics = self.topics()
            self.rng.shuffle(topics)
            new = re.sub(r"^topics: \[.*\]$", f"topics: [{', '.join(topics)}]", text, count=1, flags=re.M)
            return Edit("site.yaml", "site.yaml: topics reordered", {"site.yaml": new.encode()})
        value = self.sentence(2, 6)
        if choice == "source":
            lines = text.split("\n")
            index = self.rng.choice([i for i, line in enumerate(lines) if line.startswith("    title: ")])
            lines[index] = f'    title: "{value}"'
            return Edit("site.yaml", f"site.yaml: {lines[index - 2].strip()} title: {value}", {"site.yaml": "\n".join(lines).encode()})
        new = re.sub(rf"^{choice}: .*$", f'{choice}: "{value}"', text, count=1, flags=re.M)
        return Edit("site.yaml", f"site.yaml: {choice}: {value}", {"site.yaml": new.encode()})

    def page_added(self) -> Edit | None:
        """A new page; now and then one removed earlier, back under its old name."""
        gone = sorted(path for path in self.removed if not (self.site / path).exists())
        if gone and self.rng.random() < 0.3:
            path = self.rng.choice(gone)
            return Edit("page added", f"{path} back as it was when removed", {path: self.removed[path]},
                        fails=None)  # what it links to may be gone
        source = self.rng.choice(self.sources())
        run = self.run_of(source)
        if run is None:
            return None
        self.added += 1
        path = f"content/extra-{self.added}.md"
        target = self.rng.choice([p for p in self.pages() if p != "content/index.md"]).removeprefix("content/")
        text = (f"---\ntitle: Extra {self.added} {self.words(1, 2)}\n---\n{self.sentence()} {self.sentence()[:-1]} "
                f'[@{source} "{run}"]. See [another page]({target}).\n')
        return Edit("page added", f"{path}: a new page citing [@{source} \"{run}\"], linking to {target}", {path: text.encode()})

    def referenced(self) -> set[str]:
        """The pages something links to or lists as a topic."""
        linked = {slug for path in self.pages() for slug in LINK.findall(self.read(path))}
        return linked | set(self.topics()) | {"index"}

    def page_removed(self) -> Edit | None:
        referenced = self.referenced()
        free = [p for p in self.pages() if p.removeprefix("content/").removesuffix(".md") not in referenced]
        if not free:
            return None
        path = self.rng.choice(free)
        self.removed[path] = (self.site / path).read_bytes()
        return Edit("page removed", f"{path} removed (nothing links to it)", {path: None})

    def linked_page_removed(self) -> Edit | None:
        referenced = self.referenced() - {"index"}
        existing = [p for p in self.pages() if p.removeprefix("content/").removesuffix(".md") in referenced]
        path = self.rng.choice(existing)
        return Edit("page removed", f"{path} removed though linked to", {path: None}, fails=True)

    def saved_unchanged(self) -> Edit:
        path = self.rng.choice([*self.pages(), "site.yaml", "templates/page.html", f"seeds/{self.sources()[0]}.txt"])
        return Edit("unchanged save", f"{path} saved with the same bytes", {path: (self.site / path).read_bytes()})

    def two_at_once(self) -> Edit | None:
        first, second = self.one(), self.one()
        if set(first.changes) & set(second.changes):
            return None  # both worked out from the same state: the second would undo the first
        fails = True if True in (first.fails, second.fails) else (None if None in (first.fails, second.fails) else False)
        if {first.kind, second.kind} == {"page added", "page removed"}:
            fails = None  # the new page may link to the one removed
        return Edit("two at once", f"{first.what}; and {second.what}", {**first.changes, **second.changes}, fails)

    def table(self) -> dict[str, tuple[Callable[[], Edit | None], int]]:
        return {
            "prose": (self.prose, 12), "claim": (self.claim, 10), "citation added": (self.citation_added, 10),
            "citation removed": (self.citation_removed, 5), "quote changed": (self.quote_changed, 7),
            "misquote": (self.misquote, 3), "title": (self.title, 6), "date": (self.date, 6), "summary": (self.summary, 5),
            "seed appended": (self.seed_appended, 5), "seed inserted": (self.seed_inserted, 4),
            "template comment": (self.template_comment, 4), "template text": (self.template_text, 4),
            "template variable": (self.template_variable, 3), "template broken": (self.template_broken, 2),
            "asset": (self.asset, 4), "site.yaml": (self.settings, 7), "page added": (self.page_added, 6),
            "page removed": (self.page_removed, 5), "linked page removed": (self.linked_page_removed, 2),
            "unchanged save": (self.saved_unchanged, 3), "two at once": (self.two_at_once, 6),
        }

    def pick(self) -> Edit:
        """The next edit: kinds are dealt from shuffled decks holding each kind as often as its weight,
        so every kind occurs whatever the seed; a kind with nothing to edit now waits for the next deck."""
        table = self.table()
        while True:
            if not self.deck:
                self.deck = [name for name, (_, weight) in table.items() for _ in range(weight)] + self.deferred
                self.deferred = []
                self.rng.shuffle(self.deck)
            name = self.deck.pop()
            edit = table[name][0]()
            if edit is not None:
                return edit
            self.deferred.append(name)

    def one(self) -> Edit:
        """An edit of any kind but two at once, as often as its weight says."""
        table = self.table()
        del table["two at once"]
        while True:
            name = self.rng.choices(list(table), weights=[weight for _, weight in table.values()])[0]
            edit = table[name][0]()
            if edit is not None:
                return edit


# Running and comparing.

def apply(changes: Changes, sites: tuple[Path, Path]) -> Changes:
    """Write the changes to both copies; return what undoes them."""
    undo = {path: (sites[0] / path).read_bytes() if (sites[0] / path).exists() else None for path in changes}
    for site in sites:
        for path, data in changes.items():
            if data is None:
                (site / path).unlink()
            else:
                (site / path).write_bytes(data)
    return undo


def inputs_of(site: Path) -> dict[str, bytes]:
    return {path: data for path, data in tree(site).items() if not path.startswith(("output/", ".cache/"))}


def difference(a: dict[str, bytes], b: dict[str, bytes]) -> str:
    """The paths only one side has, and where the first differing files part."""
    lines = []
    if a.keys() != b.keys():
        lines.append(f"only in the first: {sorted(a.keys() - b.keys())}; only in the second: {sorted(b.keys() - a.keys())}")
    for path in sorted(a.keys() & b.keys()):
        if a[path] != b[path]:
            at = next((i for i, (x, y) in enumerate(zip(a[path], b[path])) if x != y), min(len(a[path]), len(b[path])))
            lines.append(f"{path} differs from byte {at}: {a[path][max(0, at - 60):at + 80]!r} / {b[path][max(0, at - 60):at + 80]!r}")
            if len(lines) > 6:
                break
    return "\n".join(lines)


def outcome(error: str | None) -> str:
    return "built" if error is None else f"failed: {error.splitlines()[0][:300]}"


def test_random_edits_give_the_bytes_of_a_cold_build(tmp_path):
    preview_site, process_site = tmp_path / "preview", tmp_path / "process"
    make_site(preview_site, pages=PAGES, sources=SOURCES, seed=SEED)
    shutil.copytree(preview_site, process_site)
    sites = (preview_site, process_site)
    vocabulary = sorted(set(re.findall(r"[a-z]+", (preview_site / "seeds" / "src000.txt").read_text().lower())))
    editor = Editor(preview_site, random.Random(SEED), vocabulary)
    log: list[str] = []

    def where(message: str) -> str:
        recent = "\n".join(f"  {line}" for line in log[-8:])
        return f"seed {SEED}, step {len(log)} (replay: RANDOM_EDITS_SEED={SEED}): {message}\nlast edits:\n{recent}"

    last = build(load_config(preview_site / "site.yaml"))
    first = process_build(process_site)
    assert first.returncode == 0, where(first.stderr)
    assert tree(preview_site / "output") == tree(process_site / "output"), where("the first builds differ")

    undo_stack: list[Changes] = []  # undoes each edit since the last good build, latest last
    counts: dict[str, int] = {}
    failures = 0
    for step in range(1, STEPS + 1):
        if undo_stack and (len(undo_stack) > 1 or editor.rng.random() < 0.7):
            edit = Edit("undo", "the last edit undone", undo_stack.pop(), fails=None)
        else:
            edit = editor.pick()
        counts[edit.kind] = counts.get(edit.kind, 0) + 1
        log.append(f"{step}. {edit.kind}: {edit.what}")
        was_good = not undo_stack
        before = tree(preview_site / "output"), tree(process_site / "output")
        undo = apply(edit.changes, sites)
        assert inputs_of(preview_site) == inputs_of(process_site), where("the two copies' inputs differ")

        preview_error = cold_error = None
        try:
            result = preview_build(load_config(preview_site / "site.yaml"), last)
        except BuildError as exc:
            preview_error = str(exc)
        process = process_build(process_site)
        cold_dir = tmp_path / f"cold-{step}"
        try:
            cold = cold_build(preview_site, cold_dir)
        except BuildError as exc:
            cold_error = str(exc)

        if preview_error is None and cold_error is None and process.returncode == 0:
            expected = tree(cold_dir)
            assert tree(preview_site / "output") == expected, where("the preview's output differs from a cold build:\n"
                                                                     + difference(tree(preview_site / "output"), expected))
            assert tree(process_site / "output") == expected, where("the fresh process's output differs from a cold build:\n"
                                                                     + difference(tree(process_site / "output"), expected))
            warnings = [str(w) for w in cold.warnings]
            assert [str(w) for w in result.warnings] == warnings, where("the preview's warnings differ")
            assert process.stderr == "".join(f"{w}\n" for w in warnings), where(f"the process warns\n{process.stderr}")
            assert edit.fails is not True or not was_good, where("an edit meant to break the site built")
            last = result
            undo_stack.clear()
        else:
            failures += 1
            assert preview_error is not None and cold_error is not None and process.returncode != 0, where(
                f"the builds disagree: the preview {outcome(preview_error)}; the cold build {outcome(cold_error)}; "
                f"the process exited with {process.returncode}: {outcome(process.stderr or None)}")
            assert preview_error == cold_error, where(f"the preview reports\n{preview_error}\nand the cold build\n{cold_error}")
            assert process.stderr.startswith(cold_error + "\n"), where(f"the process reports\n{process.stderr}\nnot\n{cold_error}")
            assert edit.fails is not False or not was_good, where(f"an edit meant to keep the site valid broke it:\n{cold_error}")
            assert tree(preview_site / "output") == before[0], where("a failed preview build changed its output folder")
            assert tree(process_site / "output") == before[1], where("a failed process build changed its output folder")
            if edit.kind != "undo":
                undo_stack.append(undo)
        shutil.rmtree(cold_dir, ignore_errors=True)

    # The run exercised what it claims to.
    print(f"seed {SEED}: {STEPS} steps, {failures} failed builds, edits: {counts}")
    if STEPS >= 150:
        assert failures >= 5, where(f"only {failures} builds failed")
        assert all(counts.get(kind, 0) >= 2 for kind in ("prose", "claim", "citation added", "citation removed", "quote changed",
                                                        "title", "date", "summary", "seed appended", "seed inserted", "template",
                                                        "asset", "site.yaml", "page added", "page removed", "unchanged save",
                                                        "two at once")), where(f"some kinds of edit were too rare: {counts}")
