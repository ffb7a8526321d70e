"""`python build.py add`: a web page, PDF or text file becomes a seed, its original kept beside it,
and a source entry with its provenance appended to site.yaml.

Everything is read and checked before anything is written; then the seed and the original are
created (never overwriting a file) and site.yaml is replaced whole, so a failure leaves site.yaml
and seeds/ as they were. The entry is inserted as text after the last source, so the rest of
site.yaml (comments, quoting, order) keeps every byte.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from .citations import find_quote
from .config import ID_PATTERN, RESERVED_SOURCE_IDS, Config, SourceConfig, load_config
from .inputs import read_inputs
from .memo import Memo
from .content import load_pages
from .errors import Problems
from .extract import ORIGINAL_ENDINGS, ExtractError, Extracted, extract, kind_of
from .fetch import MAX_BYTES, FetchError, fetch
from .sources import load_source, load_sources
from .yamlnodes import compose


class AddError(ValueError):
    """What stops `add`, as one line `what is wrong; what to do` (printed after `add: `)."""


@dataclass(frozen=True)
class Original:
    """A document as received: its bytes, what kind it is, and where it came from."""

    name: str  # the file name, or the address's last path segment
    data: bytes
    kind: str  # "html", "pdf" or "text"
    url: str | None  # the address it was fetched from (after redirects), if fetched
    charset: str | None  # the charset its HTTP header declared


@dataclass(frozen=True)
class Added:
    """What `add` wrote: the source id, the seed and kept original (file names in seeds/), site.yaml's line of the entry."""

    id: str
    seed: str
    original: str | None
    line: int
    entry: dict[str, str]


def run(args: argparse.Namespace) -> int:
    """The `add` command: exit status 0, or 1 after printing one line `add: what is wrong; what to do`."""
    try:
        if args.refresh:
            return refresh(args.config, args.refresh, args.write)
        if not args.source:
            raise AddError("nothing to add; give a file path or an http(s) address (python build.py add report.pdf), or --refresh ID")
        if args.write:
            raise AddError("--write goes with --refresh ID; `add PATH_OR_URL` writes without it")
        added = add(args.config, args.source, args.id, dt.date.today())
    except AddError as exc:
        print(f"add: {exc}", file=sys.stderr)
        return 1
    kept = f", original kept as seeds/{added.original}" if added.original else ""
    print(f"added `{added.id}`: seeds/{added.seed}{kept}; site.yaml:{added.line}")
    missing = [key for key in ("author", "date", "url") if key not in added.entry]
    if missing:
        print(f"  not stated in the document, so left out: {', '.join(missing)} (add them to site.yaml only from the document itself)")
    print(f'  cite it as [@{added.id} "exact words"]; `kind` and `perspective` are yours to write')
    return 0


def add(config_path: Path, what: str, source_id: str | None, today: dt.date) -> Added:
    """Add a document (a file path, or an http(s) address) as a source of the site configured at
    `config_path`, with the id given or one made from its name. Returns what was written; raises
    AddError (having written nothing) when the document cannot be read, fetched or extracted, or
    the id or a file name is taken."""
    site_text, sources = _read_site(config_path)
    original = read_original(what)
    try:
        extracted = extract(original.kind, original.data, original.charset)
    except ExtractError as exc:
        raise AddError(f"{original.name}: {exc}") from None
    source_id = source_id or _make_id(original.name)
    seeds = config_path.resolve().parent / "seeds"
    seed, kept = _file_names(source_id, original)
    _check_free(source_id, (seed, kept) if kept else (seed,), sources, seeds)
    entry = _entry(source_id, seed, kept, original, extracted, today)
    new_text, line = insert_source(site_text, sources, entry)
    _write(config_path, seeds, {seed: extracted.text.encode("utf-8"), **({kept: original.data} if kept else {})}, new_text)
    return Added(source_id, seed, kept, line, entry)


