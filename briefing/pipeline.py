"""The whole build in one screen: load, link, check, render, write.

Every build runs the same stages in the same order; what makes a rebuild fast is the memo
(memo.py) each stage asks before it computes, the whole build being its outermost unit. The
preview passes the memo of its last build, `python build.py` one loaded from `.cache/`
(memo.DiskMemo), a test none (a cold build).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

from .config import Config
from .content import load_pages
from .errors import BuildError, Location, Problem, Problems
from .grading import check_independence, check_judgments
from .inputs import read_inputs
from .link import Site, link, locate_quotes
from .lock import ProjectLock
from .memo import Memo, fingerprint
from .project import check_project
from .provenance import check_originals
from .render import Rendering, render_site
from .sources import load_sources
from .write import InMemory, Staging, WrittenFiles, check_output_dir, check_paths, commit, file_problem, settle, vouched


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  # None when the whole build was taken from `python build.py`'s memo (nothing was loaded)
    files: Mapping[str, bytes]  # read from the output folder when asked for (kept in memory by a build that writes none)
    warnings: tuple[Problem, ...]
    rendering: Rendering  # every output's dependency key, which were made, which changed
    memo: Memo | None  # for the next build: what this one asked for or made
    counts: dict[str, int]  # pages, sources, citations

    @property
    def changed(self) -> tuple[str, ...]:
        """The outputs new, different or gone since the output folder was last written (all, for a fresh folder)."""
        return self.rendering.changed

    @property
    def up_to_date(self) -> bool:
        return not self.rendering.rendered and not self.rendering.changed


def build(config: Config, memo: Memo | None = None, strict: bool = False, write: bool = True, jobs: int = 1,
          progress: Callable[[str], None] | None = None, lock: bool = True) -> BuildResult:
    """Build the site; raise BuildError (with every problem), leaving the output folder as it was, if anything is wrong.

    `memo` holds the units of work of earlier builds (the preview's last one, or `.cache/`'s);
    without one the build is cold. Only the outputs whose key the memo does not hold for the output
    folder's file are rendered, and the folder is swapped for the new tree (or, for one changed
    file, that file renamed into place). With `write` False, nothing is written.

    A build that writes holds the project's lock (lock.ProjectLock) from start to end, unless
    `lock` is False (a folder of its own, as publish's): a second one waits. `progress` hears
    lock.WAITING when it does, and "written" once the output folder is written, before the memo
    records it.
    """
    try:
        with ProjectLock(config.root, progress) if write and lock else contextlib.nullcontext():
            try:
                memo = memo if memo is not None else Memo()
                result, state = _build(config, memo, strict, write, jobs, progress or (lambda _: None))
                after = memo.after(state)               # for the next build: `python build.py`'s memo writes it to .cache/
                memo.remember(after)
                return dataclasses.replace(result, memo=after)
            finally:
                settle()                                # the old tree, removed while the memo was written, gone
    except OSError as exc:  # a full disk, a folder one may not write to: the author's to fix, not a traceback
        raise BuildError([file_problem(exc, config)]) from None


def _build(config: Config, memo: Memo, strict: bool, write: bool, jobs: int, progress: Callable[[str], None]) -> tuple[BuildResult, object]:
    problems = Problems()
    check_output_dir(config, problems)
    unlisted = check_project(config, problems)          # input folders inside the project, no pipes or links out
    if unlisted is None:
        problems.check()                                # an input folder that is not the project's: read nothing
    inputs = read_inputs(config, memo, unlisted)        # digest every input file before reading it
    whole = fingerprint(inputs.config, inputs.pages, inputs.seeds, inputs.templates, strict, write)  # the whole build is a unit too
    present, now = vouched(config.output_dir, memo) if write else (None, None)  # the output folder, as the memo knows it?
    if not problems.items and (not write or present is not None) and whole in memo.table("build"):
        return _as_built(config, memo, whole), memo.state  # nothing it read changed, and the output folder is as it left it
    sources = load_sources(config, inputs, memo, problems)  # seeds/ -> Source
    check_originals(config, problems)                   # kept originals as site.yaml recorded them
    locate = functools.partial(locate_quotes, {source.id: source for source in sources})
    pages = load_pages(config, inputs, memo, problems, jobs, locate)  # content/ -> records (Pages when asked for)
    site = link(config, sources, pages, problems, memo, inputs.config)  # resolve citations, backlinks; all checks
    check_independence(config, sources, problems, memo)  # shared text between sources in different groups
    check_judgments(config, site, problems, memo)       # strong judgments resting on one group
    problems.check(strict)
    with Staging(config.output_dir, present, now) if write else contextlib.nullcontext(InMemory()) as sink:
        rendering = render_site(site, inputs, memo, sink, jobs)  # Jinja -> files, those the memo holds kept
        check_paths(rendering.files, problems)
        problems.check(strict)
        rendering, state = commit(sink, rendering, memo)  # the new tree swapped in, or one file renamed into place
    progress("written")
    counts = {"pages": len(site.skeleton.order), "sources": len(site.sources), "citations": site.citation_count}
    result = BuildResult(site, rendering.files, tuple(problems.warnings), rendering, None, counts)
    if state is not None or not write:                  # what the next build, finding the same inputs, needs to know
        memo.table("build")[whole] = {"warnings": [[w.location.path, w.location.line, w.message] for w in result.warnings], "counts": counts}
        memo.table("built")[whole] = result
    return result, state if write else memo.state


def _as_built(config: Config, memo: Memo, whole: str) -> BuildResult:
    """The build whose every input is as an earlier build found them (the memo's "build", plain
    data, and in the preview's memo the result itself, "built"): nothing is loaded or made."""
    memo.keep_all()                                     # what it was made from holds, for the next build
    built = memo.table("built").get(whole)
    if built is None:
        done, outputs = memo.table("build")[whole], memo.table("output")
        sizes = {path: size for path, (_, size) in outputs.new.items()}
        warnings = tuple(Problem(Location(path, line), message, warning=True) for path, line, message in done["warnings"])
        rendering = Rendering(WrittenFiles(config.output_dir, sizes), {path: key for path, (key, _) in outputs.new.items()}, {},
                              frozenset(), (), sizes)
        built = BuildResult(None, rendering.files, warnings, rendering, None, done["counts"])
    return dataclasses.replace(built, rendering=dataclasses.replace(built.rendering, rendered=frozenset(), changed=()))
