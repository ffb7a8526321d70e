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

Only what a build asked for is kept for the next (`Memo.after`): the memo never grows with edits.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

FORMAT = 5
# The tables whose values are plain data (str, numbers, lists, dicts): what `python build.py` keeps.
PERSISTED = ("stat", "layout", "record", "facts", "quote", "skeleton", "independence", "digests", "html", "output", "search")
_MISSING = object()


class Table:
    """One kind of unit's results: those of the build before (`old`) and those this build asked
    for or made (`new`). Reads through `get`, `in`, `[]` count as asking."""

    def __init__(self, old: dict | None = None):
        self.old: dict = old if old is not None else {}
        self.new: dict = {}

    def get(self, key: Any, default: Any = None) -> Any:
        value = self.new.get(key, _MISSING)
        if value is _MISSING:
            value = self.old.get(key, _MISSING)
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

    def update(self, entries: dict) -> None:
        self.new.update(entries)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.new)


class Memo:
    """Tables of units' results by key (see the module docstring). `get(table, key, compute)` is
    the one way a stage uses it; `table(name)` hands a stage a table to read and fill in place."""

    def __init__(self, tables: dict[str, dict] | None = None, state: Any = None):
        self.tables = {name: Table(entries) for name, entries in (tables or {}).items()}
        self.state = state  # the output folder as the last build that wrote it left it (write.folder_state)

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = Table()
        return table

    def get(self, name: str, key: Any, compute: Callable[[], T]) -> T:
        """The result of the unit `key` of table `name`: stored, or computed now and stored."""
        table = self.table(name)
        value = table.get(key, _MISSING)
        if value is _MISSING:
            value = table.new[key] = compute()
        return value

    def after(self, state: Any = None) -> Memo:
        """The memo for the next build: what this one asked for or made, and the output folder's state."""
        return Memo({name: table.new for name, table in self.tables.items()}, state)

    def remember(self, after: Memo) -> None:
        """Keep `after` (this memo's `after`) for the next build: the caller holds it (the preview)."""


class DiskMemo(Memo):
    """The memo of `python build.py`: the PERSISTED tables, in `.cache/` inside the project
    (git-ignored, safe to delete), as one marshal file per output folder. A file written by other
    generator code or other library versions is not read."""

    @classmethod
    def of(cls, root: Path, output_dir: Path, config_location: object) -> DiskMemo:
        """The memo of builds of one configuration into one output folder: `.cache/build-NAME.marshal`."""
        return cls(root / ".cache" / f"build-{fingerprint(str(output_dir), config_location)[:16]}.marshal")

    def __init__(self, path: Path):
        self.path = path
        tables: dict[str, dict] = {}
        state = None
        try:
            data = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):  # missing, or not a memo this Python wrote
            data = None
        if isinstance(data, dict) and data.get("generator") == generator_digest():
            tables, state = data["tables"], data["state"]
        super().__init__(tables, state)

    def remember(self, memo: Memo) -> None:
        """Keep `memo` (a build's `after`) for the next `python build.py`, atomically; forget all
        when the build could not vouch for the output folder (state None)."""
        if memo.state is None:
            self.forget()
            return
        data = {"generator": generator_digest(), "state": memo.state,
                "tables": {name: table.old for name, table in memo.tables.items() if name in PERSISTED}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


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
