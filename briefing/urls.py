"""Links between pages of the site: relative, so a built site works from any folder or sub-path."""
from __future__ import annotations

import posixpath


def page_slug(name: str) -> str:
    """The slug of a page by its name: "content/treaty.md" -> "treaty"."""
    return name[len("content/"):-len(".md")]


def slug_url(slug: str) -> str:
    """The address of the page with this slug: "treaty" -> "treaty.html"; the home page's, "index", is "index.html"."""
    return "index.html" if slug == "index" else f"{slug}.html"


def page_url(name: str) -> str:
    """The address of a page by its name: "content/treaty.md" -> "treaty.html" (see slug_url)."""
    return slug_url(page_slug(name))


def relative(from_url: str, to_url: str) -> str:
    """A link from one site-relative page URL to another, relative so the site works anywhere."""
    target, _, fragment = to_url.partition("#")
    if target == from_url and fragment:
        return "#" + fragment
    path = _relpath(target or from_url, posixpath.dirname(from_url))
    return path + ("#" + fragment if fragment else "")


def _relpath(path: str, start: str) -> str:
    """posixpath.relpath(path, start or "."), without asking the system for the working directory."""
    path_parts = [part for part in path.split("/") if part not in ("", ".")]
    start_parts = [part for part in start.split("/") if part not in ("", ".")]
    if not path or path.startswith("/") or start.startswith("/") or ".." in path_parts or ".." in start_parts:
        return posixpath.relpath(path, start or ".")
    common = 0
    for left, right in zip(path_parts, start_parts):
        if left != right:
            break
        common += 1
    return "/".join([".."] * (len(start_parts) - common) + path_parts[common:]) or "."


PASSIVE_SUFFIXES = (".txt", ".md", ".markdown", ".csv", ".tsv", ".json")  # served as text or data, never run


def published_name(file: str) -> str:
    """The name a seed is published under in sources/files/: its own when a server gives it a
    passive type by its suffix, else with `.txt` added (essay.html -> essay.html.txt)."""
    return file if file.lower().endswith(PASSIVE_SUFFIXES) else file + ".txt"
