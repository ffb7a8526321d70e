"""Part of rendering: the Pagefind search index of the rendered pages and source pages.

The index is made from the pages' HTML, so it is one more set of outputs whose dependency key is
the digest of the keys of the pages it indexes: while no indexed page changes, the previous
index is kept as it is; when one does, the whole index is made again (Pagefind has no partial
update), with every file named `pagefind/...`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import BuildError, Location, Problem
from .inputs import fingerprint

if TYPE_CHECKING:
    from .render import Rendering, Sink

FOLDER = "pagefind/"
INPUT = "search index"  # the one named input of every index file: the digest of the indexed pages' keys
# Repeated or interactive parts of a page that would only echo other pages in the results.
EXCLUDE = [".cite", ".cite-group", ".footnote-ref", ".cite-tip", ".cited-in", ".source-notes", ".heading-link", ".para-link", ".toc", ".pager", ".to-top", ".source-about"]


def indexed(keys: Mapping[str, str]) -> list[str]:
    """The outputs the index is made from: every HTML page but the 404 and search pages."""
    return sorted(path for path in keys if path.endswith(".html") and path not in ("404.html", "search.html"))


def search_key(keys: Mapping[str, str]) -> str:
    return fingerprint([(path, keys[path]) for path in indexed(keys)])


def with_search(rendering: Rendering, previous: Rendering | None, language: str, made: Mapping[str, bytes] | None = None,
                sink: Sink | None = None) -> Rendering:
    """`rendering` with the search index of its pages: the previous one's while its pages are as they
    were, else made anew. `made` holds the outputs made this time (the others are `previous`'s);
    with `sink`, the rendering was written to it, and so is a new index."""
    from .render import Rendering, SiteFiles, file_size

    pages = {path: key for path, key in rendering.keys.items() if not path.startswith(FOLDER)}
    key = search_key(pages)
    known = sorted(path for path, named in (previous.inputs.items() if previous is not None else ()) if named == {INPUT: key})
    if previous is not None and known and all(path in previous.files for path in known):
        index: dict[str, bytes] = {}
        names = known
    else:
        read = sink.read if sink is not None else rendering.files.__getitem__  # written, not yet committed
        index = build_index({path: read(path) for path in indexed(pages)}, language)
        names = sorted(index)
    keys = {**pages, **{name: fingerprint(key, name) for name in names}}
    inputs = {**{p: rendering.inputs[p] for p in pages}, **{name: {INPUT: key} for name in names}}
    order = list(pages) + names
    if sink is not None:
        for name, data in index.items():
            sink.write(name, data)
        files = sink.files({**{name: file_size(rendering.files, name) for name in pages}, **{name: len(data) for name, data in index.items()}})
    else:
        files = SiteFiles.of(order, {**(made or {}), **index}, previous.files if previous is not None else {})
    return Rendering(files, keys, inputs, frozenset(rendering.rendered | set(index)), rendering.digests, rendering.memo)


def build_index(pages: Mapping[str, bytes], language: str) -> dict[str, bytes]:
    """Pagefind's files for these pages ({site-relative path: HTML}), by path under pagefind/.
    Result URLs are site-relative (`treaty.html`), so the search page finds them under any sub-path."""
    # In a thread of its own: the caller may already run an event loop (the preview's server, a browser driver).
    try:
        import pagefind.index  # noqa: F401  (a clear message rather than a traceback when it is missing)
    except ImportError:
        raise BuildError([Problem(Location("site.yaml"), "`search: true` needs Pagefind, which is not installed; "
                                  "run `python -m pip install -r requirements.txt` or set `search: false`")]) from None
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
