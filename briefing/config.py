"""Stage 0: read site.yaml once into a typed, validated Config."""
from __future__ import annotations

import dataclasses
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import Location, Problems, relative_name
from .memo import Memo, fingerprint
from .yamlnodes import Key, Node, Schema, Values, checked, compose, flag, items, optional_text, scalar, sequence, show, text, whole_number
from .scales import RELIABILITY
from .urls import published_name

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
class Provenance:
    """How a seed was made from a document kept beside it in seeds/ (written by `build.py add`)."""

    original: str | None  # the kept original's file name in seeds/ (never published)
    sha256: str | None  # the original's SHA-256 when it was added, 64 hex digits
    extractor: str | None  # "trafilatura 2.3.1", "pypdf 7.1.1"
    retrieved: str | None  # YYYY-MM-DD, when it was fetched or added
    charset: str | None  # the encoding an HTML original was read in
    location: Location  # of `sha256` (else of the source entry): where a changed original is reported


@dataclass(frozen=True)
class SourceConfig:
    """One entry of `sources` in site.yaml: a document in seeds/ and what is known of it.

    Its fields are the keys of SOURCE_SCHEMA (absent optional keys None), plus where it was written."""

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
    language: str | None = None  # a normalised BCP 47 tag; None: the site's language
    provenance: Provenance | None = None  # the provenance keys, when any is given
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
    search: bool = False  # build a Pagefind search index and a search page
    paginate: int = 100  # pages of the briefing per page of the Corroboration page and of annotations.jsonld

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


_PLAIN_KINDS = {kind.__name__: kind for kind in (Furniture, Provenance, SourceConfig, Location)}  # the dataclasses a Config holds


def where(config_path: Path, output_dir: Path | None = None) -> tuple[Path, str, Path]:
    """(the project folder, site.yaml's name in it as errors give it, the output folder, resolved)."""
    root = config_path.resolve().parent
    return root, relative_name(config_path, root), (output_dir if output_dir is not None else root / "output").resolve()


def load_config(config_path: Path, output_dir: Path | None = None, base_url: str | None = None, memo: Memo | None = None) -> Config:
    """Read and validate site.yaml; raise BuildError listing every problem found.

    A valid site.yaml read before is a unit of `memo` ("config": the Config as plain data, by the
    file's text and the options); only whether each source's file is in seeds/ is checked again."""
    problems = Problems()
    root, name, out = where(config_path, output_dir)
    try:
        if not stat.S_ISREG(os.stat(config_path).st_mode):  # a folder or a named pipe (which would block)
            problems.error(Location(name), "this is not a regular file; pass --config the path of a site.yaml file")
            problems.check()
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
    unit = fingerprint(str(root), name, text, str(out), base_url)
    if _last is not None and _last[0] == unit:  # the same text as last time (the preview's rebuilds): only the seeds may differ
        _check_seeds(_last[1], _last[2], root, problems)
        problems.check()
        return _last[1]
    remembered = memo.table("config").get(unit) if memo is not None else None
    config: Config | None = None
    file_locations: dict[str, Location] = {}
    if remembered is not None:  # as a build read it before: only whether each source's file is in seeds/ may differ
        config, file_locations = _revive(remembered[0], root, out), {sid: Location(*loc) for sid, loc in remembered[1].items()}
        _check_seeds(config, file_locations, root, problems)
    else:
        node = compose(text, name, problems)
        if node is None and not problems.errors:
            problems.error(Location(name, 1), "the configuration is empty; it needs at least `title:` and `sources:`")
        elif node is not None:
            config = _read_site(node, root, name, problems, out, base_url, file_locations)
        if memo is not None and config is not None and not problems.items:
            memo.table("config")[unit] = (_plain(config), {sid: (loc.path, loc.line) for sid, loc in file_locations.items()})
    _last = (unit, config, file_locations) if config is not None and not problems.items else None
    if problems.errors:
        from .content import page_problems  # here, as content/ needs the Config this module defines

        problems.items.extend(page_problems(root))  # the pages' own problems too, not one file's at a time
    problems.check()
    assert config is not None
    return config


_last: tuple[str, Config, dict[str, Location]] | None = None  # the last valid configuration read, and where each source names its file


def _check_seeds(config: Config, file_locations: dict[str, Location], root: Path, problems: Problems) -> None:
    """What may have changed since a valid site.yaml was read, as its reading checks it: the
    seeds/ folder, and each source's file in it."""
    problem = input_folder_problem(root, "seeds")
    if problem is not None:
        problems.error(Location("seeds/"), problem)
        return
    for source in config.sources:
        _check_source_file(source.file, file_locations[source.id], root, problems)


