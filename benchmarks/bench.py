"""Build benchmark on a synthetic briefing.

    python benchmarks/bench.py --pages N [--sources M] [--citations K] [--json]

Generates a deterministic site (benchmarks/synthetic.py) in a temporary folder and times whole
`python build.py` processes: a cold build (no cache), a rebuild with nothing changed, and rebuilds
after editing one page's prose, one claim (the sentence holding a citation), one source and one
template, in that order, each edit kept for the builds after it. Also reports the peak resident memory of the
build processes: the largest single process's peak RSS, and with --total-memory the largest sum
of the proportional set sizes (PSS) of a build and its forked workers, sampled every 50 ms while
it runs (the sampling slows the builds a little, so time without it).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synthetic import make_site  # noqa: E402


PEAKS: list[int] = []  # per build: the largest total PSS (KB) of the build and its workers seen while sampling


def run_build(site: Path, sample_memory: bool = False) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), "--quiet"])
    peak = [0]

    def sample() -> None:  # every 50 ms: the memory of the build and of the workers it forked
        while process.poll() is None:
            peak[0] = max(peak[0], sum(_pss_kb(pid) for pid in _tree(process.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:  # reading /proc/PID/smaps_rollup walks the process's page tables: it costs the build time
        sampler.start()
    returncode = process.wait()  # the time is taken when the build ends, not at the sampler's next turn
    seconds = time.perf_counter() - started
    if sample_memory:
        sampler.join()
    if returncode != 0:
        raise SystemExit(f"the build failed (exit status {returncode})")
    PEAKS.append(peak[0])
    return seconds


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc; just the process elsewhere)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid] + [descendant for child in children for descendant in _tree(int(child))]


def _pss_kb(pid: int) -> int:
    """Proportional set size: private memory plus a fair share of pages shared with other processes
    (such as a forked worker's copy-on-write pages), so the processes' figures add up."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def edit_page(site: Path) -> None:
    """A paragraph of prose appended to the last page."""
    append(sorted((site / "content").glob("*.md"))[-1], "\nOne more plain sentence for the benchmark.\n")


CITED_WORD = re.compile(r"(\w+)(?= \[@)")  # the word just before a citation, in the sentence that holds it


def edit_claim(site: Path) -> None:
    """One word changed in a claim (the sentence holding a citation): the word just before the first
    citation of a page in the middle of the site; the quote itself is left alone."""
    pages = sorted((site / "content").glob("*.md"))
    for page in pages[len(pages) // 2:]:
        text = page.read_text(encoding="utf-8")
        match = CITED_WORD.search(text, text.find("\n---", 3) + 1)  # after the front matter
        if match:
            word = "altered" if match.group(1) != "altered" else "amended"
            page.write_text(text[:match.start()] + word + text[match.end():], encoding="utf-8")
            return
    raise ValueError(f"no citation in the second half of {site / 'content'}")


def edit_source(site: Path) -> None:
    """A paragraph appended to the last seed."""
    append(sorted((site / "seeds").glob("*.txt"))[-1], "\nA new closing paragraph added for the benchmark.\n")


def edit_template(site: Path) -> None:
    """A Jinja comment appended to the page template."""
    append(site / "templates" / "page.html", "\n{# benchmark edit #}\n")


# The rebuilds after an edit, in the order they run: each edit stays for the builds after it.
EDITS = (("edit_page_s", "rebuild after one page edit", edit_page),
         ("edit_claim_s", "rebuild after one claim edit", edit_claim),
         ("edit_source_s", "rebuild after one source edit", edit_source),
         ("edit_template_s", "rebuild after one template edit", edit_template))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--sources", type=int, default=None, help="default: pages / 5")
    parser.add_argument("--citations", type=int, default=None, help="default: 5 per page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--total-memory", action="store_true",
                        help="also sample the memory of each build with its workers (sum of PSS); slows the builds a little")
    args = parser.parse_args()
    sources = args.sources if args.sources is not None else max(1, args.pages // 5)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, pages=args.pages, sources=sources, citations=args.citations)
        shutil.copytree(ROOT / "templates", site / "templates", dirs_exist_ok=True)
        if hasattr(os, "sync"):
            os.sync()  # the generated files reach the disk now, not while the cold build is timed
        results = {"pages": args.pages, "sources": sources}
        results["cold_s"] = run_build(site, args.total_memory)
        results["noop_s"] = run_build(site, args.total_memory)
        for key, _, edit in EDITS:
            edit(site)
            results[key] = run_build(site, args.total_memory)
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest single process
        if args.total_memory:
            results["peak_total_pss_mb"] = max(PEAKS) / 1024  # build and workers together (Linux; 0 elsewhere)
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
        return
    print(f"{args.pages} pages, {sources} sources")
    for key, label in (("cold_s", "cold build"), ("noop_s", "rebuild, nothing changed"), *((key, label) for key, label, _ in EDITS)):
        print(f"  {label:<34} {results[key]:8.2f} s")
    print(f"  {'peak memory, largest process':<34} {results['peak_rss_mb']:8.0f} MB")
    if args.total_memory:
        print(f"  {'peak memory, with its workers':<34} {results['peak_total_pss_mb']:8.0f} MB (sum of PSS, sampled every 50 ms)")


if __name__ == "__main__":
    main()
