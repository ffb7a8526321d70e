"""Scale of large and bad input: flat ratios mean linear.

    python benchmarks/bad_input_scale.py [--quick]

Builds (in-process, after imports, unless said) sites made to stress one cost at a time:
- one seed of 1.25-10 MB with 100 citations;  625-5,000 citations on one page (1 MB seed);
- a misquote against a 0.25-2 MB real-world text (../shared/corpora/postmortems-corpus.txt,
  repeated), timed as a whole `python build.py` process, closest-passage hint included;
- 1,000-8,000 citations in one paragraph (a sentence each) and in one sentence (no full stop);
- 10,000 and 50,000 distinct excerpts in one source (its page costs text plus excerpts).
"""
from __future__ import annotations

import random
import resource
import shutil
import subprocess
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


CORPUS = ROOT.parent / "shared" / "corpora" / "postmortems-corpus.txt"


def misquote_site(root: Path, megabytes: float) -> Path:
    """A site whose one page misquotes (one word changed) a sentence of a `megabytes`-long seed."""
    corpus = CORPUS.read_text(encoding="utf-8")
    text = (corpus * (int(megabytes * 1_000_000 / len(corpus)) + 1))[: int(megabytes * 1_000_000)]
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "seeds" / "big.txt").write_text(text, encoding="utf-8")
    (root / "site.yaml").write_text("title: Scale\ntopics: [page]\nsources:\n  - id: big\n    file: big.txt\n    title: Big\n", encoding="utf-8")
    words = [w for w in text[len(text) // 2 : len(text) // 2 + 2000].split() if '"' not in w and "\\" not in w][5:15]
    words[4] = "zzzq"
    (root / "content" / "page.md").write_text(f'---\ntitle: Page\n---\nClaim [@big "{" ".join(words)}"].\n', encoding="utf-8")
    return root / "site.yaml"


def process_seconds(site_yaml: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, last problem line) of `python build.py` on the site."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site_yaml), "--quiet"],
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, (result.stderr.splitlines() or [""])[0]


def crowded_site(root: Path, citations: int, one_sentence: bool) -> Path:
    """A page whose one paragraph holds `citations` citations, each in its own sentence or all in one."""
    rng = random.Random(0)
    text, lines = make_seed(0.5, rng)
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "seeds" / "big.txt").write_text(text, encoding="utf-8")
    (root / "site.yaml").write_text("title: Scale\ntopics: [page]\nsources:\n  - id: big\n    file: big.txt\n    title: Big\n", encoding="utf-8")
    end = ", and" if one_sentence else "."
    parts = [f"Claim {n} [@big \"{' '.join(rng.choice(lines).split(' ')[:6])}\"]{end}" for n in range(citations)]
    (root / "content" / "page.md").write_text("---\ntitle: Page\n---\n" + " ".join(parts) + "\n", encoding="utf-8")
    return root / "site.yaml"


def excerpts_site(root: Path, excerpts: int) -> Path:
    """One source of `excerpts` lines, each cited once, from pages of 1,000 citations each."""
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copytree(ROOT / "templates", root / "templates")
    lines = [f"Line L{n} says item {n} of the record is kept." for n in range(excerpts)]
    (root / "seeds" / "big.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pages = [f"p{k}" for k in range((excerpts + 999) // 1000)]
    (root / "site.yaml").write_text(f"title: Scale\ntopics: [{', '.join(pages)}]\nsources:\n  - id: big\n    file: big.txt\n    title: Big\n", encoding="utf-8")
    for k, name in enumerate(pages):
        body = "\n".join(f"- Claim {n} [@big \"L{n} says item {n}\"]" for n in range(k * 1000, min(excerpts, (k + 1) * 1000)))
        (root / "content" / f"{name}.md").write_text(f"---\ntitle: Page {k}\n---\n{body}\n", encoding="utf-8")
    return root / "site.yaml"


def timed(site_yaml: Path) -> float:
    """CPU seconds of one in-process build (CPU, not wall time, so other work on the machine does not count)."""
    config = load_config(site_yaml)
    started = time.process_time()
    build(config, jobs=1)
    return time.process_time() - started


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        print("CPU seconds of in-process builds, one process.")
        print("seed size (100 citations):")
        for megabytes in (1.25, 2.5) if quick else (1.25, 2.5, 5, 10):
            seconds = timed(make_site(Path(tmp) / f"s{megabytes}", megabytes, 100))
            print(f"  {megabytes:>5} MB  {seconds:6.2f} s  {seconds / megabytes:.3f} s/MB")
        print("citations on one page (1 MB seed):")
        for citations in (625, 1250) if quick else (625, 1250, 2500, 5000):
            seconds = timed(make_site(Path(tmp) / f"c{citations}", 1, citations))
            print(f"  {citations:>5} citations  {seconds:6.2f} s  {seconds / citations * 1000:.3f} s per 1,000")
        print("a misquote, whole `python build.py` process (hint included), wall and CPU seconds:")
        for megabytes in (0.25, 0.5, 1, 2):
            wall, cpu, line = process_seconds(misquote_site(Path(tmp) / f"m{megabytes}", megabytes))
            hint = "hint" if "closest passage" in line else "no hint"
            print(f"  {megabytes:>5} MB  {wall:6.2f} s wall  {cpu:6.2f} s CPU  ({hint})")
        for one_sentence in (False, True):
            print(f"citations in one paragraph, {'all in one sentence' if one_sentence else 'one sentence each'} (0.5 MB seed):")
            for citations in (1000, 2000) if quick else (1000, 2000, 4000, 8000):
                site = crowded_site(Path(tmp) / f"p{citations}{one_sentence}", citations, one_sentence)
                seconds = timed(site)
                size = (site.parent / "output" / "citations.json").stat().st_size
                print(f"  {citations:>5} citations  {seconds:6.2f} s  {seconds / citations * 1000:.3f} s per 1,000  citations.json {size / 1e6:.1f} MB")
        print("distinct excerpts in one source:")
        for excerpts in (10_000,) if quick else (10_000, 50_000):
            seconds = timed(excerpts_site(Path(tmp) / f"e{excerpts}", excerpts))
            print(f"  {excerpts:>6} excerpts  {seconds:6.2f} s  {seconds / excerpts * 1000:.3f} s per 1,000")


if __name__ == "__main__":
    main()
