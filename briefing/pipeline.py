"""The whole build in one screen: load, link, check, render, write."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

from .cache import BuildCache, Saved, inputs_digest
from .config import Config
from .content import Page, load_pages, page_record_key
from .errors import BuildError, Problem, Problems
from .grading import check_independence, check_judgments
from .inputs import Inputs, read_inputs
from .project import check_project
from .lock import ProjectLock
from .provenance import check_originals
from .link import PageCitations, Site, anchored_alike, facts, link, link_page, locate_quotes, with_pages
from .search import with_search
from .render import Renderer, Rendering, SiteFiles, reads_any, render_site
from .sources import Source, layout_key, load_sources
from .write import Staging, file_problem, changed_paths, check_output_dir, check_paths, folder_state, output_folders, update_one, update_site, write_site


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  # None when the build cache showed what changed, and the whole site was not loaded
    files: Mapping[str, bytes]  # read from output/ when asked for, for outputs an earlier build made
    warnings: tuple[Problem, ...]
    inputs: Inputs  # digests of the input files, read before loading them
    rendering: Rendering  # every output's dependency key, and which outputs this build rendered
    changed: tuple[str, ...]  # outputs new, different or gone since the previous build (all, without one)
    counts: dict[str, int]  # pages, sources, citations
    records: dict = field(default_factory=dict, repr=False)  # what each page's bytes gave (content.page_record)
    quotes: dict = field(default_factory=dict, repr=False)  # where each quote lies in its source (link.quote_key)
    layouts: dict = field(default_factory=dict, repr=False)  # each seed's paragraphs, by its bytes (sources.layout_key)
    facts: dict = field(default_factory=dict, repr=False)  # what other outputs read of each page, by path (link.facts)
    output_state: tuple = ()  # the output folder's state after this build wrote it (write.folder_state)

    @property
    def up_to_date(self) -> bool:
        return self.site is None and not self.rendering.rendered


def build(config: Config, strict: bool = False, write: bool = True, previous: BuildResult | None = None,
          use_cache: bool = False, jobs: int = 1, keep_files: bool = True,
          progress: Callable[[str], None] | None = None, lock: bool = True) -> BuildResult:
    """Build the site; raise BuildError (with every problem), leaving the output folder as it was, if anything is wrong.

    With `previous` (the preview server passes its last good build) the build is incremental: the
    Site is reused while no setting, page or seed changed; only the outputs whose dependency key
    changed are rendered; and the output folder is updated in place, changed files only. Without
    `keep_files` (`python build.py`), a build from nothing writes each output as it is made, in the
    process that made it, and the result's files are read back from the output folder when asked for.

    A build that writes holds the project's lock (lock.ProjectLock) from start to end, unless
    `lock` is False (a folder of its own, as publish's): a second one waits. `progress` hears
    lock.WAITING when it does, and "written" once the output folder is written, before the build
    cache records it.
    """
    try:
        with ProjectLock(config.root, progress) if write and lock else contextlib.nullcontext():
            return _build(config, strict, write, previous, use_cache, jobs, keep_files, progress)
    except OSError as exc:  # a full disk, a folder one may not write to: the author's to fix, not a traceback
        raise BuildError([file_problem(exc, config)]) from None


def _build(config: Config, strict: bool, write: bool, previous: BuildResult | None, use_cache: bool, jobs: int,
           keep_files: bool, progress: Callable[[str], None] | None) -> BuildResult:
    problems = Problems()
    check_output_dir(config, problems)
    unlisted = check_project(config, problems)          # input folders inside the project, no pipes or links out
    if unlisted is None:
        problems.check()                                # an input folder that is not the project's: read nothing
    cache = BuildCache(config) if use_cache and write and previous is None and not problems.errors else None
    saved = cache.load() if cache else None             # what the last build of this folder made, if trustworthy
    # What earlier builds learnt from unchanged pages and sources: from memory (serve) or the cache.
    known = previous if previous is not None else saved
    inputs = read_inputs(config, known.inputs.stats if known else None, unlisted)  # digest every input file before reading it
    if saved is not None and saved.inputs_digest == inputs_digest(inputs) and not (strict and saved.warnings):
        if inputs.stats != saved.inputs.stats:
            cache.save(inputs, saved.rendering, saved.counts, saved.warnings, saved.records, saved.quotes, saved.layouts, saved.facts)
        return BuildResult(None, saved.rendering.files, tuple(saved.warnings), inputs, saved.rendering, (), saved.counts,
                           saved.records, saved.quotes, saved.layouts, saved.facts)
    if (previous is not None and inputs == previous.inputs and previous.site is not None and not (strict and previous.warnings)
            and not problems.errors and (not write or _as_left(config, previous))):  # a save that changed no byte
        return dataclasses.replace(previous, inputs=inputs, changed=(), rendering=dataclasses.replace(previous.rendering, rendered=frozenset()))
    if cache is not None:
        cache.forget()                                  # until this build has written its output
    if known is not None and not problems.errors:
        edited = edit_pages(config, inputs, known, strict, write, cache, progress)  # only page texts changed: just those pages
        if edited is not None:
            return edited
    records, quotes, layouts = (dict(known.records), dict(known.quotes), dict(known.layouts)) if known is not None else ({}, {}, {})
    used: set[str] | None = None  # the quote locations linking needed (None: the Site is reused, so all of them)
    if previous is not None and previous.inputs.model == inputs.model:
        site = previous.site                            # only templates changed: the same Site
        problems.items.extend(w for w in previous.warnings if w not in problems.items)  # the project's own were found again
    else:
        sources = load_sources(config, problems, previous.site.sources if previous and previous.site else (), layouts)  # seeds/ -> Source
        check_originals(config, problems)               # kept originals as site.yaml recorded them
        pages = load_pages(config, problems, records, jobs, _unchanged_pages(config, inputs, previous, records),  # content/ -> Page
                           functools.partial(locate_quotes, {source.id: source for source in sources}), quotes)
        used = set()
        site = link(config, sources, pages, problems, quotes, used)  # resolve citations, backlinks; all checks
        check_independence(config, sources, problems)   # shared text between sources in different groups
        check_judgments(config, pages, problems)        # strong judgments resting on one group
    problems.check(strict)
    before = previous.rendering if previous else (saved.rendering if saved else None)
    tree: int | None = None  # the output folder's inode once this build wrote it (write.tree_of)
    if write and before is None and not keep_files:
        with Staging(config.output_dir) as staging:      # outputs written as they are made, never all held at once
            rendering = render_site(site, inputs, None, jobs, sink=staging)
            check_paths(rendering.files, problems)
            problems.check(strict)
            changed = tuple(sorted(rendering.files))
            tree = staging.commit()                     # the complete tree swapped into place
    else:
        rendering = render_site(site, inputs, before, jobs)  # Jinja -> {path: bytes}, unchanged outputs reused
        check_paths(rendering.files, problems)
        problems.check(strict)
        changed = changed_paths(rendering.files, before.files if before else {}, rendering.rendered if before else None)
        if write and (before is None or (previous is not None and not _as_left(config, previous))):
            tree = write_site(rendering.files, config.output_dir)      # a fresh folder (none of the old one trusted), swapped in
        elif write:
            tree = update_site(rendering.files, changed, config.output_dir)  # unchanged files linked, the whole tree swapped in
    if write and progress is not None:
        progress("written")
    counts = {"pages": len(site.pages), "sources": len(site.sources), "citations": sum(len(p.citations) for p in site.pages)}
    records, quotes, layouts = _used(records, quotes, layouts, site, used)
    page_facts = {p.page.path: facts(p) for p in site.pages}
    if cache is not None:
        cache.save(inputs, rendering, counts, problems.warnings, records, quotes, layouts, page_facts, tree)
    state = folder_state(config.output_dir, output_folders(rendering.files)) if write and keep_files else ()  # for the preview's next build
    return BuildResult(site, rendering.files, tuple(problems.warnings), inputs, rendering, changed, counts, records, quotes, layouts,
                       page_facts, state)


EDITED_PAGES = 20  # at most this many pages changed: try linking and rendering them alone


def edit_pages(config: Config, inputs: Inputs, known: BuildResult | Saved, strict: bool, write: bool,
               cache: BuildCache | None, progress: Callable[[str], None] | None = None) -> BuildResult | None:
    """The build when only the texts of a few pages changed since `known` (settings, seeds,
    templates and the list of pages as they were), without problems, and each changed page still
    shows the others what it showed them (`facts`: title, summary, order, date, citations):
    then only those pages' own outputs can change, and only they are read, linked and rendered.
    In the preview (`known` holds the whole site), one page whose citations alone changed is
    linked alone too, with the outputs that show them. None when that does not hold, or when
    `known` is the cache's and a page's template lists every page or source: the whole site is
    then built."""
    edited = _edited(inputs, known, strict)
    if not edited:
        return None
    problems = Problems()
    records, quotes = dict(known.records), dict(known.quotes)
    pages = load_pages(config, problems, records, names=[path.removeprefix("content/") for path in edited])
    if problems.items or len(pages) != len(edited):
        return None  # the whole build reports them, with everything else
    whole = known.site if isinstance(known, BuildResult) else None  # the preview keeps the whole site in memory
    sources = _cited_sources(config, pages, whole, known.layouts, problems)
    relinked = _link_alone(config, inputs, known.facts, whole, pages, sources, problems, quotes)
    if relinked is None:
        return None
    linked, changed_sources = relinked
    check_judgments(config, (p.page for p in linked.values()), problems)
    if problems.items:
        return None  # the whole build reports them
    if whole is not None:
        site = with_pages(whole, linked)
    else:  # from the cache: the pages the edited ones show (home, menu) besides them, loaded from their records
        shown = [f"{slug}.md" for slug in ("index", *config.topics, *config.pages) if f"content/{slug}.md" in inputs.pages]
        others = load_pages(config, problems, records, names=[name for name in shown if f"content/{name}" not in linked])
        site = Site(config, tuple(sources.values()), (*(PageCitations(page, ()) for page in others), *linked.values()), {}, {})
    rendering = _render_alone(site, inputs, known.rendering, whole, linked, changed_sources)
    if rendering is None:
        return None
    changed = changed_paths(rendering.files, known.rendering.files, rendering.rendered)
    tree: int | None = None
    if write and isinstance(known, BuildResult) and not _as_left(config, known):
        tree = write_site(rendering.files, config.output_dir)  # another program changed the folder: none of it is trusted
    elif write and changed:  # as the preview left it, or as the cache's listing says
        tree = update_one(rendering.files, changed, config.output_dir)
    if write and progress is not None:
        progress("written")
    for path in edited:  # what the pages' earlier texts gave is not needed again
        records.pop(page_record_key(path, known.inputs.pages[path], config.allow_html, config.language), None)
    page_facts = {**known.facts, **{path: facts(p) for path, p in linked.items()}}
    counts = {**known.counts, "citations": sum(len(p.citations) for p in site.pages)} if whole is not None else known.counts
    if cache is not None:
        cache.save(inputs, rendering, counts, list(known.warnings), records, quotes, known.layouts, page_facts, tree)
    state = _state_now(config, known.output_state) if write and whole is not None and known.output_state else ()
    return BuildResult(site if whole is not None else None, rendering.files, tuple(known.warnings), inputs, rendering, changed,
                       counts, records, quotes, known.layouts, page_facts, state)


def _edited(inputs: Inputs, known: BuildResult | Saved, strict: bool) -> list[str]:
    """The pages whose texts alone changed since `known`, if there are few, and none had warnings."""
    before = known.inputs
    if (inputs.config, inputs.seeds, inputs.templates) != (before.config, before.seeds, before.templates) or inputs.pages.keys() != before.pages.keys():
        return []
    edited = [path for path, digest in inputs.pages.items() if digest != before.pages[path]]
    if len(edited) > EDITED_PAGES or any(w.location.path in edited for w in known.warnings) or (strict and known.warnings):
        return []
    return edited


def _cited_sources(config: Config, pages: tuple[Page, ...], whole: Site | None, layouts: dict, problems: Problems) -> dict[str, Source]:
    """The sources the pages cite: from the preview's site, or loaded from seeds/ (those alone)."""
    cited = {use.ref.source_id for page in pages for use in page.citations}
    if whole is not None:
        return {source.id: source for source in whole.sources if source.id in cited}
    subset = dataclasses.replace(config, sources=tuple(s for s in config.sources if s.id in cited))
    return {source.id: source for source in load_sources(subset, problems, (), dict(layouts))}


def _link_alone(config: Config, inputs: Inputs, known_facts: dict, whole: Site | None, pages: tuple[Page, ...],
                sources: dict[str, Source], problems: Problems, quotes: dict) -> tuple[dict[str, PageCitations], set[str]] | None:
    """Each page linked alone, by path, and the sources whose citations changed (none when every
    page shows the others what it showed them); None when a whole link is needed."""
    slugs = {path.removeprefix("content/").removesuffix(".md") for path in inputs.pages}
    linked: dict[str, PageCitations] = {}
    changed_sources: set[str] = set()
    for page in pages:
        before_facts = known_facts.get(page.path)
        if before_facts is None:
            return None
        if whole is not None:  # anchored among all the excerpts of its sources, as a whole link would
            anchors = [(s, e.anchor, e.start, e.end) for s in sources for e in whole.excerpts.get(s, ())]
        else:
            anchors = [(source_id, anchor, start, end) for source_id, start, end, anchor, _ in before_facts[4]]
        linked[page.path] = after = link_page(config, sources, page, slugs, anchors, problems, quotes)
        if problems.items:
            return None
        after_facts = facts(after)
        if after_facts != before_facts:
            # Only its citations changed, and only on this page: its sources' pages, the lists
            # counting citations and citations.json change with it (in the preview, which holds
            # the whole site), as long as no other excerpt's anchor moves.
            before_page = whole.pages[whole.positions[page.path]] if whole is not None else None
            if (before_page is None or len(pages) > 1 or after_facts[:4] != before_facts[:4]
                    or not anchored_alike(whole, before_page, after)):  # type: ignore[arg-type]
                return None
            changed_sources = {c.excerpt.source.id for p in (before_page, after) for c in p.citations}
    return linked, changed_sources


def _render_alone(site: Site, inputs: Inputs, known: Rendering, whole: Site | None, linked: dict[str, PageCitations],
                  changed_sources: set[str]) -> Rendering | None:
    """The linked pages' outputs (and, when their citations changed, those that show them) made
    again; the others as `known` has them. None when an output needs what the cache does not hold."""
    renderer = Renderer(site, inputs, known, changed_sources)
    pages = {p.page.url: p for p in linked.values()}
    todo = list(pages)
    if changed_sources:
        changed_digests = renderer.refresh()  # the digests of the whole site that the edit changed
        todo += [s.url for s in site.sources if s.id in changed_sources] + ["citations.json"]
        todo += [path for path, named in known.inputs.items() if path not in todo and reads_any(named, changed_digests)]
    rendered: dict[str, bytes] = {}
    keys, named = dict(known.keys), dict(known.inputs)
    for path in todo:
        output = renderer.page_output(pages[path]) if path in pages else renderer.output_for(path)
        if output is None:
            return None
        if whole is None and reads_any(output.inputs, ("topics", "others", "sources", "corroboration")):
            return None  # made from every page or source, which the cache does not hold
        keys[output.path], named[output.path] = output.key, output.inputs
        if output.key != known.keys.get(output.path):
            rendered[output.path] = output.make()
    memo = renderer.memo_after([whole.pages[whole.positions[path]] for path in linked]) if whole is not None else None
    rendering = Rendering(SiteFiles.of(list(keys), rendered, known.files), keys, named, frozenset(rendered), renderer.digests, memo)
    return with_search(rendering, known, site.config.language, rendered) if site.config.search else rendering


def _as_left(config: Config, previous: BuildResult) -> bool:
    """Whether the output folder is as the preview's last build left it (no other program changed its folders)."""
    return bool(previous.output_state) and previous.output_state == _state_now(config, previous.output_state)


def _state_now(config: Config, state: tuple) -> tuple:
    """The output folder's state now, for the folders an earlier `state` lists."""
    return folder_state(config.output_dir, [folder for folder, _, _ in state])


def _unchanged_pages(config: Config, inputs: Inputs, previous: BuildResult | None, records: dict) -> dict:
    """The pages of the preview's last build whose files have the same digest now, with their records."""
    if previous is None or previous.site is None:
        return {}
    unchanged = {}
    for page_citations in previous.site.pages:
        page = page_citations.page
        digest = inputs.pages.get(page.path)
        key = page_record_key(page.path, digest or "", config.allow_html, config.language)
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
