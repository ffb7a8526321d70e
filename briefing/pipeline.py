"""The whole build in one screen: load, link, check, render, write."""
from __future__ import annotations

from dataclasses import dataclass
from .config import Config
from .content import load_pages
from .errors import Problem, Problems
from .link import Site, link
from .render import render
from .sources import load_sources
from .write import check_output_dir, check_paths, write_site


@dataclass(frozen=True)
class BuildResult:
    site: Site
    files: dict[str, bytes]
    warnings: tuple[Problem, ...]


def build(config: Config, strict: bool = False, write: bool = True) -> BuildResult:
    """Build the site; raise BuildError (with every problem) before writing a byte if anything is wrong."""
    problems = Problems()
    check_output_dir(config, problems)
    sources = load_sources(config, problems)        # seeds/   -> Source (+ text, paragraphs)
    pages = load_pages(config, problems)            # content/ -> Page (front matter + Markdown)
    site = link(config, sources, pages, problems)   # resolve citations, backlinks; all checks
    problems.check(strict)
    files = render(site)                            # Jinja -> {path: bytes}
    check_paths(files, problems)
    problems.check(strict)
    if write:
        write_site(files, config.output_dir)       # atomically swapped into place
    return BuildResult(site, files, tuple(problems.warnings))

