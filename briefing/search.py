"""Part of rendering: the Pagefind search index of the rendered pages and source pages.

The index is made from the pages' HTML, so it is one more set of outputs whose dependency key is
the digest of the keys of the pages it indexes: while no indexed page changes, the previous
index is kept as it is; when one does, the whole index is made again (Pagefind has no partial
update), with every file named `pagefind/...`.
"""
from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import BuildError, Location, Problem
from .inputs import fingerprint

if TYPE_CHECKING:
    from .memo import Memo
    from .render import Sink

FOLDER = "pagefind/"
INPUT = "search index"  # the one named input of every index file: the digest of the indexed pages' keys
# Repeated or interactive parts of a page that would only echo other pages in the results.
EXCLUDE = [".cite", ".cite-group", ".footnote-ref", ".cite-tip", ".cited-in", ".source-notes", ".heading-link", ".para-link", ".toc", ".pager", ".pagination", ".to-top", ".source-about"]


def indexed(keys: Mapping[str, str]) -> list[str]:
    """The outputs the index is made from: every HTML page but the 404 and search pages."""
    return sorted(path for path in keys if path.endswith(".html") and path not in ("404.html", "search.html"))


def search_key(keys: Mapping[str, str]) -> str:
    return fingerprint([(path, keys[path]) for path in indexed(keys)])


def index_outputs(keys: dict[str, str], inputs: dict[str, dict[str, str]], sizes: dict[str, int], sink: Sink, memo: Memo,
                  language: str) -> dict[str, tuple[int, bool]]:
    """Add the search index to a rendering's `keys` and `inputs`: the files the output folder holds
    while the indexed pages are as they were (added to `sizes`), else made anew from the pages as
    `sink` has them, and returned as made: {path: (size, whether it differs from the folder's)}."""
    key = search_key(keys)
    written = memo.table("output")
    names = memo.get("search", key, lambda: None)  # the index files of these pages, when a build made them
    kept = names is not None and all(written.get(name) == [fingerprint(key, name), size] and sink.reusable(name, size)
                                     for name, size in names)
    made: dict[str, tuple[int, bool]] = {}
    if kept:
        sizes.update((name, size) for name, size in names)
    else:
        index = build_index({path: sink.read(path) for path in indexed(keys)}, language)
        made = {name: (len(data), sink.write(name, data)) for name, data in index.items()}
        memo.table("search")[key] = [[name, size] for name, (size, _) in made.items()]
    for name in (sorted(made) if not kept else [name for name, _ in names]):
        keys[name] = fingerprint(key, name)
        inputs[name] = {INPUT: key}
    return made


def build_index(pages: Mapping[str, bytes], language: str) -> dict[str, bytes]:
    """Pagefind's files for these pages ({site-relative path: HTML}), by path under pagefind/.
    Result URLs are site-relative (`treaty.html`), so the search page finds them under any sub-path."""
    # In a thread of its own: the caller may already run an event loop (the preview's server, a browser driver).
    try:
        import pagefind.index  # noqa: F401  (a clear message rather than a traceback when it is missing)
    except ImportError:
        raise BuildError([Problem(Location("site.yaml"), "`search: true` needs Pagefind, which is not installed; "
                                  "run `python -m pip install -r requirements.txt` or set `search: false`")]) from None
    import asyncio  # here: only a site with search needs it

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _build_index(pages, language)).result()


async def _build_index(pages: Mapping[str, bytes], language: str) -> dict[str, bytes]:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(exclude_selectors=EXCLUDE, force_language=language.split("-")[0].lower(), keep_index_url=True)
    async with PagefindIndex(config) as index:
        for path, html in pages.items():
            await index.add_html_file(content=html.decode("utf-8"), url=path)
        files = await index.get_files()
        await index.delete_index()  # nothing is written by the service itself
    unused = ("pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight")  # other UIs than the default one
    return {FOLDER + f["path"]: f["content"] for f in sorted(files, key=lambda f: f["path"]) if not f["path"].startswith(unused)}