def _plain(value: Any) -> Any:
    """A Config as plain data (marshal's): each dataclass a dict naming its class, the folders left out (they are in the key)."""
    if isinstance(value, Config):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value) if field.name not in ("root", "output_dir")}
    if dataclasses.is_dataclass(value):
        return {"": type(value).__name__, **{field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def _revive(data: dict[str, Any], root: Path, out: Path) -> Config:
    """The Config `_plain` gave `data` for, in the project `root` writing to `out`."""
    def revive(value: Any) -> Any:
        if isinstance(value, dict):
            return _PLAIN_KINDS[value[""]](**{key: revive(item) for key, item in value.items() if key})
        if isinstance(value, tuple):
            return tuple(revive(item) for item in value)
        return value
    return Config(root=root, output_dir=out, **{key: revive(item) for key, item in data.items()})


def _read_site(node: Node, root: Path, name: str, problems: Problems, output_dir: Path | None, base_url_override: str | None,
               file_locations: dict[str, Location]) -> Config | None:
    site = SITE_SCHEMA.read(node, problems, name)
    if site is None:
        return None
    base_url = site["base_url"]
    if base_url_override is not None:
        base_url = (_base_url(base_url_override, Location("--base-url"), problems) or "") if base_url_override else ""
    topics = site["topics"]
    pages = [slug for slug in site["pages"] if not _listed_twice(slug, topics, site.location("pages"), problems)]
    sources = _read_sources(site, root, problems, file_locations)
    out = (output_dir if output_dir is not None else root / "output").resolve()
    if site["title"] is None:
        return None
    return Config(
        root=root,
        config_location=name,
        title=site["title"],
        description=site["description"],
        language=site["language"],
        base_url=base_url,
        allow_html=site["allow_html"],
        topics=tuple(topics),
        topics_location=site.location("topics"),
        pages=tuple(pages),
        pages_location=site.location("pages"),
        domain=site["domain"],
        sources=tuple(sources),
        output_dir=out,
        search=site["search"],
        paginate=site["paginate"] or 100,
    )


def _check_paginate(value: int, node: Node, problems: Problems, what: str) -> int | None:
    if value < 1:
        problems.error(node.location, f"`{what}` must be 1 or more: how many pages of the briefing each page of the Corroboration "
                       "page and of annotations.jsonld shows")
        return None
    return value


def _listed_twice(slug: str, taken: list[str], loc: Location, problems: Problems) -> bool:
    if slug in taken:
        problems.error(loc, f"page `{slug}` is listed twice in `topics`/`pages`; list each page once")
        return True
    return False


def _read_sources(site: Values, root: Path, problems: Problems, file_locations: dict[str, Location]) -> list[SourceConfig]:
    """The `sources` entries; `file_locations` receives where each source (by id) names its file."""
    result: list[SourceConfig] = []
    seen_ids: set[str] = set()
    seen_files: set[str] = set()
    published: dict[str, str] = {}  # published name -> seed file
    seeds_problem = input_folder_problem(root, "seeds")  # a seeds/ that leads elsewhere: look at none of its files
    if seeds_problem is not None:
        problems.error(Location("seeds/"), seeds_problem)
    for item in site["sources"] or []:
        entry = SOURCE_SCHEMA.read(item, problems, "a `sources` entry")
        if entry is None:
            continue
        source_id, file = entry["id"], entry["file"]
        if source_id is not None:
            if source_id in seen_ids:
                problems.error(entry.location("id"), f"source id `{source_id}` is used twice; give each source its own id")
            seen_ids.add(source_id)
        if file is not None:
            if seeds_problem is None:
                _check_source_file(file, entry.location("file"), root, problems)
            if source_id is not None:
                file_locations[source_id] = entry.location("file")
            if file in seen_files:
                problems.error(entry.location("file"), f"seeds/{file} is listed twice; list each document once")
            elif published_name(file) in published:
                problems.error(entry.location("file"), f"seeds/{file} would be published as sources/files/{published_name(file)}, "
                                                       f"as seeds/{published[published_name(file)]} is; rename one of them")
            seen_files.add(file)
            published.setdefault(published_name(file), file)
        if source_id is None or file is None or entry["title"] is None:
            continue
        if entry["reliability_note"] is not None and "reliability" not in entry.fields.values:
            problems.error(entry.location("reliability_note"), "`reliability_note` explains a grade, but this source has no `reliability`; add one (A to F) or remove the note")
        declared = {key: entry[key] for key in SOURCE_SCHEMA.names if key in SOURCE_FIELDS}
        result.append(SourceConfig(**declared, location=item.location, provenance=_provenance(entry, problems)))
    return result


def _check_reliability(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if value not in RELIABILITY:
        problems.error(node.location, f"`reliability` must be one letter of the Admiralty scale, A to F "
                       f"({', '.join(f'{k} {v}' for k, v in RELIABILITY.items())}), got {show(value)}")
        return None
    return value


def _check_group(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not ID_PATTERN.fullmatch(value):
        problems.error(node.location, f"`group` {show(value)} must be lower-case letters, digits, - or _; give every source of one line of reporting the same name")
        return None
    return value


PROVENANCE_KEYS = ("original", "sha256", "extractor", "retrieved", "charset")


def _provenance(entry: Values, problems: Problems) -> Provenance | None:
    """A source's provenance keys, or None without any."""
    values = {key: entry[key] for key in PROVENANCE_KEYS}
    if not any(key in entry.fields.values for key in PROVENANCE_KEYS):
        return None
    if values["original"] is not None and "sha256" not in entry.fields.values:
        problems.error(entry.location("original"), "`original` needs `sha256`, the kept original's SHA-256 (`sha256sum seeds/FILE`)")
    return Provenance(**values, location=entry.location("sha256"))


def _check_original(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not SAFE_FILE.fullmatch(value) or value in (".", ".."):
        problems.error(node.location, f"`original` must be a file name inside seeds/, got {show(value)}")
        return None
    return value


def _check_sha256(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        problems.error(node.location, "`sha256` must be 64 lower-case hex digits (the kept original's SHA-256)")
        return None
    return value


def _check_retrieved(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        problems.error(node.location, f"`retrieved` must be a date YYYY-MM-DD, got {show(value)}")
        return None
    return value


def input_folder_problem(root: Path, name: str) -> str | None:
    """What is wrong with the input folder `name` of the project at `root` (resolved): it is a
    link leading outside the project, or not a folder; None when it is fine or absent."""
    folder = root / name
    if not os.path.lexists(folder):
        return None
    resolved = folder.resolve()
    if resolved != root and root not in resolved.parents:
        return f"the folder is a link to {resolved}, outside the project; make {name}/ a folder of its own"
    if not resolved.is_dir():
        return f"{name} is not a folder; remove it and create the folder {name}/"
    return None


def _check_source_file(file: str, loc: Location, root: Path, problems: Problems) -> None:
    if "/" in file or "\\" in file or file in ("", ".", "..") or "\x00" in file:
        problems.error(loc, f"`file` must be a file name inside seeds/, not a path: {show(file)}")
        return
    if not SAFE_FILE.fullmatch(file) or len(file) > 200:
        problems.error(loc, f"the file name {show(file)} has characters that are unsafe in a URL; rename it using letters, digits, '.', '-' and '_'")
        return
    name = os.path.join(root, "seeds", file)  # a string path: this runs once per source
    try:
        mode = os.lstat(name).st_mode
    except OSError:
        mode = 0
    if stat.S_ISREG(mode):  # a file itself, in seeds/ as its name has no `/`
        return
    try:
        target = os.stat(name).st_mode
    except FileNotFoundError:
        problems.error(loc, f"source file seeds/{file} does not exist; copy the document into seeds/ or fix the name")
        return
    except OSError as exc:
        problems.error(loc, f"cannot read seeds/{file} ({exc.strerror}); check the file and its permissions")
        return
    if stat.S_ISDIR(target):
        problems.error(loc, f"seeds/{file} is a folder, not a document; name a file in seeds/")
        return
    if not stat.S_ISREG(target):
        problems.error(loc, f"seeds/{file} is not a regular file (a named pipe, socket or device); copy the document into seeds/ as a file")
        return
    # A file that is not a link lies in seeds/ (its name has no `/`); a link must lead there too.
    if stat.S_ISLNK(mode) and (root / "seeds").resolve() not in Path(name).resolve().parents:
        problems.error(loc, f"seeds/{file} is a link to a file outside seeds/; copy the document itself into seeds/")


def _base_url(value: str, loc: Location, problems: Problems) -> str | None:
    """An absolute http(s) URL, ending in "/"; None after a problem."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or ord(ch) < 32 for ch in value):
        problems.error(loc, f"base_url must be an absolute http(s) URL such as https://user.github.io/repo/, got {show(value)}")
        return None
    return value if value.endswith("/") else value + "/"


def _check_base_url(value: str, node: Node, problems: Problems, what: str) -> str | None:
    return _base_url(value, node.location, problems) if value else ""


def _check_url(value: str, node: Node, problems: Problems, what: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        problems.error(node.location, f"a source `url` must be an http:// or https:// address, got {show(value)}")
        return None
    return value


def _check_domain(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value):
        problems.error(node.location, f"`domain` must be a host name such as briefing.example.org, got {show(value)}")
        return None
    return value


def _check_source_id(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if not ID_PATTERN.fullmatch(value):
        problems.error(node.location, f"source id {show(value)} must be lower-case letters, digits, - or _, starting with a letter or digit")
        return None
    if value in RESERVED_SOURCE_IDS:
        problems.error(node.location, f"source id `{value}` is reserved (sources/{value} is used by the site); choose another id")
        return None
    return value


def _check_paragraphs(value: str, node: Node, problems: Problems, what: str) -> str | None:
    if value not in PARAGRAPH_MODES:
        problems.error(node.location, f"`paragraphs` must be one of {', '.join(PARAGRAPH_MODES)}, got {show(value)}")
        return None
    return value


def language_tag(value: str, node: Node, problems: Problems, what: str) -> str | None:
    """A BCP 47 language tag valid in the IANA registry, normalised (`en-gb` -> `en-GB`, `iw` -> `he`)."""
    import langcodes  # its data loads on first use: only sites that set a language pay for it

    try:
        if langcodes.tag_is_valid(value):
            return langcodes.standardize_tag(value)
    except (ValueError, LookupError):
        pass
    guess = _guess_language(value)
    hint = f"did you mean `{guess[0]}` ({guess[1]})?" if guess else "use a tag such as en, en-GB, fr or ja (see the IANA language subtag registry)"
    shown = f"`{value}`" if value.isprintable() and len(value) <= 40 else show(value)
    problems.error(node.location, f"{shown} is not a language tag; {hint}")
    return None


def _guess_language(value: str) -> tuple[str, str] | None:
    """The tag meant by a country code (`jp` -> `ja`) or a language's name (`English` -> `en`), if any."""
    import langcodes

    try:
        if re.fullmatch(r"[A-Za-z]{2}", value) and langcodes.tag_is_valid(f"und-{value.upper()}"):
            language = langcodes.Language.get(f"und-{value.upper()}").maximize().language
        elif len(value) <= 40:
            language = langcodes.find(value).language
        else:
            return None
    except (ValueError, LookupError):
        return None
    if not language or language == "und":
        return None
    return language, langcodes.Language.get(language).display_name()


def _page_names(node: Node, problems: Problems, what: str) -> list[str] | None:
    """`topics` or `pages`: page names, each listed once."""
    names: list[str] = []
    for item in sequence(node, problems, what) or []:
        slug = scalar(item, str, problems, f"{what} entry")
        if slug is None:
            continue
        if slug in names:
            problems.error(item.location, f"page `{slug}` is listed twice in `topics`/`pages`; list each page once")
        names.append(slug)
    return names


def _furniture(node: Node, problems: Problems, what: str) -> tuple[Furniture, ...] | None:
    found = []
    for line_node in sequence(node, problems, what) or []:
        value = scalar(line_node, (str, int), problems, "furniture entry")
        if isinstance(value, int) and not isinstance(value, bool):
            found.append(Furniture(None, value, line_node.location))
        elif isinstance(value, str):
            found.append(Furniture(value.strip(), None, line_node.location))
    return tuple(found)


SITE_SCHEMA = Schema((
    Key("title", text, required=True),
    Key("description", optional_text, default=""),
    Key("language", checked(text, language_tag), default="en"),
    Key("base_url", checked(optional_text, _check_base_url), default=""),
    Key("allow_html", flag, default=False),
    Key("topics", _page_names, default=[]),
    Key("pages", _page_names, default=[]),
    Key("domain", checked(text, _check_domain)),
    Key("search", flag, default=False),
    Key("paginate", checked(whole_number, _check_paginate), default=100),
    Key("sources", items, required=True, missing="missing required key `{key}`; list the documents in seeds/ (id, file, title)"),
), unknown="unknown key `{key}`; allowed keys are {allowed}", missing="missing required key `{key}` in site.yaml")

SOURCE_SCHEMA = Schema((
    Key("id", checked(text, _check_source_id), required=True),
    Key("file", text, required=True),
    Key("title", text, required=True),
    Key("author", optional_text),
    Key("publisher", optional_text),
    Key("date", optional_text),
    Key("url", checked(optional_text, _check_url)),
    Key("kind", optional_text),
    Key("perspective", optional_text),
    Key("furniture", _furniture, default=()),
    Key("paragraphs", checked(text, _check_paragraphs), default="lines"),
    Key("language", checked(text, language_tag)),
    # tradecraft: how far the source is to be trusted, and which sources are one line of reporting
    Key("reliability", checked(text, _check_reliability)),
    Key("reliability_note", optional_text),
    Key("group", checked(text, _check_group)),
    # provenance, written by `build.py add`
    Key("original", checked(text, _check_original)),
    Key("sha256", checked(text, _check_sha256)),
    Key("extractor", optional_text),
    Key("retrieved", checked(text, _check_retrieved)),
    Key("charset", optional_text),
), unknown="unknown key `{key}` in a source; allowed keys are {allowed}", missing="missing required key `{key}` in a source")

SITE_KEYS = SITE_SCHEMA.names
SOURCE_KEYS = SOURCE_SCHEMA.names
SOURCE_FIELDS = frozenset(field.name for field in dataclasses.fields(SourceConfig))