def read_original(what: str) -> Original:
    """The document named by a path or an http(s) address, at most MAX_BYTES. Raises AddError."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", what):
        try:
            fetched = fetch(what)
        except FetchError as exc:
            raise AddError(str(exc)) from None
        name = unquote(urlsplit(fetched.url).path.rstrip("/").rsplit("/", 1)[-1]) or urlsplit(fetched.url).hostname or "page"
        return Original(name, fetched.data, fetched.kind, fetched.url, fetched.charset)
    path = Path(what)
    kind = kind_of(path.name)
    if kind is None:
        raise AddError(f"{what} is not .html, .htm, .pdf, .txt or .md; save the document as one of these and add that")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise AddError(f"{what} is not a file; give the path of the document to add")
        if size > MAX_BYTES:
            raise AddError(f"{what} is {size:,} bytes, over the limit of {MAX_BYTES:,} bytes; add a shorter extract as .txt")
        data = path.read_bytes()
    except FileNotFoundError:
        raise AddError(f"{what} does not exist; check the path") from None
    except OSError as exc:
        raise AddError(f"cannot read {what} ({exc.strerror}); check that it is a readable file") from None
    return Original(path.name, data, kind, None, None)


def _read_site(config_path: Path) -> tuple[str, yaml.SequenceNode]:
    """site.yaml's text and its `sources` list, read only as far as `add` needs them."""
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AddError(f"there is no {config_path}; run add in the briefing's folder, or pass --config PATH") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AddError(f"cannot read {config_path} ({exc}); save it as UTF-8 text") from None
    problems = Problems()
    node = compose(text, config_path.name, problems)
    if problems.items:
        raise AddError(f"{problems.items[0]}; fix site.yaml first")
    if node is None or not isinstance(node.node, yaml.MappingNode):
        raise AddError(f"{config_path} is not a mapping of settings; fix it first (see README.md, `site.yaml`)")
    for key, value in node.node.value:
        if key.value == "sources":
            if isinstance(value, yaml.SequenceNode) and not value.value and value.start_mark.line == value.end_mark.line:
                return text, value  # `sources: []`, a new briefing's
            if not isinstance(value, yaml.SequenceNode) or value.flow_style or not value.value:
                raise AddError(f"{config_path.name}:{value.start_mark.line + 1}: `sources` is not a list of entries one under another; "
                               "write it as a block list (`- id: ...`) with at least one source, then add again")
            return text, value
    raise AddError(f"{config_path.name} has no `sources:` list; add one with at least one source, then add again")


def _make_id(name: str) -> str:
    """An id from a file or page name: `Annual Report_2024.pdf` -> `annual-report_2024`."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", name).lower()
    slug = re.sub(r"[^a-z0-9_]+", "-", stem).strip("-_")[:40].strip("-_") or "source"
    return f"{slug}-page" if slug in RESERVED_SOURCE_IDS else slug  # `index.html` names many a page


def _file_names(source_id: str, original: Original) -> tuple[str, str | None]:
    """The seed's file name and the kept original's: `<id>.txt` and `<id>.original.html` (or .pdf);
    a text file is its own seed (`<id>.txt` or `<id>.md`), with nothing else kept."""
    if original.kind == "text":
        return f"{source_id}{'.md' if original.name.lower().endswith('.md') else '.txt'}", None
    return f"{source_id}.txt", f"{source_id}.original.{ORIGINAL_ENDINGS[original.kind]}"


def _check_free(source_id: str, files: tuple[str, ...], sources: yaml.SequenceNode, seeds: Path) -> None:
    if not ID_PATTERN.fullmatch(source_id):
        raise AddError(f"the id {source_id!r} must be lower-case letters, digits, - or _, starting with a letter or digit; choose one with --id")
    if source_id in RESERVED_SOURCE_IDS:
        raise AddError(f"the id `{source_id}` is reserved (sources/{source_id} is used by the site); choose another with --id")
    for item in sources.value:
        values = {k.value: v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        for key, taken in (("id", (source_id,)), ("file", files), ("original", files)):
            node = values.get(key)
            if isinstance(node, yaml.ScalarNode) and node.value in taken:
                what = f"source id `{source_id}`" if key == "id" else f"seeds/{node.value}"
                raise AddError(f"{what} is already in site.yaml (line {node.start_mark.line + 1}); choose another id with --id")
    for file in files:
        if (seeds / file).exists() or (seeds / file).is_symlink():
            raise AddError(f"seeds/{file} already exists; choose another id with --id, or remove the file")


def _entry(source_id: str, seed: str, kept: str | None, original: Original, extracted: Extracted, today: dt.date) -> dict[str, str]:
    """The site.yaml entry, in the order the README lists the keys; only what the document states."""
    entry = {"id": source_id, "file": seed, "title": extracted.title or f"[Untitled: {original.name}]"}
    entry.update({key: value for key, value in (("author", extracted.author), ("publisher", extracted.publisher),
                                                ("date", extracted.date), ("url", original.url or extracted.url)) if value})
    if original.kind == "pdf":
        entry["paragraphs"] = "blank-lines"  # a PDF's lines are wrapped: its paragraphs are separated by blank lines
    if kept:
        entry.update(original=kept, sha256=hashlib.sha256(original.data).hexdigest(), extractor=extracted.extractor or "")
    entry["retrieved"] = today.isoformat()
    if extracted.charset:
        entry["charset"] = extracted.charset
    return entry


def insert_source(site_text: str, sources: yaml.SequenceNode, entry: dict[str, str]) -> tuple[str, int]:
    """site.yaml's text with `entry` appended to its `sources` block list, indented as the entries
    before it, right after the last one's last line; every other byte as it was. Returns the text
    and the entry's first line (1-based)."""
    if not sources.value:  # `sources: []` becomes a block list holding the entry
        start, end = sources.start_mark.index, sources.end_mark.index
        block = "".join(f"\n  - {_line(key, value)}" if index == 0 else f"\n    {_line(key, value)}" for index, (key, value) in enumerate(entry.items()))
        return site_text[:start].rstrip(" ") + block + site_text[end:], sources.start_mark.line + 2
    lines = site_text.splitlines(keepends=True)
    first = sources.value[0]
    dash_line = lines[first.start_mark.line]
    key_column = first.start_mark.column
    dash_column = dash_line.rfind("-", 0, key_column) if isinstance(first, yaml.MappingNode) else -1
    if dash_column < 0 or dash_line[dash_column + 1 : key_column].strip() or not isinstance(first, yaml.MappingNode):
        raise AddError(f"site.yaml:{first.start_mark.line + 1}: the first source is not written `- id: ...`; write the sources as a block list, then add again")
    end = _last_line(sources.value[-1])
    newline = "\r\n" if dash_line.endswith("\r\n") else "\n"
    block = [" " * dash_column + "-" + " " * (key_column - dash_column - 1) + _line(key, value) if index == 0
             else " " * key_column + _line(key, value) for index, (key, value) in enumerate(entry.items())]
    before = "".join(lines[: end + 1])
    if before and not before.endswith(("\n", "\r")):
        before += newline
    return before + newline.join(block) + newline + "".join(lines[end + 1 :]), end + 2


