"""Stage 5: write the rendered files into a fresh folder beside the output folder, then swap it in.

The render stage hands each output to a `Staging` as it is made (in the worker that made it).
Every write, cold or incremental (the preview server's rebuilds, a build helped by the memo),
makes a complete new tree in a staging folder (`.output.new-PID-XXXX` beside `output/`) and swaps
it with the old one in a single step. A build stopped at any moment, even by SIGKILL, therefore
leaves `output/` exactly as one build or the other wrote it, never a mix of the two and never
missing. An incremental write hard-links the unchanged files from the old tree rather than
writing them again: one link per file (about 30 ms for a site of 1,000 files). A build that
changes a single file of a folder it knows to be as the last build left it (`Staging.commit`) writes
that file beside the tree and renames it over the old one: as atomic, without the links. Nothing is flushed
to the disk; after a power cut, what survives is the file system's business.

The swap is Linux's `renameat2(RENAME_EXCHANGE)`: one system call trades the two folders' names.
Where that is unavailable it is two renames (the old tree to `.output.old-PID-XXXX/site`, the new
one into place), with a moment between them in which `output/` does not exist; the next build
puts the old tree back if a process was stopped there.

Each staging folder carries the id of the process that made it. A build first removes the ones
left by processes that no longer run (a killed build's), never those of a build still running.
The old tree swapped out is removed by `rm -r` in a process of its own while the build writes
its memo, and the build waits for it before it ends (`settle`).
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import os
import posixpath
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .config import Config
from .errors import BuildError, Location, Problem, Problems

if TYPE_CHECKING:
    from .memo import Memo
    from .render import Rendering


def check_output_dir(config: Config, problems: Problems) -> None:
    """Refuse an output directory that would overwrite the project or its inputs."""
    out = config.output_dir.resolve()
    root = config.root.resolve()
    where = Location("--output")
    if out == root or out in root.parents:
        problems.error(where, f"refusing to write the site into {out}: it is (or contains) the project folder; choose a folder such as output/")
        return
    for folder in (config.content_dir.resolve(), config.seeds_dir.resolve(), config.templates_dir.resolve()):
        if out == folder or folder in out.parents or out in folder.parents:
            problems.error(where, f"refusing to write the site into {out}: it overlaps the input folder {folder.name}/; choose a folder such as output/")
            return
    if out.exists() and not out.is_dir():
        problems.error(where, f"{out} exists and is not a folder; remove it or choose another --output")
        return
    in_the_way = foreign_files(out)
    if in_the_way:
        shown = ", ".join(repr(name) for name in in_the_way[:3]) + (f" and {len(in_the_way) - 3} more" if len(in_the_way) > 3 else "")
        problems.error(where, f"refusing to write the site into {out}: it holds {shown}, which no build made, and every build "
                              f"replaces the whole folder; choose a new or empty folder, or move those files away")


MARKER = ".briefing-output"  # in every output folder a build writes: the folder is the build's to replace
MARKER_TEXT = b"This folder is written by `python build.py`; every build replaces all of it.\n"


def foreign_files(out: Path) -> list[str]:
    """The entries of an existing output folder (sorted names) when it is neither empty nor marked
    as one a build wrote (MARKER, or for a folder from before the marker, the files every build
    writes): another build's tree is replaced whole, anything else is not ours."""
    try:
        with os.scandir(out) as entries:
            names = sorted(entry.name for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        return [f"(unreadable: {exc.strerror})"]
    if not names or MARKER in names or EARLIER_BUILD <= set(names):
        return []
    return names


EARLIER_BUILD = {"index.html", "404.html", "citations.json", "sources"}  # what every build has written, before the marker


def file_problem(exc: OSError, config: Config) -> Problem:
    """A failure of the file system (a full disk, a folder one may not write to, a file one may
    not read) as a problem an author can act on, at the path it concerns."""
    filename = os.fsdecode(exc.filename) if exc.filename is not None else ""
    path = Path(filename).absolute() if filename else None
    out = config.output_dir
    writing = path is not None and (path in out.parents
                                    or any(p == out or (p.parent == out.parent and _staging_name(out, p.name)) for p in (path, *path.parents)))
    if path is not None and not writing and config.root in path.parents:
        where = Location(path.relative_to(config.root).as_posix())
    else:
        where = Location("--output") if writing or path is None else Location(filename)
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return Problem(where, f"the disk is full ({reason}, writing {out if writing else filename}); free some space and build again")
    if writing and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Problem(where, f"cannot write the site into {out} ({reason}); choose a folder you may write to with --output")
    if writing:
        return Problem(where, f"cannot write the site into {out} ({reason}); check the folder and build again")
    return Problem(where, f"cannot read this file ({reason}); check that it exists and that you may read it")


OUTSIDE = "this output path would lie outside the output folder; rename the page or source"


def unsafe_path(name: str) -> bool:
    """Absolute, climbing out with `..`, or not a plain POSIX name (checked on the string: this runs twice per file)."""
    return not name or name.startswith("/") or "\\" in name or "\x00" in name or ".." in name.split("/")


def check_paths(files: Iterable[str], problems: Problems) -> None:
    for name in files:
        if unsafe_path(name):
            problems.error(Location(name), OUTSIDE)


class Staging(contextlib.AbstractContextManager):
    """A new tree in a folder beside `out`: files are written into it (by this process or by forked
    workers), then `commit` swaps it into place at once. Closed without a commit, it is removed and
    `out` is as it was."""

    def __init__(self, out: Path, present: Mapping[str, int] | None = None, now: dict[str, list[int]] | None = None):
        """`present`: the files of the output folder the memo vouches for (see `vouched`), by size,
        which can be kept (`reusable`); None for none. `now`: the folder's listing (see `listing`),
        when the memo keeps one, to be brought up to date as files are renamed into it."""
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        # A folder that is a mount point (a Docker volume) cannot be swapped: the new tree is made
        # inside it, and the two trees' entries trade places (see _swap_contents).
        self.inside = is_mount_point(self.out)
        remove_stale(self.out)
        self.present: Mapping[str, int] = present if present is not None else {}
        self.listing: dict[str, list[int]] | None = now if present is not None else None  # the folder's, once a file was renamed into it
        self.folder = _make_folder(self.out, "new", inside=self.inside)
        self.root = str(self.folder)
        self._folders: set[str] = set()
        self.swapped = False

    def reusable(self, name: str, size: int) -> bool:
        """Whether the output folder, as the memo's last build left it, holds `name` with `size` bytes."""
        return self.present.get(name) == size

    def write(self, name: str, data: bytes) -> bool:
        """Write `name` into the new tree; whether it differs from the output folder's file."""
        Path(self._target(name)).write_bytes(data)
        if self.present.get(name) != len(data):
            return True
        try:
            return (self.out / name).read_bytes() != data
        except OSError:
            return True

    def read(self, name: str) -> bytes:
        """A file of the new tree before the commit: written to the staging folder, or kept from the output folder."""
        try:
            return Path(self._target(name)).read_bytes()
        except FileNotFoundError:
            return (self.out / name).read_bytes()

    def _link_all(self, names: list[str]) -> set[str]:
        """Hard-link `names` from the current tree into the new one, a folder at a time (each name
        looked up in its open folder, not from the root); a file that cannot be linked (another
        file system, a folder that became a link) is copied. Returns the names linked."""
        by_folder: dict[str, list[str]] = {}
        for name in names:
            by_folder.setdefault(posixpath.dirname(name), []).append(name)
        linked = set()
        for folder, members in by_folder.items():
            self._target(members[0])  # its folder made in the new tree
            with contextlib.ExitStack() as stack:
                try:
                    source, target = (stack.enter_context(_opened_folder(os.path.join(tree, folder))) for tree in (self.out, self.root))
                except OSError:  # (a folder that became a link): every file copied
                    source = target = None
                for name in members:
                    if unsafe_path(name):
                        raise BuildError([Problem(Location(name), OUTSIDE)])
                    if source is not None:
                        base = posixpath.basename(name)
                        with contextlib.suppress(OSError):
                            os.link(base, base, src_dir_fd=source, dst_dir_fd=target, follow_symlinks=False)
                            linked.add(name)
                            continue
                    shutil.copyfile(os.path.join(self.out, name), self._target(name))
        return linked

    def _target(self, name: str) -> str:
        """Where `name` goes in the staging folder, its folder made; a name leading outside is refused."""
        if unsafe_path(name):
            raise BuildError([Problem(Location(name), OUTSIDE)])
        folder = posixpath.dirname(name)
        if folder and folder not in self._folders:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self.root, name)

    def files(self, sizes: dict[str, int]) -> Mapping[str, bytes]:
        """The files written, by size, read back from `out` when asked for (after the commit)."""
        return WrittenFiles(self.out, sizes)

    def commit(self, sizes: Mapping[str, int], made: Collection[str], changed: Collection[str]) -> tuple[tuple[str, ...], int]:
        """Make the output folder hold the files `sizes` names: those `made` were written here, the
        others are kept from the output folder. `changed` (of `made`) differ from the folder's.
        When a single file of a folder as the memo knew it changed, it is renamed over the old one
        (as atomic as the swap, without linking every other file); otherwise the whole new tree,
        the kept files hard-linked into it, is swapped in. Returns (the files new, different or
        gone, sorted; the inode of the output folder then, see `tree_of`)."""
        gone = set(self.present) - set(sizes) - {MARKER}
        differ = tuple(sorted({*changed, *gone})) if self.present else tuple(sorted(sizes))
        if self.present and not gone and len(differ) <= 1 and all(name in self.present for name in differ):
            tree = tree_of(self.out)
            for name in differ:
                os.replace(self._target(name), os.path.join(self.out, name))
                if self.listing is not None:
                    self.listing[name] = _listed(os.path.join(self.out, name))
            return differ, tree  # type: ignore[return-value]
        linked = self._link_all([name for name in sizes if name not in made])
        tree = self.swap()
        if self.listing is not None:  # a linked file is the very file listed when the build began: only the others are looked at
            self.listing = {name: self.listing[name] if name in linked and name in self.listing else _listed(os.path.join(self.out, name))
                            for name in (*sizes, MARKER)}
        return differ, tree

    def swap(self) -> int:
        """Swap the tree into place; returns the inode of the output folder it became (see `tree_of`)."""
        Path(self.root, MARKER).write_bytes(MARKER_TEXT)
        os.chmod(self.folder, 0o755)
        tree = os.lstat(self.out if self.inside else self.folder).st_ino
        if self.inside:
            _swap_contents(self.folder, self.out)
        elif not self.out.exists():
            os.rename(self.folder, self.out)
        elif not exchange(self.folder, self.out):
            _swap_by_two_renames(self.folder, self.out)
        self.swapped = True  # the staging folder now holds the old tree, if any
        return tree

    def close(self) -> None:
        """Remove the staging folder, or after the swap the old tree: the old tree by `rm -r` in a
        process of its own where there is one, so that it runs beside the rest of the build (the
        memo being written), which waits for it at its end (`settle`)."""
        if self.swapped:
            with contextlib.suppress(OSError):  # else (no `rm` here) removed below
                _removing.append((subprocess.Popen(["rm", "-rf", "--", str(self.folder)], stdin=subprocess.DEVNULL,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), self.folder))
                return
        shutil.rmtree(self.folder, ignore_errors=True)
        _in_use.discard(self.folder)

    def __exit__(self, *exc: object) -> None:
        self.close()


