"""Before loading: what the build may read. Every input folder lies inside the project, and every
file in it is a regular file that stays there.

A briefing is handed over as a repository, and git stores symbolic links and empty-named pipes'
shapes faithfully: a `seeds` that is a link to /etc, a stylesheet that is a link to
/proc/self/environ, or a named pipe that would block the build for ever arrive with a clone. Each is
refused here, before a byte is read, with the path an author can fix. Each folder is resolved
once, and each file is looked at through its directory entry (no extra system call) unless it is a
link.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .config import Config, input_folder_problem
from .errors import Location, Problems

INPUT_FOLDERS = ("content", "seeds", "templates")


def check_project(config: Config, problems: Problems) -> tuple[str, ...] | None:
    """Report input folders that lead outside the project, files in content/ or templates/ that
    are not regular files or link outside the project, and (as warnings) files in seeds/ that
    site.yaml does not list. Returns those unlisted seeds' names, sorted (they change what the
    build says, so they are part of what it depends on); None when an input folder leads outside
    the project, so that nothing at all may be read."""
    root = config.root.resolve()
    inside: dict[str, bool] = {}
    for name in INPUT_FOLDERS:
        inside[name] = _folder_inside(root, name, problems)
    if not all(inside.values()):
        return None
    if inside["content"]:
        _check_entries(root, "content", problems, recursive=False, suffix=".md", links_outside=False)
    if inside["templates"]:
        _check_entries(root, "templates", problems, recursive=True, links_outside=True)
        _check_templates_present(root / "templates", problems)
    return _unlisted_seeds(config, problems) if inside["seeds"] else ()


def _folder_inside(root: Path, name: str, problems: Problems) -> bool:
    """Whether the input folder `name` (if it exists) resolves to a folder inside the project."""
    problem = input_folder_problem(root, name)
    if problem is not None:
        problems.error(Location(f"{name}/"), problem)
    return problem is None


def _check_entries(root: Path, name: str, problems: Problems, recursive: bool, suffix: str = "", links_outside: bool = True) -> None:
    """Every entry of the folder `name` (and, when `recursive`, of its folders, not following
    links) that ends in `suffix` is a regular file, or a link to one inside the project (links
    outside are reported here when `links_outside`, else by the loader that reads them)."""
    folders = [name]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(root / folder))
        except OSError as exc:
            problems.error(Location(f"{folder}/"), f"cannot read the folder ({exc.strerror}); check its permissions")
            continue
        for entry in entries:
            relative = f"{folder}/{entry.name}"
            if not entry.name.endswith(suffix) or entry.name.startswith((".", "#")):
                continue
            if entry.is_symlink():
                _check_link(root, relative, problems, links_outside)
            elif entry.is_dir(follow_symlinks=False):
                if recursive:
                    folders.append(relative)
                else:
                    problems.error(Location(relative), "this is a folder, not a page; rename it so its name does not end in .md")
            elif not entry.is_file(follow_symlinks=False):
                problems.error(Location(relative), "this is not a regular file (a named pipe, socket or device); replace it with a file or remove it")


def _check_link(root: Path, relative: str, problems: Problems, report_outside: bool) -> None:
    target = (root / relative).resolve()
    if root not in target.parents:
        if report_outside:
            problems.error(Location(relative), "this is a link to a file outside the project; copy the file itself here")
        return
    try:
        mode = os.stat(target).st_mode
    except OSError:
        problems.error(Location(relative), "this is a link to a file that does not exist; fix the link or remove it")
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        problems.error(Location(relative), "this is not a regular file (a named pipe, socket or device); replace it with a file or remove it")


RENDERED_TEMPLATES = ("home.html", "page.html", "source.html", "sources.html", "404.html")  # what render.py fills
_REFERENCE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+['"]([^'"]+)['"]""")


def _check_templates_present(folder: Path, problems: Problems) -> None:
    """Every template the renderer fills, and every one those name (`extends`, `include`, `import`),
    is there: all the missing ones at once, before anything is rendered."""
    pending, seen = list(RENDERED_TEMPLATES), set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if ".." in name.split("/") or name.startswith("/"):
            continue  # names no file of templates/: the loader refuses it when rendering
        path = folder / name
        if not os.path.exists(path):
            problems.error(Location(f"templates/{name}"), "template not found; restore it from the default templates/")
            continue
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue  # a link or a pipe: its own problem is reported above, or rendering reads it
            with open(path, encoding="utf-8", errors="replace") as file:
                pending += _REFERENCE.findall(file.read())
        except OSError:
            pass  # unreadable: rendering says so


def _unlisted_seeds(config: Config, problems: Problems) -> tuple[str, ...]:
    listed = {source.file for source in config.sources}
    listed |= {source.provenance.original for source in config.sources if source.provenance and source.provenance.original}  # kept originals
    try:
        with os.scandir(config.root / "seeds") as entries:
            names = sorted(entry.name for entry in entries if not entry.name.startswith(".") and entry.name not in listed)
    except OSError:
        return ()
    for name in names:
        problems.warn(Location(f"seeds/{name}"), "this file is not listed in `sources` in site.yaml, so it is not published; "
                                                  "add a `sources` entry for it, or remove it")
    return tuple(names)
