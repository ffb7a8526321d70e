"""The build's one memo: the result of every unit of work, under a key that digests what it read.

Each unit of a build is a pure function of what it reads: the digest of an input file (while it
stats alike), a seed's paragraphs, a page's record, where a quote lies in its source, a source or
page loaded, the site linked, the shared-text check, an output made. Its result is stored in a
table under a key that digests exactly that, and every stage asks the memo before it computes: a
hit is the work done before, a miss is computed and stored. This is Salsa's memoized query (the
engine of rust-analyzer) and the "verifying trace" of Mokhov, Mitchell and Peyton Jones, "Build
systems à la carte" (2018), with the trace folded into the key: since a key names what was read,
an entry can never be stale, only unused.

A stage is never told why it is asked (a cold build, a preview edit, a fresh process after an
edit): the same calls run every time, and only the memo differs. The preview keeps one `Memo` in
memory between builds. `python build.py` loads a `DiskMemo` from `.cache/` and saves it after a
build that wrote its output; it keeps only the tables whose values are plain data (`PERSISTED`),
and the outputs' keys only while the output folder is as that build listed it.

Units nest: a unit over many pages (a group of pages, the linked site, the whole build) is keyed
by digests of what is below it, so a build that finds it looks no further down, and the tables it
was made from are kept as they were (`keeps`, `keep_all`). Otherwise only what a build asked for is
kept for the next (`Memo.after`): the memo does not grow with edits.
"""
from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FORMAT = 8
# The tables whose values are plain data (str, numbers, lists, dicts): what `python build.py` keeps.
PERSISTED = ("config", "build", "stat", "layout", "seed check", "record", "facts", "page group", "quote", "skeleton", "judgments", "weak judgments", "independence", "digests", "page digests", "quoted", "source digests", "source stats", "template reads", "html", "page outputs", "page output", "source outputs", "paged outputs",
             "judgment support", "judgments body", "citation lines", "output", "search", "template code", "direction")
_MISSING = object()
_ASKED, _KEPT = "\0asked", "\0kept"  # in a journal (Memo.merge): a unit found in the memo, not computed; a table kept


class Table:
    """One kind of unit's results: those of the build before (`old`) and those this build asked
    for or made (`new`). Reads through `get`, `in`, `[]` count as asking. A table of `python
    build.py`'s memo is read from its files (`load`) when a build first reads it: one a build only
    adds to and keeps is never read whole, and DiskMemo.remember rewrites just the shards the
    additions fall in."""

    def __init__(self, old: dict | None = None, load: Callable[[], dict] | None = None):
        self._old: dict = old if old is not None else {}
        self._load = load
        self.new: dict = {}
        self.written: set = set()  # the keys this build stored (`new` holds the rest as `old` had them)
        self.kept = False  # whether every entry of `old` is carried over (`keep`)

    @property
    def loaded(self) -> bool:
        return self._load is None

    @property
    def old(self) -> dict:
        if self._load is not None:
            load, self._load = self._load, None
            self._old = load()
            if self.kept:  # kept before it was read (`new` holds only what was stored since)
                self.new = {**self._old, **self.new}
        return self._old

    def get(self, key: Any, default: Any = None) -> Any:
        old = self.old
        value = self.new.get(key, _MISSING)
        if value is _MISSING:
            value = old.get(key, _MISSING)
            if value is _MISSING:
                return default
            self.new[key] = value
        return value

    def __contains__(self, key: Any) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.new[key] = value
        self.written.add(key)

    def update(self, entries: dict) -> None:
        self.new.update(entries)
        self.written.update(entries)

    def keep(self) -> None:
        """Carry every entry of the build before over to the next (what a unit taken from the memo
        was computed from); a table not read yet is not read for it."""
        if not self.kept:
            self.kept = True
            if self.loaded and (self.written or len(self.new) != len(self._old)):  # (else `new` is `old` already)
                self.new = {**self._old, **self.new}

    @property
    def changed(self) -> bool:
        """Whether the table the next build gets differs from the one this build got."""
        # (a table not read: if kept, only what was added differs; else every stored entry is dropped)
        return bool(self.written) or (len(self.new) != len(self._old) if self.loaded else not self.kept)