class InMemory:
    """Where a build that writes no output folder puts its outputs (render.Sink)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def reusable(self, name: str, size: int) -> bool:
        return False

    def write(self, name: str, data: bytes) -> bool:
        self.data[name] = data
        return True

    def read(self, name: str) -> bytes:
        return self.data[name]

    def files(self, sizes: dict[str, int]) -> Mapping[str, bytes]:
        return {name: self.data[name] for name in sizes}

    def commit(self, sizes: Mapping[str, int], made: Collection[str], changed: Collection[str]) -> tuple[tuple[str, ...], None]:
        return tuple(sorted(sizes)), None


@dataclasses.dataclass(eq=False)  # (compared as a Mapping is)
class WrittenFiles(Mapping[str, bytes]):
    """Files of an output folder, by name and size, read when asked for (after a build that wrote
    them)."""
    out: Path
    sizes: dict[str, int]

    def __getitem__(self, name: str) -> bytes:
        if name not in self.sizes:
            raise KeyError(name)
        return (self.out / name).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.sizes)

    def __len__(self) -> int:
        return len(self.sizes)

    def __contains__(self, name: object) -> bool:
        return name in self.sizes


def tree_of(out: Path) -> int | None:
    """The inode of the output folder now: each build's swap puts a new folder (a new inode) there,
    so the memo can tell the tree its build wrote from one another build swapped in since."""
    try:
        return os.lstat(out).st_ino
    except OSError:
        return None


def output_folders(names: Iterable[str]) -> set[str]:
    """The folders holding the files `names`, and every folder above them ("" for the output folder)."""
    folders = {""}
    for folder in {posixpath.dirname(name) for name in names}:
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def folder_state(out: Path, folders: Iterable[str]) -> dict[str, list[int]]:
    """{folder: [inode, modification time in ns]} of some folders of `out` ("" for `out`; [-1, -1] for one missing)."""
    state = {}
    for folder in sorted(folders):
        try:
            info = os.lstat(os.path.join(out, folder))
            state[folder] = [info.st_ino, info.st_mtime_ns]
        except OSError:
            state[folder] = [-1, -1]
    return state


def vouched(out: Path, memo: Memo) -> tuple[Mapping[str, int] | None, dict[str, list[int]] | None]:
    """(the files of the output folder the memo can vouch for, by size, or None when it is not as
    the memo's last build left it; the folder's listing, when the memo keeps one). The folder's
    state, as `memo` keeps it (Memo.fine), is every file's size and modification time (`listing`),
    or, for the preview's memo, the inode and modification time of each folder the memo's last
    state names (`folder_state`): a file added, removed, renamed or replaced there by another
    program, or another build's swap, changes them."""
    if memo.state is None:
        return None, None
    now = listing(out) if memo.fine else None
    if (now if now is not None else folder_state(out, memo.state)) != memo.state:
        return None, now
    if now is not None:
        return {name: size for name, (size, _) in now.items()}, now
    return {name: entry[1] for name, entry in memo.table("output").old.items()}, None  # (name -> [key, size])


