"""Stage 5: write rendered files into a fresh directory and swap it into place only when complete.

The preview server instead updates its output folder in place: only the files whose bytes changed
are written, each to a temporary name beside it and renamed over the old one, so no file is ever
seen half-written.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .config import Config
from .errors import Location, Problems


def check_output_dir(config: Config, problems: Problems) -> None:
    """Refuse an output directory that would overwrite the project or its inputs."""
    out = config.output_dir.resolve()
    root = config.root.resolve()
    inputs = [config.content_dir.resolve(), config.seeds_dir.resolve(), config.templates_dir.resolve()]
    where = Location("--output")
    if out == root or out in root.parents:
        problems.error(where, f"refusing to write the site into {out}: it is (or contains) the project folder; choose a folder such as output/")
        return
    for folder in inputs:
        if out == folder or folder in out.parents or out in folder.parents:
            problems.error(where, f"refusing to write the site into {out}: it overlaps the input folder {folder.name}/; choose a folder such as output/")
            return
    if out.exists() and not out.is_dir():
        problems.error(where, f"{out} exists and is not a folder; remove it or choose another --output")


def check_paths(files: dict[str, bytes], problems: Problems) -> None:
    for name in files:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name or not name:
            problems.error(Location(name), "this output path would lie outside the output folder; rename the page or source")


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Write every file into a sibling temporary folder, then swap it in with two renames.

    A failure (or a kill) before the swap leaves the previous output untouched.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        if out.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            try:
                os.rename(out, retired / "site")
                os.rename(staging, out)
            except BaseException:  # interrupted between the renames: put the previous site back
                if not out.exists() and (retired / "site").exists():
                    os.rename(retired / "site", out)
                raise
            finally:
                if out.exists():
                    shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def changed_paths(files: dict[str, bytes], previous: dict[str, bytes]) -> tuple[str, ...]:
    """The outputs that are new, different or gone compared with `previous`, sorted."""
    changed = [name for name, data in files.items() if previous.get(name) != data]
    return tuple(sorted(changed + [name for name in previous if name not in files]))


def update_site(files: dict[str, bytes], changed: tuple[str, ...], out: Path) -> None:
    """Bring `out`, last written from an earlier build, in line with `files`.

    Writes the `changed` files (and any that went missing), deletes those no longer in `files`.
    """
    out = out.resolve()
    if not out.is_dir():
        write_site(files, out)
        return
    missing = [name for name in files if name not in changed and not (out / name).is_file()]
    for name in (*changed, *missing):
        target = out / name
        if name in files:
            _replace(target, files[name])
        elif target.is_file():
            target.unlink()
            _prune_empty(target.parent, out)


def _replace(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _prune_empty(folder: Path, out: Path) -> None:
    while folder != out and out in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
