"""Two commits' build times side by side, measured interleaved so the machine's drift falls on both.

    python -m benchmarks.compare BEFORE AFTER [--pages 10000] [--sources N] [--rounds 3]
                                 [--cold-runs 5] [--serve-latency] [--json]

BEFORE and AFTER are git revisions of this repository; AFTER may be WORKTREE, the working tree as
it is now (uncommitted changes included, copied as `git ls-files` lists it). Each revision gets a
detached worktree in a temporary folder, removed at the end (also on Ctrl-C or an error).

One synthetic site (the AFTER tree's `benchmarks/synthetic.py`, `--pages` pages, `--sources`
sources, default pages / 5) is generated once; each round copies it afresh for each revision,
with that revision's own `templates/`. Each revision's `build.py` then builds its copy as whole
processes: cold, nothing changed, one page edited, one claim edited, one source edited, one
template edited (the edits of `bench.py`, kept for the builds after them). The two revisions
alternate build by build, and which goes first alternates round by round (ABAB..., then BABA...).
Then the default briefing (each tree's own `site.yaml`) is built cold `--cold-runs` times, also
alternating. Each build is timed by the wall clock, by the user + system CPU time of the process
and the children it waited for, and by its peak resident memory (the largest single process),
all from `os.wait4`. Before measuring, each tree builds the default briefing once, untimed, so
both start with compiled bytecode.

Prints, for each scenario, each revision's median (min-max) and the ratio of the medians
AFTER / BEFORE; with --json, one JSON object with every figure. --serve-latency also runs
`python -m benchmarks.serve_latency --pages N --sources M` in each tree, alternating, once a round
(needs Chromium and Playwright), and reports its medians.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.bench import edit_claim, edit_page, edit_source, edit_template

ROOT = Path(__file__).resolve().parent.parent
WORKTREE = "WORKTREE"
SCENARIOS: tuple[tuple[str, str, Callable[[Path], None] | None], ...] = (
    ("cold", "cold build", None),
    ("noop", "nothing changed", None),
    ("edit_page", "one page edited", edit_page),
    ("edit_claim", "one claim edited", edit_claim),
    ("edit_source", "one source edited", edit_source),
    ("edit_template", "one template edited", edit_template),
)
DEFAULT_COLD = ("default_cold", "default briefing, cold")
METRICS = (("wall_s", "wall seconds", "{:.2f}"), ("cpu_s", "CPU seconds (user + sys, with children)", "{:.2f}"),
           ("peak_rss_mb", "peak RSS MB (largest process)", "{:.0f}"))
SERVE_FIGURES = (("median_ms", "edit-to-browser median"), ("worst_ms", "edit-to-browser worst"),
                 ("rebuild_median_ms", "server rebuild median"))
SERVE_LINE = re.compile(r"^(?P<site>.+?)\s+(?P<pages>\d+) pages\s+edit-to-browser median\s+(?P<median>[\d.]+) ms, "
                        r"worst\s+(?P<worst>[\d.]+) ms\s+\(rebuild median (?P<rebuild>[\d.]+|nan) ms")


@dataclass
class Tree:
    label: str  # "before" or "after"
    revision: str  # as given on the command line
    commit: str  # the full hash (with " + uncommitted changes" for a changed WORKTREE)
    subject: str
    path: Path
    runs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    serve: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def describe(label: str, revision: str, path: Path) -> Tree:
    """The tree of `revision` (to be made at `path`), its commit and subject."""
    commit = git("rev-parse", "--verify", "HEAD^{commit}" if revision == WORKTREE else f"{revision}^{{commit}}")
    if revision == WORKTREE and git("status", "--porcelain"):  # untracked files are copied too
        commit_text = f"{commit} + uncommitted changes"
    else:
        commit_text = commit
    return Tree(label, revision, commit_text, git("log", "-1", "--format=%s", commit)[:60], path)


def checkout(tree: Tree) -> None:
    """A detached worktree of the tree's commit, or a copy of the working tree for WORKTREE."""
    if tree.revision != WORKTREE:
        git("worktree", "add", "--detach", str(tree.path), tree.commit)
        return
    tree.path.mkdir(parents=True)
    names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.exists() or source.is_symlink():  # a tracked file deleted in the working tree is left out
            (tree.path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree.path / name, follow_symlinks=False)