def listing(out: Path) -> dict[str, list[int]]:
    """Every regular file under `out`: [size, mtime_ns], found without following links (a link or
    device is listed as [-1, -1], which no file a build wrote matches)."""
    result: dict[str, list[int]] = {}
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(os.path.join(out, folder)))
        except OSError:
            continue
        for entry in entries:
            name = f"{folder}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                folders.append(name + "/")
            else:
                result[name] = _listed(entry.path)
    return result


@contextlib.contextmanager
def _opened_folder(path: str) -> Iterator[int]:
    """A descriptor of the folder `path` (not followed if it is a link), closed after."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _listed(path: str) -> list[int]:
    """One file as `listing` gives it: [size, mtime_ns], or [-1, -1] for what is not a regular file."""
    info = os.lstat(path)
    return [info.st_size, info.st_mtime_ns] if stat.S_ISREG(info.st_mode) else [-1, -1]


def commit(sink: Staging | InMemory, rendering: Rendering, memo: Memo) -> tuple[Rendering, Any]:
    """Stage 5: make the output folder hold the rendering (`Staging.commit`), and tell the memo
    which output each of its files is (by key and size). Returns the rendering with what changed
    since the folder was last written, and the folder's listing for the next build's memo (None
    when nothing was written, or when another build swapped in its tree in between: its files are
    not this build's to vouch for)."""
    changed, tree = sink.commit(rendering.sizes, rendering.rendered, rendering.changed)
    state = None
    if isinstance(sink, Staging):
        table = memo.table("output")  # (the render stage kept the entries of the files it did not make)
        for path in rendering.rendered:
            entry = [rendering.keys[path], rendering.sizes[path]]
            if table.old.get(path) != entry:
                table[path] = entry
            else:
                table.new[path] = entry
        if memo.fine:
            state = sink.listing if sink.listing is not None else listing(sink.out)
        else:
            state = folder_state(sink.out, output_folders(rendering.sizes))
        if tree_of(sink.out) != tree:
            state = None
    return dataclasses.replace(rendering, changed=changed), state
# -- the swap -----------------------------------------------------------------------------------
def _swap_contents(staging: Path, out: Path) -> None:
    """Put the tree `staging` (a folder inside `out`) in place of the rest of `out`, entry by entry,
    for an output folder that is a mount point and so cannot be renamed. Not one step as the swap
    is: a build stopped in the middle leaves a mix, which the next build replaces whole (the build
    cache's listing no longer matches it)."""
    retired = _make_folder(out, "old", inside=True)
    ours = {staging.name, retired.name}
    try:
        for name in os.listdir(out):
            if name not in ours and not _staging_name(out, name):
                os.rename(out / name, retired / name)
        for name in os.listdir(staging):
            os.rename(staging / name, out / name)
    finally:
        shutil.rmtree(retired, ignore_errors=True)
        _in_use.discard(retired)


def is_mount_point(folder: Path) -> bool:
    """Whether `folder` is a mount point, bind mounts of the same file system included (which
    os.path.ismount cannot tell); these cannot be renamed."""
    if os.path.ismount(folder):
        return True
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as file:
            points = {line.split(" ")[4] for line in file if line.count(" ") >= 5}
    except OSError:
        return False
    # mountinfo escapes space, tab, newline and backslash as octal
    escaped = str(folder).replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012")
    return escaped in points


def _staging_name(out: Path, name: str) -> re.Match | None:
    """Whether `name` is that of a staging folder of `out`: the match's groups are its kind ("new" or "old") and process id."""
    return re.fullmatch(rf"\.{re.escape(out.name)}\.(new|old)-(\d+)-[^/]+", name)


def _swap_by_two_renames(staging: Path, out: Path) -> None:
    retired = _make_folder(out, "old")
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
            _in_use.discard(retired)


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _find_renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28 and later
    except (AttributeError, OSError, TypeError):  # another C library, or not a POSIX system
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


_renameat2 = _find_renameat2()


def exchange(first: Path, second: Path) -> bool:
    """Swap the names of two existing paths in one step; False where the system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):  # kernel or file system without it
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


# -- what killed builds leave behind --------------------------------------------------------------
_in_use: set[Path] = set()  # this process's folders beside an output folder, while it works in them
_removing: list[tuple[subprocess.Popen, Path]] = []  # folders being removed (Staging.close), not yet waited for


def settle() -> None:
    """Wait until the folders that this process's builds are removing are gone (Staging.close)."""
    while _removing:
        process, folder = _removing.pop()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)  # whatever `rm` left (nothing, unless it failed)
        _in_use.discard(folder)


