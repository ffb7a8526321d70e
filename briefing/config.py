"""Stage 0: read site.yaml once into a typed, validated Config."""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import Location, Problems, relative_name
from .scales import RELIABILITY
from .yamlnodes import Fields, Node, compose, mapping, scalar, sequence

SITE_KEYS = ("title", "description", "language", "base_url", "allow_html", "topics", "pages", "domain", "sources")
SOURCE_KEYS = ("id", "file", "title", "author", "publisher", "date", "url", "kind", "perspective", "furniture", "paragraphs",
               "reliability", "reliability_note", "group")
PARAGRAPH_MODES = ("lines", "blank-lines")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SAFE_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
RESERVED_SOURCE_IDS = ("index", "files")


@dataclass(frozen=True)
class Furniture:
    """A line of a seed that is page furniture (footer, caption, date bar), not the article."""

    text: str | None  # every paragraph with exactly this text...
    line: int | None  # ...or the paragraph starting on this line
    location: Location


@dataclass(frozen=True)
class SourceConfig:
    id: str
    file: str
    title: str
    author: str | None
    publisher: str | None
    date: str | None
    url: str | None
    kind: str | None
    perspective: str | None
    furniture: tuple[Furniture, ...]
    paragraphs: str
    location: Location
    reliability: str | None = None  # Admiralty / NATO source reliability, A-F
    reliability_note: str | None = None  # one line: why that grade
    group: str | None = None  # sources sharing a group are one line of reporting, not independent


@dataclass(frozen=True)
class Config:
    root: Path
    config_location: str
    title: str
    description: str
    language: str
    base_url: str  # "" or an absolute URL ending in "/"
    allow_html: bool
    topics: tuple[str, ...]
    topics_location: Location
    pages: tuple[str, ...]  # other pages shown in the navigation, after the topics
    pages_location: Location
    domain: str | None
    sources: tuple[SourceConfig, ...]
    output_dir: Path

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def base_path(self) -> str:
        """The URL path the site is served under: "/" at a domain root, "/repo/" under a sub-path."""
        return urlsplit(self.base_url).path or "/" if self.base_url else "/"


def load_config(config_path: Path, output_dir: Path | None = None, base_url: str | None = None) -> Config:
    """Read and validate site.yaml; raise BuildError listing every problem found."""
    problems = Problems()
    root = config_path.resolve().parent
    name = relative_name(config_path, root)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.error(Location(str(config_path)), "no site configuration here; create site.yaml or pass --config PATH")
        problems.check()
        raise AssertionError("unreachable")
    except (UnicodeDecodeError, OSError) as exc:
        problems.error(Location(name), f"cannot read the configuration ({exc}); save it as UTF-8 text")
        problems.check()
        raise AssertionError("unreachable")
    global _last
    key = (root, name, text, output_dir, base_url)
    if _last is not None and _last[0] == key:  # the same text as last time (the preview's rebuilds): only the seeds may differ
        for source in _last[1].sources:
            _check_source_file(source.file, _last[2][source.id], root, problems)
        problems.check()
        return _last[1]
    node = compose(text, name, problems)
    config = None
    file_locations: dict[str, Location] = {}
    if node is None and not problems.errors:
        problems.error(Location(name, 1), "the configuration is empty; it needs at least `title:` and `sources:`")
    elif node is not None:
        config = _read_site(node, root, name, problems, output_dir, base_url, file_locations)
    _last = None
    if config is not None and not problems.items:
        _last = (key, config, file_locations)
    problems.check()
    assert config is not None
    return config


_last: tuple[tuple, Config, dict[str, Location]] | None = None  # the last valid configuration read, and where each source names its file