class Memo:
    """Tables of units' results by key (see the module docstring). `get(table, key, compute)` is
    the one way a stage uses it; `table(name)` hands a stage a table to read and fill in place.
    `state` is the output folder as the last build that wrote it left it (write.vouched): for the
    preview's memo, its folders' inodes and times, which another program's change to the folder
    changes; for `python build.py`'s (`fine`), every file's size and time, which an edit of a file
    in place changes too."""

    fine = False

    def __init__(self, tables: dict[str, dict] | None = None, state: Any = None):
        self.tables = {name: Table(entries) for name, entries in (tables or {}).items()}
        self.state = state  # the output folder as the last build that wrote it left it (write.folder_state)
        self.changed: set[str] | None = None  # the tables (and "state") that differ from the memo this one was made from (Memo.after)
        self.journal: list[tuple[str, Any, Any]] | None = None  # in a forked worker: what it asked of the PERSISTED tables (see merge)

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = Table()
        return table

    def get(self, name: str, key: Any, compute: Callable[[], T], keeps: tuple[str, ...] = ()) -> T:
        """The result of the unit `key` of table `name`: stored, or computed now and stored. When it
        was stored, the tables `keeps` (what it is computed from, and would be again after an edit
        that changes its key) keep all their entries for the next build."""
        value = self.table(name).get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            self.store(name, key, value)
            return value
        for kept in keeps:
            self.keep(kept)
        if self.journal is not None and name in PERSISTED:
            self.journal.extend([(name, key, _ASKED), *((kept, None, _KEPT) for kept in keeps)])
        return value

    def find(self, name: str, key: Any) -> Any:
        """The stored result of unit `key` of table `name`, or None; asked for as `get` asks for it
        (so the next build keeps it), for a unit whose result is computed elsewhere (`store`)."""
        value = self.table(name).get(key)
        if value is not None and self.journal is not None and name in PERSISTED:
            self.journal.append((name, key, _ASKED))
        return value

    def store(self, name: str, key: Any, value: Any) -> None:
        """Store the result of unit `key` of table `name`, as `get` stores what it computes."""
        self.table(name)[key] = value
        if self.journal is not None and name in PERSISTED:
            self.journal.append((name, key, value))

    def merge(self, journal: list[tuple[str, Any, Any]]) -> None:
        """Take in what a forked worker's copy of this memo asked for (`journal`, collected while
        `Memo.journal` was a list there): the units it computed are stored, and those it found are
        asked for here too, so the next build keeps them. (A worker's tables die with it; only the
        PERSISTED ones, whose keys mean the same in every process, are journalled.)"""
        for name, key, value in journal:
            if isinstance(value, str) and value == _KEPT:
                self.keep(name)
            elif isinstance(value, str) and value == _ASKED:
                self.table(name).get(key)
            else:
                self.table(name)[key] = value

    def keep(self, name: str) -> None:
        """Carry every entry of table `name` over to the next build (what a unit taken from the memo was computed from)."""
        self.table(name).keep()

    def keep_all(self) -> None:
        """Carry every entry over to the next build (the whole build was taken from the memo)."""
        for table in self.tables.values():
            table.keep()

    def after(self, state: Any = None) -> Memo:
        """The memo for the next build: what this one asked for or made, and the output folder's state."""
        after = Memo({name: table.new for name, table in self.tables.items()}, state)
        after.changed = {name for name, table in self.tables.items() if table.changed} | ({"state"} if state != self.state else set())
        return after

    def remember(self, after: Memo) -> None:
        """Keep `after` (this memo's `after`) for the next build: the caller holds it (the preview)."""


SHARDS = 16  # files per large table: an edit rewrites the few its entries fall in
SHARD_MINIMUM = 64  # entries; a smaller table is one file (a few large entries, such as a group of pages' digests, are split too)


