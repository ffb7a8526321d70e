"""The persistent build cache: what the last `python build.py` made, so the next one redoes only what changed.

Kept in `.cache/` inside the project (git-ignored, safe to delete). It records the dependency key of
every output and a listing of the output folder as written. It is trusted only when written by the
same generator code and library versions for the same output folder, and only while that folder
still matches its listing (size and modification time of every file); otherwise the build is cold.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .config import Config
from .errors import Location, Problem
from .inputs import Inputs, fingerprint
from .render import Rendering
from .write import WrittenFiles, tree_of

FORMAT = 4


def generator_digest() -> str:
    """The engine's own code and the versions of the libraries that shape its output."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())  # marshal's format is the interpreter's
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("jinja2", "markdown-it-py", "mdit-py-plugins", "pyyaml", "markupsafe", "langcodes", "language-data"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.hexdigest()


def listing(out: Path) -> dict[str, list[int]]:
    """Every regular file under `out`: [size, mtime_ns], found without following links."""
    result: dict[str, list[int]] = {}
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(out / folder))
        except OSError:
            continue
        for entry in entries:
            name = f"{folder}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                folders.append(name + "/")
            elif entry.is_file(follow_symlinks=False):
                stat = entry.stat(follow_symlinks=False)
                result[name] = [stat.st_size, stat.st_mtime_ns]
            else:
                result[name] = [-1, -1]  # a link or device: never matches a listing we wrote
    return result


@dataclass(frozen=True)
class Saved:
    inputs_digest: str
    rendering: Rendering
    counts: dict[str, int]
    warnings: list[Problem]
    records: dict[str, Any]  # what each page's bytes gave: title, citations ... (see content.page_record)
    quotes: dict[str, list]  # where each quote lies in a source's bytes, and its anchor (see link._locate)
    layouts: dict[str, list[list]]  # the paragraphs of each seed's bytes (see sources.load_source)
    inputs: Inputs  # the digests that build read, with the file stats that let the next one skip reading
    facts: dict[str, list]  # what other outputs read of each page (see link.facts)


class BuildCache:
    def __init__(self, config: Config):
        self.out = config.output_dir
        name = fingerprint(str(config.output_dir), config.config_location)[:16]
        self.path = config.root / ".cache" / f"build-{name}.marshal"

    def load(self) -> Saved | None:
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):  # missing, or not a cache this Python wrote
            return None
        if not isinstance(data, dict) or data.get("generator") != generator_digest():
            return None
        if listing(self.out) != data.get("listing"):  # the folder was changed by hand, or another build wrote it
            return None
        keys = data["keys"]
        sizes = {name: data["listing"][name][0] for name in sorted(keys) if name in data["listing"]}
        rendering = Rendering(WrittenFiles(self.out, sizes), keys, data["inputs"], frozenset(), data["digests"])
        warnings = [Problem(Location(path, line), message, warning=True) for path, line, message in data["warnings"]]
        inputs = Inputs(*data["digests of inputs"], stats=data["stats"])  # type: ignore[misc]
        return Saved(data["inputs_digest"], rendering, data["counts"], warnings, data["records"], data["quotes"], data["layouts"],
                     inputs, data["facts"])

    def save(self, inputs: Inputs, rendering: Rendering, counts: dict[str, int], warnings: list[Problem],
             records: dict[str, Any], quotes: dict[str, list], layouts: dict[str, list[list]], facts: dict[str, list],
             tree: int | None = None) -> None:
        """Record what this build made. `tree` is the inode of the output folder this build wrote
        (write.tree_of): if another folder is there now, another build swapped it in since, and
        nothing is recorded, so the cache never vouches for a tree its build did not write."""
        listed = listing(self.out)
        if tree is not None and tree_of(self.out) != tree:
            self.forget()
            return
        data = {"generator": generator_digest(), "inputs_digest": inputs_digest(inputs), "keys": rendering.keys,
                "records": records, "quotes": quotes, "layouts": layouts, "facts": facts, "digests": rendering.digests,
                "digests of inputs": [inputs.config, inputs.pages, inputs.seeds, inputs.templates], "stats": inputs.stats,
                "inputs": rendering.inputs, "counts": counts, "listing": listed,
                "warnings": [[w.location.path, w.location.line, w.message] for w in warnings]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(data))
        os.replace(temporary, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def inputs_digest(inputs: Inputs) -> str:
    return fingerprint(inputs.model, sorted(inputs.templates.items()))