def _read_site(node: Node, root: Path, name: str, problems: Problems, output_dir: Path | None, base_url_override: str | None,
               file_locations: dict[str, Location]) -> Config | None:
    fields = mapping(node, problems, name)
    if fields is None:
        return None
    for key, loc in fields.unknown(SITE_KEYS):
        problems.error(loc, f"unknown key `{key}`; allowed keys are {', '.join(SITE_KEYS)}")
    title = _required_str(fields, "title", node, problems)
    description = _optional_str(fields, "description", problems) or ""
    language = _optional_str(fields, "language", problems) or "en"
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", language):
        problems.error(_loc(fields, "language", node), f"`language` must be a language tag such as en or en-GB, got {language!r}")
    raw_base = base_url_override if base_url_override is not None else (_optional_str(fields, "base_url", problems) or "")
    base_url = _check_base_url(raw_base, _loc(fields, "base_url", node), problems, from_cli=base_url_override is not None)
    allow_html = False
    if fields.get("allow_html") is not None:
        allow_html = bool(scalar(fields.get("allow_html"), bool, problems, "allow_html"))
    domain = _optional_str(fields, "domain", problems)
    if domain is not None and not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", domain):
        problems.error(_loc(fields, "domain", node), f"`domain` must be a host name such as briefing.example.org, got {domain!r}")
    topics = _page_list(fields, "topics", problems, [])
    pages = _page_list(fields, "pages", problems, topics)
    sources = _read_sources(fields, node, root, problems, file_locations)
    out = (output_dir if output_dir is not None else root / "output").resolve()
    if title is None:
        return None
    return Config(
        root=root,
        config_location=name,
        title=title,
        description=description,
        language=language,
        base_url=base_url,
        allow_html=allow_html,
        topics=tuple(topics),
        topics_location=_loc(fields, "topics", node),
        pages=tuple(pages),
        pages_location=_loc(fields, "pages", node),
        domain=domain,
        sources=tuple(sources),
        output_dir=out,
    )


def _page_list(fields: Fields, key: str, problems: Problems, taken: list[str]) -> list[str]:
    """`topics` or `pages`: page names, each listed once across both."""
    names: list[str] = []
    node = fields.get(key)
    for item in (sequence(node, problems, key) or []) if node is not None else []:
        slug = scalar(item, str, problems, f"{key} entry")
        if slug is None:
            continue
        if slug in names or slug in taken:
            problems.error(item.location, f"page `{slug}` is listed twice in `topics`/`pages`; list each page once")
        names.append(slug)
    return names


def _read_sources(fields: Fields, node: Node, root: Path, problems: Problems, file_locations: dict[str, Location]) -> list[SourceConfig]:
    """The `sources` entries; `file_locations` receives where each source (by id) names its file."""
    sources_node = fields.get("sources")
    if sources_node is None:
        problems.error(node.location, "missing required key `sources`; list the documents in seeds/ (id, file, title)")
        return []
    result: list[SourceConfig] = []
    seen_ids: set[str] = set()
    seen_files: set[str] = set()
    for item in sequence(sources_node, problems, "sources") or []:
        entry = mapping(item, problems, "a `sources` entry")
        if entry is None:
            continue
        for key, loc in entry.unknown(SOURCE_KEYS):
            problems.error(loc, f"unknown key `{key}` in a source; allowed keys are {', '.join(SOURCE_KEYS)}")
        source_id = _required_str(entry, "id", item, problems, "a source")
        file = _required_str(entry, "file", item, problems, "a source")
        title = _required_str(entry, "title", item, problems, "a source")
        optional = {key: _optional_str(entry, key, problems) for key in ("author", "publisher", "date", "url", "kind", "perspective")}
        paragraphs = _optional_str(entry, "paragraphs", problems) or "lines"
        if paragraphs not in PARAGRAPH_MODES:
            problems.error(_loc(entry, "paragraphs", item), f"`paragraphs` must be one of {', '.join(PARAGRAPH_MODES)}, got {paragraphs!r}")
        if optional["url"] is not None and urlsplit(optional["url"]).scheme not in ("http", "https"):
            problems.error(_loc(entry, "url", item), f"a source `url` must start with http:// or https://, got {optional['url']!r}")
        furniture = []
        if entry.get("furniture") is not None:
            for line_node in sequence(entry.get("furniture"), problems, "furniture") or []:
                value = scalar(line_node, (str, int), problems, "furniture entry")
                if isinstance(value, int) and not isinstance(value, bool):
                    furniture.append(Furniture(None, value, line_node.location))
                elif isinstance(value, str):
                    furniture.append(Furniture(value.strip(), None, line_node.location))
        if source_id is not None:
            if not ID_PATTERN.fullmatch(source_id):
                problems.error(_loc(entry, "id", item), f"source id {source_id!r} must be lower-case letters, digits, - or _, starting with a letter or digit")
            elif source_id in RESERVED_SOURCE_IDS:
                problems.error(_loc(entry, "id", item), f"source id `{source_id}` is reserved (sources/{source_id} is used by the site); choose another id")
            elif source_id in seen_ids:
                problems.error(_loc(entry, "id", item), f"source id `{source_id}` is used twice; give each source its own id")
            seen_ids.add(source_id)
        if file is not None:
            _check_source_file(file, _loc(entry, "file", item), root, problems)
            if source_id is not None:
                file_locations[source_id] = _loc(entry, "file", item)
            if file in seen_files:
                problems.error(_loc(entry, "file", item), f"seeds/{file} is listed twice; list each document once")
            seen_files.add(file)
        if source_id is None or file is None or title is None:
            continue
        result.append(SourceConfig(id=source_id, file=file, title=title, furniture=tuple(furniture), paragraphs=paragraphs, location=item.location,
                                   **optional, **_read_grading(entry, item, problems)))
    return result


