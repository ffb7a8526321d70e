"""Scale of large input: build time against seed size and against citations on one page.

    python benchmarks/bad_input_scale.py

Builds (in-process, after imports) a site with one seed of 1.25-10 MB, then a page with 625-5,000
citations into that seed, and prints time per MB and per 1,000 citations: flat ratios mean linear.
"""
from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.config import load_config  # noqa: E402
from briefing.pipeline import build  # noqa: E402

VOCABULARY = [f"w{n}" for n in range(3000)] + ["the", "and", "of", "shells", "troops", "treaty"]


def make_seed(megabytes: float, rng: random.Random) -> tuple[str, list[str]]:
    lines, size, number = [], 0, 0
    while size < megabytes * 1_000_000:
        words = [rng.choice(VOCABULARY) for _ in range(120)]
        line = f"L{number} " + " ".join(words)
        lines.append(line)
        size += len(line) + 1
        number += 1
    return "\n".join(lines) + "\n", lines


def make_site(root: Path, megabytes: float, citations: int) -> Path:
    rng = random.Random(0)
    text, lines = make_seed(megabytes, rng)
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "seeds" / "big.txt").write_text(text, encoding="utf-8")
    (root / "site.yaml").write_text("title: Scale\ntopics: [page]\nsources:\n  - id: big\n    file: big.txt\n    title: Big\n", encoding="utf-8")
    body = []
    for n in range(citations):
        words = rng.choice(lines).split(" ")
        quote = " ".join(words[:6])  # starts with the line's unique L-number
        body.append(f"- Claim {n} [@big \"{quote}\"]")
    (root / "content" / "page.md").write_text("---\ntitle: Page\n---\n" + "\n".join(body) + "\n", encoding="utf-8")
    return root / "site.yaml"


def timed(site_yaml: Path) -> float:
    config = load_config(site_yaml)
    started = time.perf_counter()
    build(config)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("seed size (100 citations):")
        for megabytes in (1.25, 2.5, 5, 10):
            seconds = timed(make_site(Path(tmp) / f"s{megabytes}", megabytes, 100))
            print(f"  {megabytes:>5} MB  {seconds:6.2f} s  {seconds / megabytes:.3f} s/MB")
        print("citations on one page (1 MB seed):")
        for citations in (625, 1250, 2500, 5000):
            seconds = timed(make_site(Path(tmp) / f"c{citations}", 1, citations))
            print(f"  {citations:>5} citations  {seconds:6.2f} s  {seconds / citations * 1000:.3f} s per 1,000")


if __name__ == "__main__":
    main()