def discard(tree: Tree) -> None:
    if tree.revision != WORKTREE and tree.path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree.path)], capture_output=True)
    shutil.rmtree(tree.path, ignore_errors=True)


@contextlib.contextmanager
def trees(before: str, after: str, tmp: Path) -> Iterator[tuple[Tree, Tree]]:
    made = [describe("before", before, tmp / "before"), describe("after", after, tmp / "after")]
    try:
        for tree in made:
            checkout(tree)
        yield made[0], made[1]
    finally:
        for tree in made:
            discard(tree)


def timed(command: list[str], cwd: Path) -> dict[str, float]:
    """Run `command`; its wall time, CPU time (with the children it waited for) and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()
        process.wait()
        raise
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit status {process.returncode})")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def build(tree: Tree, config: Path, output: Path | None = None) -> dict[str, float]:
    command = [sys.executable, str(tree.path / "build.py"), "--config", str(config), "--quiet"]
    return timed(command + (["--output", str(output)] if output else []), config.parent)


def generate(after: Tree, site: Path, pages: int, sources: int) -> None:
    """The synthetic site, made once by the AFTER tree's generator."""
    spec = importlib.util.spec_from_file_location("after_synthetic", after.path / "benchmarks" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_site(site, pages=pages, sources=sources)


def copy_site(pristine: Path, tree: Tree, destination: Path) -> Path:
    """A copy of the generated site with the tree's own templates."""
    shutil.copytree(pristine, destination, ignore=shutil.ignore_patterns("templates", "output", ".cache"))
    shutil.copytree(tree.path / "templates", destination / "templates")
    return destination


def alternate(pair: tuple[Tree, Tree], turn: int) -> tuple[Tree, Tree]:
    return pair if turn % 2 == 0 else (pair[1], pair[0])


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_rounds(pair: tuple[Tree, Tree], pristine: Path, rounds: int, tmp: Path) -> None:
    for number in range(rounds):
        order = alternate(pair, number)
        sites = {tree.label: copy_site(pristine, tree, tmp / f"round{number}-{tree.label}") for tree in order}
        os.sync()  # the copies reach the disk now, not during the cold builds
        for key, _, edit in SCENARIOS:
            for tree in order:
                if edit:
                    edit(sites[tree.label])
                tree.runs.setdefault(key, []).append(figures := build(tree, sites[tree.label] / "site.yaml"))
                progress(f"round {number + 1}/{rounds} {key:<13} {tree.label:<6} {figures['wall_s']:7.2f} s")
        for site in sites.values():
            shutil.rmtree(site)


def warm_up(pair: tuple[Tree, Tree], tmp: Path) -> None:
    for tree in pair:
        build(tree, tree.path / "site.yaml", tmp / f"warm-{tree.label}")
        shutil.rmtree(tmp / f"warm-{tree.label}")


def run_default_cold(pair: tuple[Tree, Tree], runs: int, tmp: Path) -> None:
    """The default briefing built cold: no cache in the tree, a new output folder each time."""
    key = DEFAULT_COLD[0]
    for number in range(runs):
        for tree in alternate(pair, number):
            shutil.rmtree(tree.path / ".cache", ignore_errors=True)
            output = tmp / f"default-{tree.label}-{number}"
            tree.runs.setdefault(key, []).append(figures := build(tree, tree.path / "site.yaml", output))
            shutil.rmtree(output)
            progress(f"default cold {number + 1}/{runs} {tree.label:<6} {figures['wall_s']:7.2f} s")


def serve_latency_missing(pair: tuple[Tree, Tree]) -> str | None:
    """Why the serve benchmark cannot run, if it cannot."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no Chromium on PATH"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed"
    missing = [tree.label for tree in pair if not (tree.path / "benchmarks" / "serve_latency.py").exists()]
    return f"no benchmarks/serve_latency.py in {', '.join(missing)}" if missing else None


def run_serve_latency(pair: tuple[Tree, Tree], rounds: int, pages: int, sources: int) -> None:
    for number in range(rounds):
        for tree in alternate(pair, number):
            command = [sys.executable, "-m", "benchmarks.serve_latency", "--pages", str(pages), "--sources", str(sources)]
            printed = subprocess.run(command, cwd=tree.path, check=True, capture_output=True, text=True).stdout
            for line in printed.splitlines():
                if match := SERVE_LINE.match(line):
                    figures = tree.serve.setdefault(match["site"].strip(), {name: [] for name, _ in SERVE_FIGURES})
                    for (name, _), group in zip(SERVE_FIGURES, ("median", "worst", "rebuild")):
                        figures[name].append(float(match[group]))
            progress(f"serve latency {number + 1}/{rounds} {tree.label:<6} done")


def spread(values: list[float], style: str) -> str:
    if not values:
        return "-"
    return f"{style.format(statistics.median(values))} ({style.format(min(values))}–{style.format(max(values))})"


def ratio(before: list[float], after: list[float]) -> str:
    if not before or not after or statistics.median(before) == 0:
        return "-"
    return f"{statistics.median(after) / statistics.median(before):.3f}"


Rows = list[tuple[str, list[float], list[float]]]  # label, BEFORE's figures, AFTER's


def table(title: str, rows: Rows, style: str, width: int) -> list[str]:
    lines = [f"{title:<{width + 2}}  {'BEFORE median (min–max)':<26} {'AFTER median (min–max)':<26} AFTER/BEFORE"]
    for label, before, after in rows:
        lines.append(f"  {label:<{width}}  {spread(before, style):<26} {spread(after, style):<26} {ratio(before, after)}")
    return lines


def report(pair: tuple[Tree, Tree], settings: dict[str, object]) -> str:
    before, after = pair
    lines = [f"BEFORE {before.revision}: {before.commit}  {before.subject}",
             f"AFTER  {after.revision}: {after.commit}  {after.subject}",
             f"measured {settings['date']}: {settings['pages']} pages, {settings['sources']} sources, rounds: {settings['rounds']}; "
             f"default briefing cold runs: {settings['cold_runs']}", ""]
    labels = [(key, label) for key, label, _ in SCENARIOS] + [DEFAULT_COLD]
    tables: list[tuple[str, Rows, str]] = [
        (title, [(label, [run[metric] for run in before.runs.get(key, [])], [run[metric] for run in after.runs.get(key, [])])
                 for key, label in labels], style) for metric, title, style in METRICS]
    if before.serve or after.serve:
        tables.append(("serve latency ms (once a round)", [
            (f"{site}: {label}", before.serve.get(site, {}).get(name, []), after.serve.get(site, {}).get(name, []))
            for site in sorted(set(before.serve) | set(after.serve)) for name, label in SERVE_FIGURES], "{:.0f}"))
    width = max(max(len(title) - 2, *(len(row[0]) for row in rows)) for title, rows, _ in tables)
    for title, rows, style in tables:
        lines += table(title, rows, style, width) + [""]
    if settings.get("serve_latency_skipped"):
        lines.append(f"serve latency skipped: {settings['serve_latency_skipped']}")
    return "\n".join(lines).rstrip()


def as_json(pair: tuple[Tree, Tree], settings: dict[str, object]) -> str:
    revisions = {tree.label: {key: value for key, value in asdict(tree).items() if key != "path"} for tree in pair}
    return json.dumps({**settings, **revisions})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", metavar="BEFORE", help="a git revision")
    parser.add_argument("after", metavar="AFTER", help=f"a git revision, or {WORKTREE} for the working tree as it is")
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--sources", type=int, default=None, help="default: pages / 5")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=5, help="cold builds of the default briefing per revision")
    parser.add_argument("--serve-latency", action="store_true", help="also benchmarks.serve_latency, once a round")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()
    if args.before == WORKTREE:
        parser.error(f"{WORKTREE} can only be AFTER")
    sources = args.sources if args.sources is not None else max(1, args.pages // 5)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl-C
    settings: dict[str, object] = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                                   "pages": args.pages, "sources": sources, "rounds": args.rounds, "cold_runs": args.cold_runs}
    tmp = Path(tempfile.mkdtemp(prefix="compare-"))
    try:
        with trees(args.before, args.after, tmp) as pair:
            generate(pair[1], tmp / "site", args.pages, sources)
            warm_up(pair, tmp)
            run_rounds(pair, tmp / "site", args.rounds, tmp)
            run_default_cold(pair, args.cold_runs, tmp)
            if args.serve_latency:
                if (why := serve_latency_missing(pair)) is None:
                    run_serve_latency(pair, args.rounds, args.pages, sources)
                else:
                    settings["serve_latency_skipped"] = why
            print(as_json(pair, settings) if args.json else report(pair, settings))
    except KeyboardInterrupt:
        raise SystemExit("interrupted; the worktrees and the temporary folder are removed") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
