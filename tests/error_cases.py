"""The error catalogue as data: each case breaks the fixture site one way and names the exact report.

docs/errors.md documents every case; tests/test_errors.py checks both the build and the document.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]
    expected: tuple[str, ...]  # the problem lines, exactly
    args: tuple[str, ...] = ()


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        path = site / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def write(relative: str, data: str | bytes) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return apply


def symlink(relative: str, target: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        outside = site.parent / "outside.txt"
        outside.write_text("---\ntitle: Outside\n---\nSecret.\n", encoding="utf-8")
        os.symlink(outside if target == "outside" else target, site / relative)
    return apply


def link_folder(relative: str, target: str) -> Callable[[Path], None]:
    """Replace the folder `relative` with a link to `target` (outside the project)."""
    def apply(site: Path) -> None:
        import shutil
        shutil.rmtree(site / relative)
        os.symlink(target, site / relative)
    return apply


def fifo(relative: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        os.mkfifo(site / relative)
    return apply


def folder(relative: str) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        (site / relative).mkdir()
    return apply


def both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(site: Path) -> None:
        for step in steps:
            step(site)
    return apply


PAGE = "content/beta.md"
CASES = [
    Case("front matter not closed", write(PAGE, "---\ntitle: Beta\nBody text.\n"),
         ("content/beta.md:1: the front matter is not closed; add a `---` line after the last `key: value` line",)),
    Case("no front matter", write(PAGE, "Body text only.\n"),
         ("content/beta.md:1: no front matter; start the page with a `---` line, `title: ...`, and another `---` line",)),
    Case("front matter not YAML", write(PAGE, "---\ntitle: [Beta\n---\nBody.\n"),
         ("content/beta.md:3: invalid YAML: expected ',' or ']', but got '<stream end>'; check indentation, colons and quotes",)),
    Case("front matter not a mapping", write(PAGE, "---\n- Beta\n---\nBody.\n"),
         ("content/beta.md:2: front matter must be a mapping of `key: value` lines",)),
    Case("front matter missing title", write(PAGE, "---\nsummary: S\n---\nBody.\n"),
         ("content/beta.md:2: missing required front matter key `title`",)),
    Case("front matter wrong type", write(PAGE, "---\ntitle: Beta\norder: first\nupdated: yesterday\n---\nBody.\n"),
         ("content/beta.md:3: `order` must be a whole number, got 'first'",
          "content/beta.md:4: `updated` must be a date (YYYY-MM-DD), got 'yesterday'")),
    Case("unknown front matter key (warning, --strict)", edit(PAGE, "title: Beta", "title: Beta\ntags: [a]"),
         ("content/beta.md:3: warning: unknown front matter key `tags` is ignored; known keys are title, summary, order, updated, menu_title",),
         args=("--strict",)),
    Case("site.yaml syntax error", edit("site.yaml", "topics: [alpha, beta]", "topics: [alpha, beta"),
         ("site.yaml:6: invalid YAML: expected ',' or ']', but got ':'; check indentation, colons and quotes",)),
    Case("site.yaml unknown key", edit("site.yaml", "language: en", "language: en\ntheme: dark"),
         ("site.yaml:4: unknown key `theme`; allowed keys are title, description, language, base_url, allow_html, topics, pages, domain, search, paginate, sources",)),
    Case("site.yaml wrong type", edit("site.yaml", "topics: [alpha, beta]", "topics: alpha"),
         ("site.yaml:5: `topics` must be a list",)),
    Case("site.yaml paginate not a count", edit("site.yaml", "language: en", "language: en\npaginate: 0"),
         ("site.yaml:4: `paginate` must be 1 or more: how many pages of the briefing each page of the Corroboration page and of "
          "annotations.jsonld shows",)),
    Case("site.yaml missing required key", edit("site.yaml", 'title: "Mini briefing"\n', ""),
         ("site.yaml:1: missing required key `title` in site.yaml",)),
    Case("source file missing", edit("site.yaml", "file: essay.txt", "file: essays.txt"),
         ("site.yaml:16: source file seeds/essays.txt does not exist; copy the document into seeds/ or fix the name",)),
    Case("source file empty", write("seeds/essay.txt", "\n\n"),
         ("seeds/essay.txt:1: the source is empty; a seed must contain the document's text",)),
    Case("source not UTF-8", write("seeds/essay.txt", "The essay\ncaf\xe9 pact\n".encode("latin-1")),
         ("seeds/essay.txt:2: not valid UTF-8 (byte 0xe9 at offset 13); re-save the document as UTF-8",)),
    Case("source with a NUL byte", write("seeds/essay.txt", b"The essay\x00 argues.\n"),
         ("seeds/essay.txt:1: the file contains a NUL byte, so it is binary, not text; save the document as UTF-8 text",)),
    Case("citation to an unknown source", edit(PAGE, "[@essay ", "[@esay "),
         ("content/beta.md:4: unknown source `@esay`; known ids are essay, wire (see `sources` in site.yaml)",)),
    Case("quote not found", edit(PAGE, '"argues the pact is fragile"', '"argues the treaty is fragile"'),
         ('content/beta.md:4: quote not found in seeds/essay.txt: "argues the treaty is fragile"; '
          'closest passage (line 1): "argues the pact is fragile"; copy the words exactly as the source has them',)),
    Case("ambiguous quote", edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '"the pact is fragile"'),
         ('content/beta.md:4: the quote "the pact is fragile" occurs 2 times in seeds/essay.txt (lines 1, 2); quote more words, or add n=2 '
          '(which occurrence), prefix="..." or suffix="..."',)),
    Case("quote across paragraphs", edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '"fragile. It says"'),
         ("content/beta.md:4: the quote runs across a paragraph break in the source; cite each paragraph's words separately",)),
    Case("quote inside a longer word", edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '"rgues the pact"'),
         ('content/beta.md:4: the quote "rgues the pact" occurs in seeds/essay.txt only inside longer words: line 1 has '
          '"argues the pact"; a quote must start and end on whole words: quote the whole word',)),
    Case("quote that differs only in case", edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '"Argues the pact is fragile"'),
         ('content/beta.md:4: quote not found in seeds/essay.txt: "Argues the pact is fragile"; closest passage (line 1): '
          '"argues the pact is fragile" (differs only in upper/lower case); copy the words exactly as the source has them',)),
    Case("quote not found beside an invisible character", both(write("seeds/essay.txt", "The essay argues the pact is frag\u00adile.\nIt says the pact is fragile because it rests on the war.\n"),
                                                               edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '"argues the pact is brittle"')),
         ('content/beta.md:4: quote not found in seeds/essay.txt: "argues the pact is brittle"; closest passage (line 1): '
          '"argues the pact is frag⟨U+00AD⟩ile"; copy the words exactly as the source has them',)),
    Case("unclosed quote", edit(PAGE, '"argues the pact is fragile" prefix="The essay"]', '"argues the pact is fragile]'),
         ('content/beta.md:4: the quote is not closed; end it with a straight `"` (write \\" for a quote mark inside it)',)),
    Case("empty quote", edit(PAGE, '"argues the pact is fragile" prefix="The essay"', '""'),
         ("content/beta.md:4: the quote for `@essay` is empty; quote the exact words the claim rests on",)),
    Case("nested brackets", edit(PAGE, 'prefix="The essay"]', '[@wire "record"]]'),
         ("content/beta.md:4: a citation cannot contain brackets; close it with `]` before starting another",)),
    Case("link to a missing page", edit(PAGE, "The essay calls", "See [gamma](gamma.md). The essay calls"),
         ("content/beta.md:4: link to 'gamma.md', but there is no such page in content/; link to one of alpha.md, beta.md, index.md",)),
    Case("topic without a page", edit("site.yaml", "topics: [alpha, beta]", "topics: [alpha, beta, gamma]"),
         ("site.yaml:5: `topics` lists `gamma`, which has no page; create content/gamma.md or remove it from `topics`",)),
    Case("unsafe page file name", write("content/Bad Name.md", "---\ntitle: X\n---\n"),
         ("content/Bad Name.md: the file name 'Bad Name.md' cannot be a page address; use lower-case letters, digits, - or _ (and not 404, sitemap, citations, corroboration, search)",)),
    Case("reserved page name", write("content/404.md", "---\ntitle: X\n---\n"),
         ("content/404.md: the file name '404.md' cannot be a page address; use lower-case letters, digits, - or _ (and not 404, sitemap, citations, corroboration, search)",)),
    Case("page named as the search page", write("content/search.md", "---\ntitle: X\n---\n"),
         ("content/search.md: the file name 'search.md' cannot be a page address; use lower-case letters, digits, - or _ (and not 404, sitemap, citations, corroboration, search)",)),
    Case("source file given as a path", edit("site.yaml", "file: essay.txt", "file: ../site.yaml"),
         ("site.yaml:16: `file` must be a file name inside seeds/, not a path: '../site.yaml'",)),
    Case("source file name unsafe in URLs", both(write("seeds/my essay#1.txt", "Text.\n"), edit("site.yaml", "file: essay.txt", 'file: "my essay#1.txt"')),
         ("site.yaml:16: the file name 'my essay#1.txt' has characters that are unsafe in a URL; rename it using letters, digits, '.', '-' and '_'",)),
    Case("source id that would overwrite a page", edit("site.yaml", "id: essay", "id: index"),
         ("site.yaml:15: source id `index` is reserved (sources/index is used by the site); choose another id",)),
    Case("template syntax error", write("templates/page.html", "{% extends 'base.html' %}\n{% block main %}\n{% if page.title %}\n{% endblock %}\n"),
         ("templates/page.html:4: template syntax error: Encountered unknown tag 'endblock'. You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.; fix the Jinja tag on this line",)),
    Case("undefined template variable", write("templates/page.html", "{% extends 'base.html' %}\n{% block main %}\n<h1>{{ page_title }}</h1>\n{% endblock %}\n"),
         ("templates/page.html:3: 'page_title' is undefined; check the variable name (see README: templates)",)),
    Case("symbolic link in content/ pointing outside", symlink("content/linked.md", "outside"),
         ("content/linked.md: this is a link to a file outside the project; copy the page into content/",)),
    Case("symbolic link in seeds/ pointing outside", both(symlink("seeds/linked.txt", "outside"), edit("site.yaml", "file: essay.txt", "file: linked.txt")),
         ("site.yaml:16: seeds/linked.txt is a link to a file outside seeds/; copy the document itself into seeds/",)),
    Case("output directory is the project root", lambda site: None,
         ("--output: refusing to write the site into {site}: it is (or contains) the project folder; choose a folder such as output/",),
         args=("--output", ".")),
    Case("output directory is an input folder", lambda site: None,
         ("--output: refusing to write the site into {site}/content: it overlaps the input folder content/; choose a folder such as output/",),
         args=("--output", "content")),
    Case("input folder is a link outside the project", both(link_folder("seeds", "/etc"), edit("site.yaml", "file: essay.txt", "file: passwd")),
         ("seeds/: the folder is a link to /etc, outside the project; make seeds/ a folder of its own",)),
    Case("template asset is a link outside the project", symlink("templates/assets/env.css", "/proc/self/environ"),
         ("templates/assets/env.css: this is a link to a file outside the project; copy the file itself here",)),
    Case("template calls into Python", write("templates/page.html", "{% extends 'base.html' %}\n{% block main %}\n{{ cycler.__init__.__globals__.os.popen('id').read() }}\n{% endblock %}\n"),
         ("templates/page.html:3: access to attribute '__init__' of 'type' object is unsafe.; a template may only print the values it is given (see README: templates)",)),
    Case("corroboration macro missing", write("templates/_matrix.html", "{% macro matrix_row(row, groups) %}{{ row | matrix_row(groups) }}{% endmacro %}\n"),
         ("templates/_matrix.html: no macro `claims_section`: the Corroboration page draws each page's part with it; restore it from the default templates/",)),
    Case("template expression fails", write("templates/page.html", "{% extends 'base.html' %}\n{% block main %}\n{{ 1 // 0 }}\n{% endblock %}\n"),
         ("templates/page.html:3: ZeroDivisionError: integer division or modulo by zero; fix the expression on this line",)),
    Case("date that does not exist", edit(PAGE, "title: Beta", "title: Beta\nupdated: 2024-02-30"),
         ("content/beta.md:3: `updated` must be a date (YYYY-MM-DD); '2024-02-30' is not a real date or time",)),
    Case("time that does not exist", edit(PAGE, "title: Beta", "title: Beta\nupdated: 2024-02-02 25:00:00"),
         ("content/beta.md:3: `updated` must be a date (YYYY-MM-DD); '2024-02-02 25:00:00' is not a real date or time",)),
    Case("explicit tag that does not fit", edit(PAGE, "title: Beta", "title: Beta\norder: !!int abc"),
         ("content/beta.md:3: `order` must be a whole number; 'abc' cannot be read as a whole number",)),
    Case("unknown tag", edit("site.yaml", 'description: "A small fixture site."', "description: !foo x"),
         ("site.yaml:2: `description` must be a string; the tag `!foo` is not one this file may use; remove it",)),
    Case("number too long", edit(PAGE, "title: Beta", "title: Beta\norder: " + "1" * 5000),
         ("content/beta.md:3: `order` must be a whole number; the number has 5000 digits, too many to be meant",)),
    Case("number too large", edit(PAGE, "title: Beta", "title: Beta\norder: 10000000000"),
         ("content/beta.md:3: `order` must be a whole number between -1,000,000,000 and 1,000,000,000; use a smaller one",)),
    Case("value that contains itself", edit("site.yaml", 'description: "A small fixture site."', "description: &d [*d]"),
         ("site.yaml:2: `description` must be a string, not a list or mapping",)),
    Case("YAML 1.1 true or false where text is meant", edit("site.yaml", 'title: "An essay"', "title: no"),
         ('site.yaml:17: `title`: `no` was read as false; quote it: "no"',)),
    Case("lone surrogate", edit("site.yaml", 'title: "An essay"', 'title: "An essay \\ud800"'),
         ("site.yaml:17: `title` contains a lone surrogate (a \\u escape between D800 and DFFF), which is not text; remove it",)),
    Case("source url that is not a URL", edit("site.yaml", 'title: "An essay"', 'title: "An essay"\n    url: "https://[oops/x"'),
         ("site.yaml:18: a source `url` must be an http:// or https:// address, got 'https://[oops/x'",)),
    Case("base_url that is not a URL", lambda site: None,
         ("--base-url: base_url must be an absolute http(s) URL such as https://user.github.io/repo/, got 'https://[::1/'",),
         args=("--base-url", "https://[::1/")),
    Case("language that is not a language tag", edit("site.yaml", "language: en", "language: jp"),
         ("site.yaml:3: `jp` is not a language tag; did you mean `ja` (Japanese)?",)),
    Case("control character in YAML", edit("site.yaml", 'description: "A small fixture site."', "description: A small\x01 site."),
         ("site.yaml:2: invalid YAML: the control character '\\x01' is not allowed; remove it, or write it as an escape such as \\t inside double quotes",)),
    Case("page that is a folder", folder("content/dir.md"),
         ("content/dir.md: this is a folder, not a page; rename it so its name does not end in .md",)),
    Case("page that is a named pipe", fifo("content/pipe.md"),
         ("content/pipe.md: this is not a regular file (a named pipe, socket or device); replace it with a file or remove it",)),
    Case("seed that is a named pipe", both(fifo("seeds/pipe.txt"), edit("site.yaml", "file: essay.txt", "file: pipe.txt")),
         ("site.yaml:16: seeds/pipe.txt is not a regular file (a named pipe, socket or device); copy the document into seeds/ as a file",)),
    Case("seed that is a folder", both(folder("seeds/folder.txt"), edit("site.yaml", "file: essay.txt", "file: folder.txt")),
         ("site.yaml:16: seeds/folder.txt is a folder, not a document; name a file in seeds/",)),
    Case("file name with a line break", write("content/bad\nname.md", "---\ntitle: X\n---\n"),
         ("content/bad\\nname.md: the file name 'bad\\nname.md' cannot be a page address; use lower-case letters, digits, - or _ (and not 404, sitemap, citations, corroboration, search)",)),
    Case("seed not listed in site.yaml (warning, --strict)", write("seeds/extra.txt", "Text.\n"),
         ("seeds/extra.txt: warning: this file is not listed in `sources` in site.yaml, so it is not published; add a `sources` entry for it, or remove it",),
         args=("--strict",)),
    Case("output folder holds files no build made", both(write("docs/notes.md", "# Notes\n"), write("docs/logo.png", b"\x89PNG")),
         ("--output: refusing to write the site into {site}/docs: it holds 'logo.png', 'notes.md', which no build made, and every "
          "build replaces the whole folder; choose a new or empty folder, or move those files away",),
         args=("--output", "docs")),
    Case("heading anchor the page itself uses", edit(PAGE, "---\nThe essay", "---\n## Main\n\nThe essay"),
         ("content/beta.md:4: the heading's anchor `main` is an id the page itself uses, so links to either would be ambiguous; reword the heading",)),
    Case("problems in site.yaml and in pages at once", both(edit("site.yaml", "language: en", "language: jp"),
                                                             edit(PAGE, "title: Beta", "title: Beta\norder: first")),
         ("content/beta.md:3: `order` must be a whole number, got 'first'",
          "site.yaml:3: `jp` is not a language tag; did you mean `ja` (Japanese)?")),
    Case("missing templates, all at once", lambda site: [os.remove(site / "templates" / name) for name in ("page.html", "_notes.html", "404.html")],
         ("templates/404.html: template not found; restore it from the default templates/",
          "templates/_notes.html: template not found; restore it from the default templates/",
          "templates/page.html: template not found; restore it from the default templates/")),
    Case("two seeds published under one name", both(write("seeds/wire", "Text.\n"),
                                                     edit("site.yaml", "kind: commentary", "kind: commentary\n  - id: other\n    file: wire\n    title: Other")),
         ("site.yaml:20: seeds/wire would be published as sources/files/wire.txt, as seeds/wire.txt is; rename one of them",)),
    Case("broken link in content/", symlink("content/gone.md", "gone-elsewhere.md"),
         ("content/gone.md: this is a link to a file that does not exist; fix the link or remove it",)),
    Case("source reliability not on the scale", edit("site.yaml", "    kind: commentary\n", "    kind: commentary\n    reliability: G\n"),
         ("site.yaml:19: `reliability` must be one letter of the Admiralty scale, A to F (A Completely reliable, B Usually reliable, C Fairly reliable, D Not usually reliable, E Unreliable, F Reliability cannot be judged), got 'G'",)),
    Case("credibility not on the scale", edit(PAGE, 'prefix="The essay"]', 'prefix="The essay" cred=7]'),
         ("content/beta.md:4: `cred=` needs the information's credibility on the Admiralty scale, 1 to 6 (1 confirmed by other sources, "
          "2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 truth cannot be judged)",)),
    Case("judgment without a confidence level", edit(PAGE, "The essay calls", "[judgment: likely] The essay calls"),
         ("content/beta.md:4: the judgment gives no confidence level; add low, moderate or high confidence, as in [judgment: likely, moderate confidence]",)),
    Case("likelihood off the ICD 203 scale (warning, --strict)", edit(PAGE, "The essay calls", "[judgment: probably, low confidence] The essay calls"),
         ("content/beta.md:4: warning: “probably” is not a likelihood term of the ICD 203 scale; use one of almost no chance, very unlikely, "
          "unlikely, roughly even chance, likely, very likely, almost certain (or their alternatives: remote, highly improbable, improbable, "
          "roughly even odds, probable, highly probable, nearly certain)",),
         args=("--strict",)),
    Case("strong judgment on one group (warning, --strict)", edit(PAGE, "The essay calls", "[judgment: very likely, moderate confidence] The essay calls"),
         ("content/beta.md:4: warning: the judgment “very likely” rests on one independent group of sources (essay); a judgment this strong "
          "needs two or more independent groups: cite an independent source, or use a weaker likelihood term",),
         args=("--strict",)),
]