class DiskMemo(Memo):
    """The memo of `python build.py`: the PERSISTED tables, in `.cache/` inside the project
    (git-ignored, safe to delete). Per output folder, `build-NAME.marshal` holds the output
    folder's state, the "output" table (no other table is taken from it) and the names of the files holding the other tables
    (each read when a build first reads it: one only kept and added to is not read, `Table`), in
    `build-NAME/`: each table split by its keys' hashes into SHARDS files (one, for a small
    table), so a build rewrites only the files whose entries changed. A file's name is new each
    time it is written and the first file is replaced last, atomically, so the memo read is always
    one build's whole memo. Files written by other generator code or other library versions are
    not read, nor is a table file that is not the very file a build wrote here: the first file
    records each one's inode and change time (`marks`), which no copy, checkout, archive or edit in
    place can give another file, so a `.cache/` that came with someone else's repository, or was
    changed since, is never trusted (its tables hold HTML that outputs print as it is)."""

    fine = True

    @classmethod
    def of(cls, root: Path, output_dir: Path, config_location: object) -> DiskMemo:
        """The memo of builds of one configuration into one output folder: `.cache/build-NAME.marshal`."""
        return cls(root / ".cache" / f"build-{fingerprint(str(output_dir), config_location)[:16]}.marshal")

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.with_suffix("")
        self.files: dict[str, dict[int, str]] = {}  # table -> shard -> file name in `folder`
        self.shards: dict[str, int] = {}  # table -> how many shards its keys were split into
        self.parts: dict[str, dict[int, dict]] = {}  # table -> shard -> its entries as read
        self.marks: dict[str, list[int]] = {}  # file name in `folder` -> [inode, change time in ns] when this machine wrote it
        tables: dict[str, dict] = {}
        state = None
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError, KeyError, AttributeError):  # missing, damaged, or another Python's
            data = marshal.loads(path.read_bytes())
            if isinstance(data, dict) and data.get("generator") == generator_digest() and _well_formed(data):
                # Only the outputs' keys: this file's own inode is not vouched for, and the outputs'
                # keys count only while the output folder is as `state` lists it. Every other table
                # comes from the files `marks` vouches for. One assignment: a damaged file gives nothing.
                tables, state, self.files, self.shards, self.marks = ({"output": dict(data["tables"]["output"])}, data["state"], data["files"],
                                                                      data["shards"], data["marks"])
        super().__init__(tables, state)

    def table(self, name: str) -> Table:
        """A table, its files read when a build first asks for it (a build taken whole from the memo reads few)."""
        if name not in self.tables and name in self.files:
            self.tables[name] = Table(load=lambda: self._load(name))
        return super().table(name)

    def _load(self, name: str) -> dict:
        """Every entry of table `name`, from its files (none, if one is not the very file a build wrote here)."""
        parts = {index: self._shard_entries(name, index) for index in self.files[name]}
        if None in parts.values():  # removed, damaged, or not this machine's since: as if never stored
            parts = {}
            self.shards.pop(name, None)
        self.parts[name] = parts
        return {key: value for part in parts.values() for key, value in part.items()}

    def _shard_entries(self, name: str, index: int) -> dict | None:
        """The entries of one file of table `name`; None if it is not the very file a build wrote here."""
        file = self.files[name][index]
        try:
            found = os.stat(self.folder / file)
            if [found.st_ino, found.st_ctime_ns] != self.marks.get(file):
                return None
            entries = marshal.loads((self.folder / file).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return entries if isinstance(entries, dict) else None

    def remember(self, memo: Memo) -> None:
        """Keep `memo` (this memo's `after`) for the next `python build.py`: the files of the
        shards that changed, then the first file, atomically; forget all when the build could not
        vouch for the output folder (state None)."""
        if memo.state is None:
            self.path.unlink(missing_ok=True)
            self.files = {}
            self._tidy()
            return
        if not memo.changed & {"state", *PERSISTED} and self.path.exists():
            return  # nothing to write: the files hold this memo already
        self.folder.mkdir(parents=True, exist_ok=True)
        files = {name: found for name, found in self.files.items() if name not in self.tables}  # tables no build asked for: as they were
        counts = {name: self.shards[name] for name in files}
        for name, table in memo.tables.items():
            if name not in PERSISTED or name == "output":
                continue
            entries, built, before, loaded = table.old, self.tables[name], self.files.get(name, {}), self.parts.get(name)
            if not built.loaded and built.kept:  # only kept and added to: read just the shards the additions fall in
                shards = self.shards[name]
                grown = {_shard(key, shards) for key in built.written}
                loaded = {index: self._shard_entries(name, index) or {} for index in grown if index in before}
                entries = {key: value for part in loaded.values() for key, value in part.items()} | entries
            else:
                shards = SHARDS if len(entries) >= SHARD_MINIMUM else 1
            counts[name] = shards
            if self.shards.get(name) != shards or loaded is None:  # every entry, into new files
                before, loaded, changed = {}, {}, entries.keys()
            else:  # the keys whose entries differ from the files': stored, or dropped
                changed = built.written if built.kept else built.written | (built.old.keys() - built.new.keys())
            # The shards those keys fall in, and any whose file another build has removed since:
            redo: dict[int, list] = {index: [] for index, file in before.items() if not (self.folder / file).exists()}
            for key in changed:
                redo.setdefault(_shard(key, shards), []).append(key)
            files[name] = {index: file for index, file in before.items() if index not in redo}
            for index, keys in redo.items():
                part = {key: entries[key] for key in (*keys, *loaded.get(index, ())) if key in entries}
                if part:
                    files[name][index] = self._write(f"{name.replace(' ', '_')}-{index}-{os.urandom(6).hex()}.marshal", part)
        output = memo.tables["output"].old if "output" in memo.tables else {}
        marks = {file: self.marks[file] for found in files.values() for file in found.values() if file in self.marks}
        self._write(self.path.name, {"generator": generator_digest(), "state": memo.state, "tables": {"output": output}, "files": files,
                                     "shards": counts, "marks": marks}, self.path.parent)
        self.files, self.shards, self.marks = files, counts, marks
        self._tidy()

    def _write(self, name: str, data: Any, folder: Path | None = None) -> str:
        """Write `data` as `name` in `folder` (the shards' folder if None), atomically."""
        path = (folder or self.folder) / name
        temporary = path.with_name(f"{name}.{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, path)
        if folder is None:
            written = os.stat(path)
            self.marks[name] = [written.st_ino, written.st_ctime_ns]
        return name

    def _tidy(self) -> None:
        """Remove the files of the shards' folder that the memo no longer names (an older build's, an interrupted write's)."""
        named = {file for files in self.files.values() for file in files.values()}
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.name not in named:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _well_formed(data: dict) -> bool:
    """Whether a first file has the shape DiskMemo.remember writes: its tables' files ({shard: name}),
    their shard counts (positive, for the same tables), `marks` ({name: [inode, change time]}) and
    the outputs' keys ({path: [key, size]}). A forged one with the right generator digest may have
    any other; it is then ignored whole, as a damaged one is, rather than failing every build."""
    files, shards, marks, outputs = data["files"], data["shards"], data["marks"], data["tables"]["output"]
    return (isinstance(files, dict) and isinstance(shards, dict) and isinstance(marks, dict) and isinstance(outputs, dict)
            and files.keys() == shards.keys() and all(type(count) is int and count > 0 for count in shards.values())
            and all(isinstance(found, dict) and all(type(index) is int and type(name) is str for index, name in found.items())
                    for found in files.values())
            and all(isinstance(mark, list) and len(mark) == 2 for mark in marks.values())
            and all(isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is str and type(entry[1]) is int
                    for entry in outputs.values()))


def _shard(key: Any, shards: int) -> int:
    """Which of `shards` files an entry lies in, by a hash of its key that every process computes alike."""
    text = key if isinstance(key, str) else repr(key[:2]) if isinstance(key, tuple) else repr(key)
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) % shards


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


def generator_digest() -> str:
    """The engine's own code and the versions of the libraries that shape its output."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())  # marshal's format is the interpreter's
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("jinja2", "markdown-it-py", "mdit-py-plugins", "pyyaml", "markupsafe", "langcodes", "language-data", "icu4py"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.hexdigest()
