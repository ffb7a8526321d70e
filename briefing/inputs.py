"""Before loading: a digest of every input file, the ground the dependency keys of the outputs stand on.

The digests are read before the files are loaded, so a file saved in between can only make a key
older than the bytes it describes, never newer: the next build then sees a changed key and renders
again. A key therefore never vouches for bytes it has not seen.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
import os
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .content import page_files


def fingerprint(*parts: object) -> str:
    """A short stable digest of some values: equal values, equal fingerprints, in every process.

    Plain data (str, bytes, numbers, tuples, lists, dicts) is hashed in marshal's format 2, which
    has no back-references, so equal values encode alike; anything else by its repr(). Never hash().
    """
    try:
        data = b"m" + marshal.dumps(parts, 2)
    except ValueError:  # dataclasses, dates, paths ...
        data = b"r" + repr(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes; a link also names its target, since loading checks where it points."""
    try:
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    return f"{digest} -> {os.path.realpath(path)}" if os.path.islink(path) else digest


@dataclass(frozen=True)
class Inputs:
    """Digests of everything a build reads, by the name an author knows each file by."""

    config: str  # the loaded configuration: site.yaml plus command-line overrides
    pages: dict[str, str]  # "content/treaty.md" -> digest
    seeds: dict[str, str]  # "seeds/hur.txt" -> digest, for the sources site.yaml lists
    templates: dict[str, str]  # "page.html", "assets/style.css" -> digest: every file under templates/

    @property
    def model(self) -> str:
        """What the loaded and linked Site depends on: settings, pages and seeds (not templates)."""
        return fingerprint(self.config, sorted(self.pages.items()), sorted(self.seeds.items()))


def read_inputs(config: Config) -> Inputs:
    """Digest the files the loaders will read: the same globs and lists they use."""
    content = config.content_dir
    # Plain strings, not Paths: these run once per page and per seed.
    content_dir, seeds_dir = str(content), str(config.seeds_dir)
    pages = {f"content/{name}": file_digest(os.path.join(content_dir, name)) for name in page_files(content)} if content.is_dir() else {}
    seeds = {f"seeds/{source.file}": file_digest(os.path.join(seeds_dir, source.file)) for source in config.sources}
    templates_dir = config.templates_dir
    templates = {}
    if templates_dir.is_dir():
        templates = {path.relative_to(templates_dir).as_posix(): file_digest(path)
                     for path in sorted(templates_dir.rglob("*")) if path.is_file()}
    return Inputs(settings_digest(config), pages, seeds, templates)


def settings_digest(config: Config) -> str:
    """The configuration, less where the project lies and where the site is written: neither changes a byte of it."""
    return fingerprint(dataclasses.replace(config, root=Path("."), output_dir=Path(".")))