def _read_grading(entry: Fields, item: Node, problems: Problems) -> dict[str, str | None]:
    """A source's `reliability` (one letter A-F), `reliability_note` and `group` (an id-like name)."""
    grading = {key: _optional_str(entry, key, problems) for key in ("reliability", "reliability_note", "group")}
    reliability = grading["reliability"]
    if reliability is not None and reliability not in RELIABILITY:
        problems.error(_loc(entry, "reliability", item), f"`reliability` must be one letter of the Admiralty scale, A to F "
                       f"({', '.join(f'{k} {v}' for k, v in RELIABILITY.items())}), got {reliability!r}")
        grading["reliability"] = None
    if grading["reliability_note"] is not None and reliability is None:
        problems.error(_loc(entry, "reliability_note", item), "`reliability_note` explains a grade, but this source has no `reliability`; add one (A to F) or remove the note")
    group = grading["group"]
    if group is not None and not ID_PATTERN.fullmatch(group):
        problems.error(_loc(entry, "group", item), f"`group` {group!r} must be lower-case letters, digits, - or _; give every source of one line of reporting the same name")
        grading["group"] = None
    return grading


def _check_source_file(file: str, loc: Location, root: Path, problems: Problems) -> None:
    if "/" in file or "\\" in file or file in ("", ".", "..") or "\x00" in file:
        problems.error(loc, f"`file` must be a file name inside seeds/, not a path: {file!r}")
        return
    if not SAFE_FILE.fullmatch(file):
        problems.error(loc, f"the file name {file!r} has characters that are unsafe in a URL; rename it using letters, digits, '.', '-' and '_'")
        return
    try:
        mode = os.lstat(os.path.join(root, "seeds", file)).st_mode  # a string path: this runs once per source
    except OSError:
        mode = 0
    if stat.S_ISREG(mode):  # a file itself, in seeds/ as its name has no `/`
        return
    path = root / "seeds" / file
    linked = stat.S_ISLNK(mode)
    if not path.is_file():
        problems.error(loc, f"source file seeds/{file} does not exist; copy the document into seeds/ or fix the name")
        return
    # A file that is not a link lies in seeds/ (its name has no `/`); a link must lead there too.
    if linked and (root / "seeds").resolve() not in path.resolve().parents:
        problems.error(loc, f"seeds/{file} is a link to a file outside seeds/; copy the document itself into seeds/")


def _check_base_url(value: str, loc: Location, problems: Problems, from_cli: bool) -> str:
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        where = Location("--base-url") if from_cli else loc
        problems.error(where, f"base_url must be an absolute http(s) URL such as https://user.github.io/repo/, got {value!r}")
        return ""
    return value if value.endswith("/") else value + "/"


def _loc(fields: Fields, key: str, parent: Node) -> Location:
    return fields.values[key].location if key in fields.values else parent.location


def _required_str(fields: Fields, key: str, parent: Node, problems: Problems, what: str = "site.yaml") -> str | None:
    node = fields.get(key)
    if node is None:
        problems.error(parent.location, f"missing required key `{key}` in {what}")
        return None
    value = scalar(node, str, problems, key)
    if value is not None and not value.strip():
        problems.error(node.location, f"`{key}` must not be empty")
        return None
    return value


def _optional_str(fields: Fields, key: str, problems: Problems) -> str | None:
    node = fields.get(key)
    if node is None or node.value() is None:
        return None
    return scalar(node, str, problems, key)