def _last_line(node: yaml.Node) -> int:
    """The 0-based line of the last character of a node's value (a mark at a line's start ends the line
    before). A block list or mapping ends where the next token starts, past comments: only its values count."""
    last = node.start_mark.line
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        mark = node.end_mark
        last = max(last, mark.line if mark.column > 0 else mark.line - 1)
    for child in _children(node):
        last = max(last, _last_line(child))
    return last


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line(key: str, value: str) -> str:
    # A JSON string is a YAML double-quoted scalar; ids, file names, hashes and dates need no quotes.
    plain = key in ("id", "file", "original", "sha256", "paragraphs", "charset") or (key == "retrieved")
    return f"{key}: {value}" if plain else f"{key}: {json.dumps(value, ensure_ascii=False)}"


def _write(config_path: Path, seeds: Path, files: dict[str, bytes], site_text: str) -> None:
    """Create each file in seeds/ (never replacing one), then replace site.yaml whole; on any
    failure remove what was created, so nothing is left half-written."""
    created: list[Path] = []
    try:
        seeds.mkdir(exist_ok=True)
        for name, data in files.items():
            path = seeds / name
            with open(path, "xb") as file:
                created.append(path)
                file.write(data)
        replace_text(config_path, site_text)
    except OSError as exc:
        for path in created:
            path.unlink(missing_ok=True)
        raise AddError(f"cannot write {exc.filename or config_path} ({exc.strerror}); nothing was added, check the folder's permissions") from None


