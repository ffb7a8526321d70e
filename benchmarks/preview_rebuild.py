"""The preview's rebuild, in process, without a browser: how long `build` takes after each kind of save.

    python -m benchmarks.preview_rebuild [--pages 10000] [--sources N] [--saves 4]

Generates the synthetic site (benchmarks/synthetic.py) in a temporary folder, builds it once as the
preview does (in this process, the cyclic garbage collector off during rebuilds, as `serve` runs
it), then times rebuilds after `--saves` prose edits of one page, a save that changes nothing, and
one claim edit (the sentence holding a citation): `bench.py`'s edits. Prints one line per rebuild: seconds, and the
outputs rendered. Edit-to-browser latency, which adds the server and the browser, is
`benchmarks/serve_latency.py`'s.
"""
from __future__ import annotations

import argparse
import gc
import inspect
import tempfile
import time
from pathlib import Path

from benchmarks.bench import edit_claim, edit_page
from benchmarks.synthetic import make_site
from briefing.config import load_config
from briefing.pipeline import BuildResult, build

def rebuild(site: Path, last: BuildResult) -> BuildResult:
    """One preview rebuild after `last`, with whichever way this tree's `build` takes the last build."""
    config = load_config(site / "site.yaml")
    if "previous" in inspect.signature(build).parameters:
        return build(config, previous=last)
    return build(config, last.memo)  # type: ignore[attr-defined]


def timed(label: str, site: Path, last: BuildResult) -> BuildResult:
    started = time.perf_counter()
    result = rebuild(site, last)
    rendered = sorted(result.rendering.rendered)
    shown = ", ".join(rendered[:5]) + (f" and {len(rendered) - 5} more" if len(rendered) > 5 else "")
    print(f"  {label:<22} {time.perf_counter() - started:7.3f} s   rendered {shown or 'nothing'}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--sources", type=int, default=None, help="default: pages / 5")
    parser.add_argument("--saves", type=int, default=4)
    args = parser.parse_args()
    sources = args.sources if args.sources is not None else max(1, args.pages // 5)
    with tempfile.TemporaryDirectory() as folder:
        site = make_site(Path(folder) / "site", args.pages, sources)  # with a copy of templates/
        started = time.perf_counter()
        result = build(load_config(site / "site.yaml"), jobs=2)
        print(f"{args.pages} pages, {sources} sources: first build {time.perf_counter() - started:.2f} s")
        gc.collect()
        gc.freeze()
        gc.disable()  # as the preview: no collection in the middle of a rebuild
        for number in range(args.saves):
            edit_page(site)  # bench.py's edits: prose appended to the last page, then a word of a claim
            result = timed(f"prose edit {number + 1}", site, result)
        result = timed("nothing changed", site, result)
        edit_claim(site)
        timed("claim edit", site, result)


if __name__ == "__main__":
    main()
