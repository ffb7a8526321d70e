"""Before loading: a digest of every input file, the ground the dependency keys of the outputs stand on.

The digests are read before the files are loaded, so a file saved in between can only make a key
older than the bytes it describes, never newer: the next build then sees a changed key and renders
again. A key therefore never vouches for bytes it has not seen.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .content import page_files
from .memo import Memo, fingerprint  # noqa: F401  (fingerprint: imported from here by other stages)
from .provenance import original_files


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes; a link also names its target, since loading checks where it points."""
    try:
        # Opened without blocking and read only if it is a regular file: a named pipe would wait for ever.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    with open(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return "not a regular file"
        try:
            digest = hashlib.sha256(file.read()).hexdigest()
        except OSError as exc:
            return f"unreadable: {exc.strerror}"
    return f"{digest} -> {os.path.realpath(path)}" if os.path.islink(path) else digest


@dataclass(frozen=True)
class Inputs:
    """Digests of everything a build reads, by the name an author knows each file by."""

    config: str  # the loaded configuration: site.yaml plus command-line overrides
    pages: dict[str, str]  # "content/treaty.md" -> digest
    seeds: dict[str, str]  # "seeds/hur.txt" -> digest, for the sources site.yaml lists and their kept originals
    templates: dict[str, str]  # "page.html", "assets/style.css" -> digest: every file under templates/


RACY_NS = 2_000_000_000  # a file changed this recently may change again within its timestamp's resolution


def read_inputs(config: Config, memo: Memo, unlisted: tuple[str, ...] = ()) -> Inputs:
    """Digest the files the loaders will read: the same globs and lists they use. The memo's
    "stat" table spares reading the files that stat as they did when an earlier build digested
    them (modification and change times, size, inode), as git's index does. Like git, a digest
    taken while the file's times were recent is not reused: a second write within the clock's
    resolution could leave them as they were. `unlisted` (the files of seeds/ that site.yaml does
    not list, which the build warns about) counts with the settings."""
    stats = memo.table("stat")  # file path -> [mtime_ns, ctime_ns, size, inode, digest]
    racy = time.time_ns() - RACY_NS  # taken before any file is looked at

    def digest(path: str) -> str:
        try:
            info = os.lstat(path)
        except OSError:
            return file_digest(path)  # says what is wrong
        if not stat.S_ISREG(info.st_mode):
            return file_digest(path)  # a link names its target: digest it each time
        entry = stats.old.get(path)  # (the table's dictionaries themselves: this runs once per input file)
        recent = info.st_mtime_ns >= racy or info.st_ctime_ns >= racy  # may change again unseen: read it again next time
        if entry is not None and entry[0] == info.st_mtime_ns and entry[1] == info.st_ctime_ns and entry[2] == info.st_size and entry[3] == info.st_ino:
            if not recent:
                stats.new[path] = entry  # kept for the next build
            return entry[4]
        found = file_digest(path)
        if not recent:
            stats[path] = [info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino, found]
        return found

    content = config.content_dir
    # Plain strings, not Paths: these run once per page and per seed.
    content_dir, seeds_dir = str(content), str(config.seeds_dir)
    pages = {f"content/{name}": digest(f"{content_dir}/{name}") for name in page_files(content)} if content.is_dir() else {}
    seeds = {f"seeds/{file}": digest(f"{seeds_dir}/{file}") for file in (*(s.file for s in config.sources), *original_files(config))}
    templates = {path.relative_to(config.templates_dir).as_posix(): digest(str(path))
                 for path in (sorted(config.templates_dir.rglob("*")) if config.templates_dir.is_dir() else ()) if path.is_file()}
    settings = settings_digest(config) if not unlisted else fingerprint(settings_digest(config), unlisted)
    return Inputs(settings, pages, seeds, templates)


def settings_digest(config: Config) -> str:
    """The configuration, less where the project lies and where the site is written: neither changes a byte of it."""
    if _settings[0] is not config:  # the preview's rebuilds get the same Config while site.yaml is unchanged
        _settings[:] = [config, fingerprint(dataclasses.replace(config, root=Path("."), output_dir=Path(".")))]
    return _settings[1]


_settings: list = [None, ""]  # the last Config digested, and its digest
