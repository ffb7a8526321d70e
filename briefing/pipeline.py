"""The whole build in one screen: load, link, check, render, write."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from .cache import BuildCache, inputs_digest
from .config import Config
from .content import load_pages, page_record_key
from .errors import Problem, Problems
from .inputs import Inputs, read_inputs
from .link import Site, link, locate_quotes
from .render import Rendering, render_site
from .sources import layout_key, load_sources
from .write import Staging, changed_paths, check_output_dir, check_paths, update_site, write_site


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  # None when the build cache showed that nothing changed (nothing was loaded)
    files: Mapping[str, bytes]  # read from output/ when asked for, for outputs an earlier build made
    warnings: tuple[Problem, ...]
    inputs: Inputs  # digests of the input files, read before loading them
    rendering: Rendering  # every output's dependency key, and which outputs this build rendered
    changed: tuple[str, ...]  # outputs new, different or gone since the previous build (all, without one)
    counts: dict[str, int]  # pages, sources, citations
    records: dict = field(default_factory=dict, repr=False)  # what each page's bytes gave (content.page_record)
    quotes: dict = field(default_factory=dict, repr=False)  # where each quote lies in its source (link.quote_key)
    layouts: dict = field(default_factory=dict, repr=False)  # each seed's paragraphs, by its bytes (sources.layout_key)

    @property
    def up_to_date(self) -> bool:
        return self.site is None


def build(config: Config, strict: bool = False, write: bool = True, previous: BuildResult | None = None,
          use_cache: bool = False, jobs: int = 1, keep_files: bool = True) -> BuildResult:
    """Build the site; raise BuildError (with every problem), leaving the output folder as it was, if anything is wrong.

    With `previous` (the preview server passes its last good build) the build is incremental: the
    Site is reused while no setting, page or seed changed; only the outputs whose dependency key
    changed are rendered; and the output folder is updated in place, changed files only. Without
    `keep_files` (`python build.py`), a build from nothing writes each output as it is made, in the
    process that made it, and the result's files are read back from the output folder when asked for.
    """
    problems = Problems()
    check_output_dir(config, problems)
    inputs = read_inputs(config)                        # digest every input file before reading it
    cache = BuildCache(config) if use_cache and write and previous is None and not problems.errors else None
    saved = cache.load() if cache else None             # what the last build of this folder made, if trustworthy
    if saved is not None and saved.inputs_digest == inputs_digest(inputs) and not (strict and saved.warnings):
        return BuildResult(None, saved.rendering.files, tuple(saved.warnings), inputs, saved.rendering, (), saved.counts,
                           saved.records, saved.quotes, saved.layouts)
    if cache is not None:
        cache.forget()                                  # until this build has written its output
    # What earlier builds learnt from unchanged pages and sources: from memory (serve) or the cache.
    known = previous if previous is not None else saved
    records, quotes, layouts = (dict(known.records), dict(known.quotes), dict(known.layouts)) if known is not None else ({}, {}, {})
    used: set[str] | None = None  # the quote locations linking needed (None: the Site is reused, so all of them)
    if previous is not None and previous.inputs.model == inputs.model:
        site = previous.site                            # only templates changed: the same Site
        problems.items.extend(previous.warnings)
    else:
        sources = load_sources(config, problems, previous.site.sources if previous and previous.site else (), layouts)  # seeds/ -> Source
        pages = load_pages(config, problems, records, jobs, _unchanged_pages(config, inputs, previous, records),  # content/ -> Page
                           functools.partial(locate_quotes, {source.id: source for source in sources}), quotes)
        used = set()
        site = link(config, sources, pages, problems, quotes, used)  # resolve citations, backlinks; all checks
    problems.check(strict)
    before = previous.rendering if previous else (saved.rendering if saved else None)
    if write and before is None and not keep_files:
        with Staging(config.output_dir) as staging:      # outputs written as they are made, never all held at once
            rendering = render_site(site, inputs, None, jobs, sink=staging)
            check_paths(rendering.files, problems)
            problems.check(strict)
            changed = tuple(sorted(rendering.files))
            staging.commit()                            # the complete tree swapped into place
    else:
        rendering = render_site(site, inputs, before, jobs)  # Jinja -> {path: bytes}, unchanged outputs reused
        check_paths(rendering.files, problems)
        problems.check(strict)
        changed = changed_paths(rendering.files, before.files if before else {}, rendering.rendered if before else None)
        if write and before is None:
            write_site(rendering.files, config.output_dir)             # a fresh folder, swapped into place
        elif write:
            update_site(rendering.files, changed, config.output_dir)  # unchanged files linked, the whole tree swapped in
    counts = {"pages": len(site.pages), "sources": len(site.sources), "citations": sum(len(p.citations) for p in site.pages)}
    records, quotes, layouts = _used(records, quotes, layouts, site, used)
    if cache is not None:
        cache.save(inputs, rendering, counts, problems.warnings, records, quotes, layouts)
    return BuildResult(site, rendering.files, tuple(problems.warnings), inputs, rendering, changed, counts, records, quotes, layouts)


def _unchanged_pages(config: Config, inputs: Inputs, previous: BuildResult | None, records: dict) -> dict:
    """The pages of the preview's last build whose files have the same digest now, with their records."""
    if previous is None or previous.site is None:
        return {}
    unchanged = {}
    for page_citations in previous.site.pages:
        page = page_citations.page
        digest = inputs.pages.get(page.path)
        key = page_record_key(page.path, digest or "", config.allow_html)
        if digest is not None and digest == previous.inputs.pages.get(page.path) and page.allow_html == config.allow_html and key in records:
            unchanged[page.path] = (page, records[key])
    return unchanged


def _used(records: dict, quotes: dict, layouts: dict, site: Site, keys: set[str] | None) -> tuple[dict, dict, dict]:
    """The page records, quote locations (`keys`; None: all, as the Site was not linked again) and
    seed layouts this build used, so the cache does not grow with every edit."""
    paths = {p.page.path for p in site.pages}
    seeds = {layout_key(source.sha256, source.config.paragraphs) for source in site.sources}
    return ({key: record for key, record in records.items() if key.split(" ", 1)[0] in paths},
            {key: place for key, place in quotes.items() if keys is None or key in keys},
            {key: layout for key, layout in layouts.items() if key in seeds})
