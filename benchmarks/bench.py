"""Build benchmark on a synthetic briefing.

    python benchmarks/bench.py --pages N [--sources M] [--citations K] [--json]

Generates a deterministic site (benchmarks/synthetic.py) in a temporary folder and times whole
`python build.py` processes: a cold build (no cache), a rebuild with nothing changed, and rebuilds
after editing one page, one source and one template. Also reports the peak resident memory of the
build processes.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synthetic import make_site  # noqa: E402


def run_build(site: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), "--quiet"], check=True)
    return time.perf_counter() - started


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--sources", type=int, default=None, help="default: pages / 5")
    parser.add_argument("--citations", type=int, default=None, help="default: 5 per page")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    sources = args.sources if args.sources is not None else max(1, args.pages // 5)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, pages=args.pages, sources=sources, citations=args.citations)
        shutil.copytree(ROOT / "templates", site / "templates", dirs_exist_ok=True)
        results = {"pages": args.pages, "sources": sources}
        results["cold_s"] = run_build(site)
        results["noop_s"] = run_build(site)
        page = sorted((site / "content").glob("*.md"))[-1]
        append(page, "\nOne more plain sentence for the benchmark.\n")
        results["edit_page_s"] = run_build(site)
        seed = sorted((site / "seeds").glob("*.txt"))[-1]
        append(seed, "\nA new closing paragraph added for the benchmark.\n")
        results["edit_source_s"] = run_build(site)
        append(site / "templates" / "page.html", "\n{# benchmark edit #}\n")
        results["edit_template_s"] = run_build(site)
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}))
        return
    print(f"{args.pages} pages, {sources} sources")
    for key, label in (("cold_s", "cold build"), ("noop_s", "rebuild, nothing changed"), ("edit_page_s", "rebuild after one page edit"),
                       ("edit_source_s", "rebuild after one source edit"), ("edit_template_s", "rebuild after one template edit")):
        print(f"  {label:<34} {results[key]:8.2f} s")
    print(f"  {'peak memory':<34} {results['peak_rss_mb']:8.0f} MB")


if __name__ == "__main__":
    main()
