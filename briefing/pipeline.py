"""The whole build in one screen: load, link, check, render, write.

Every build runs the same stages in the same order; what makes a rebuild fast is the memo
(memo.py) each stage asks before it computes. The preview passes the memo of its last build,
`python build.py` one loaded from `.cache/` (memo.DiskMemo), a test none (a cold build).
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable

from .config import Config
from .content import load_pages
from .errors import BuildError, Problem, Problems
from .grading import check_independence, check_judgments
from .inputs import Inputs, read_inputs
from .link import Site, link, locate_quotes
from .lock import ProjectLock
from .memo import Memo
from .project import check_project
from .provenance import check_originals
from .render import Rendering, render_site
from .sources import load_sources
from .write import InMemory, Staging, check_output_dir, check_paths, commit, file_problem


@dataclass(frozen=True)
class BuildResult:
    site: Site
    files: Mapping[str, bytes]  # read from the output folder when asked for (kept in memory by a build that writes none)
    warnings: tuple[Problem, ...]
    inputs: Inputs  # digests of the input files, read before loading them
    rendering: Rendering  # every output's dependency key, which were made, which changed
    memo: Memo  # for the next build: what this one asked for or made

    @property
    def changed(self) -> tuple[str, ...]:
        """The outputs new, different or gone since the output folder was last written (all, for a fresh folder)."""
        return self.rendering.changed

    @property
    def counts(self) -> dict[str, int]:
        return {"pages": len(self.site.pages), "sources": len(self.site.sources), "citations": self.site.citation_count}

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
            return _build(config, memo if memo is not None else Memo(), strict, write, jobs, progress or (lambda _: None))
    except OSError as exc:  # a full disk, a folder one may not write to: the author's to fix, not a traceback
        raise BuildError([file_problem(exc, config)]) from None


def _build(config: Config, memo: Memo, strict: bool, write: bool, jobs: int, progress: Callable[[str], None]) -> BuildResult:
    problems = Problems()
    check_output_dir(config, problems)
    unlisted = check_project(config, problems)          # input folders inside the project, no pipes or links out
    if unlisted is None:
        problems.check()                                # an input folder that is not the project's: read nothing
    inputs = read_inputs(config, memo, unlisted)        # digest every input file before reading it
    sources = load_sources(config, inputs, memo, problems)  # seeds/ -> Source
    check_originals(config, problems)                   # kept originals as site.yaml recorded them
    locate = functools.partial(locate_quotes, {source.id: source for source in sources})
    pages = load_pages(config, inputs, memo, problems, jobs, locate)  # content/ -> records (Pages when asked for)
    site = link(config, sources, pages, problems, memo, inputs.config)  # resolve citations, backlinks; all checks
    check_independence(config, sources, problems, memo)  # shared text between sources in different groups
    check_judgments(config, pages, problems)            # strong judgments resting on one group
    problems.check(strict)
    with Staging(config.output_dir, memo.state) if write else InMemory() as sink:
        rendering = render_site(site, inputs, memo, sink, jobs)  # Jinja -> files, those the memo holds kept
        check_paths(rendering.files, problems)
        problems.check(strict)
        rendering, state = commit(sink, rendering, memo)  # the new tree swapped in, or one file renamed into place
    progress("written")
    after = memo.after(state if write else memo.state)
    memo.remember(after)                                # `python build.py`'s memo is written to .cache/
    return BuildResult(site, rendering.files, tuple(problems.warnings), inputs, rendering, after)