def _make_folder(out: Path, kind: str, inside: bool = False) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.{kind}-{os.getpid()}-", dir=out if inside else out.parent))
    _in_use.add(folder)
    return folder


def remove_stale(out: Path) -> None:
    """Remove the staging folders beside `out` of processes no longer running; first, if a process
    was stopped between the two renames of the fallback swap, put its previous tree back."""
    out = out.resolve()
    try:
        entries = sorted(out.parent.iterdir())
        if is_mount_point(out):  # where a mount point's staging folders are
            entries += sorted(out.iterdir())
    except OSError:
        return
    stale = [(path, match.group(1)) for path in entries
             if (match := _staging_name(out, path.name)) and path.is_dir() and not path.is_symlink()
             and not _in_use_by(int(match.group(2)), path)]
    for path, kind in stale:
        if kind == "old" and not out.exists() and (path / "site").is_dir():
            os.rename(path / "site", out)
    for path, _ in stale:
        shutil.rmtree(path, ignore_errors=True)


def _in_use_by(pid: int, folder: Path) -> bool:
    """Whether process `pid` may still be working in `folder` (its own id is in the folder's name)."""
    if pid == os.getpid():
        return folder in _in_use
    if os.name != "posix":  # no way to ask without side effects: leave it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, OSError):
        return False
    try:  # a process killed but not yet reaped by its parent (a zombie, state Z) works nowhere
        with open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc here
        return True