def replace_text(path: Path, text: str) -> None:
    """Write a whole file through a temporary file beside it, renamed into place (its mode kept)."""
    fd, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refresh(config_path: Path, source_id: str, write: bool) -> int:
    """`add --refresh ID`: extract the source's kept original again with the installed extractor,
    list every citation whose quote would no longer match the new text, and replace the seed (and
    the `sha256`/`extractor` lines of site.yaml) only when `write`. Returns the exit status 0;
    raises AddError (nothing changed) when the source or its original cannot be read, and
    BuildError when site.yaml has problems."""
    config = load_config(config_path)
    source = next((s for s in config.sources if s.id == source_id), None)
    if source is None:
        raise AddError(f"there is no source `{source_id}` in site.yaml; known ids are {', '.join(s.id for s in config.sources)}")
    provenance = source.provenance
    if provenance is None or provenance.original is None:
        raise AddError(f"source `{source_id}` has no kept original (`original:` in site.yaml); only sources added from HTML or PDF can be refreshed")
    original_path = config.seeds_dir / provenance.original
    try:
        data = original_path.read_bytes()
    except OSError as exc:
        raise AddError(f"cannot read seeds/{provenance.original}, the original of `{source_id}` ({exc.strerror}); restore it from version control") from None
    kind = kind_of(provenance.original)
    try:
        extracted = extract(kind or "text", data, provenance.charset)
    except ExtractError as exc:
        raise AddError(f"seeds/{provenance.original}: {exc}") from None
    seed_path = config.seeds_dir / source.file
    current = seed_path.read_bytes().decode("utf-8", errors="replace") if seed_path.exists() else ""
    digest = hashlib.sha256(data).hexdigest()
    if extracted.text == current and digest == provenance.sha256 and extracted.extractor == provenance.extractor:
        print(f"seeds/{source.file} is as {extracted.extractor} makes it from seeds/{provenance.original}; nothing to change")
        return 0
    broken = _broken_citations(config, source, extracted.text)
    changed = "the same text" if extracted.text == current else f"a different text ({_changed_lines(current, extracted.text)} line(s) differ)"
    print(f"{extracted.extractor} makes {changed} from seeds/{provenance.original} than seeds/{source.file} holds")
    for line in broken:
        print(f"  {line}")
    print(f"  {len(broken)} citation(s) would no longer match" if broken else "  every citation of it would still match")
    if not write:
        print(f"nothing changed; to replace seeds/{source.file}, run: python build.py add --refresh {source_id} --write")
        return 0
    site_text = config_path.read_text(encoding="utf-8")
    new_site = _set_keys(site_text, config_path.name, source_id, {"sha256": digest, "extractor": extracted.extractor or ""})
    try:
        replace_text(seed_path, extracted.text) if extracted.text != current else None
        replace_text(config_path, new_site) if new_site != site_text else None
    except OSError as exc:
        raise AddError(f"cannot write {exc.filename} ({exc.strerror}); check the folder's permissions") from None
    fix = "; fix the citations listed above before building" if broken else ""
    print(f"wrote seeds/{source.file} and the provenance of `{source_id}` in site.yaml{fix}")
    return 0


def _broken_citations(config: Config, source: SourceConfig, text: str) -> list[str]:
    """`content/PAGE.md:LINE: ...` for each citation of `source` that matches its seed now but not `text`."""
    memo = Memo()
    inputs = read_inputs(config, memo)
    pages = load_pages(config, inputs, memo, Problems())
    old = {s.id: s for s in load_sources(dataclasses.replace(config, sources=(source,)), inputs, memo, Problems())}.get(source.id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / source.file
        path.write_text(text, encoding="utf-8", newline="")
        new = load_source(path, source, Problems())
    lines = []
    for name in pages.names:
        for use in pages.page(name).citations:
            if use.ref.source_id != source.id:
                continue
            before = find_quote(old, use.ref) if old is not None else None
            after = find_quote(new, use.ref) if new is not None else "the new text is empty"
            if isinstance(after, str) and not isinstance(before, str):
                lines.append(f"{use.ref.location}: \"{use.ref.quote}\" would no longer match: {after}")
    return lines


def _changed_lines(old: str, new: str) -> int:
    return sum(1 for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-")


def _set_keys(site_text: str, name: str, source_id: str, values: dict[str, str]) -> str:
    """site.yaml's text with some keys of one source entry set (each already on a line of its own), the rest as it was."""
    problems = Problems()
    node = compose(site_text, name, problems)
    lines = site_text.splitlines(keepends=True)
    sources = next(v for k, v in node.node.value if k.value == "sources")  # type: ignore[union-attr]
    for item in sources.value:
        fields = {k.value: (k, v) for k, v in item.value}
        if fields.get("id", (None, None))[1] is None or fields["id"][1].value != source_id:
            continue
        for key, value in values.items():
            if key in fields:
                key_node, value_node = fields[key]
                row = lines[value_node.start_mark.line]
                ending = row[len(row.rstrip("\r\n")):]
                lines[value_node.start_mark.line] = row[: key_node.start_mark.column] + _line(key, value) + ending
    return "".join(lines)
