"""A deterministic synthetic briefing of any size, for benchmarks: `make_site(root, pages, sources)`.

Each page has about 600 words under several headings, with a bulleted list, links to other pages,
a table and a footnote, and cites its sources verbatim (every quote occurs exactly once in its
source, so every citation resolves). The same arguments always give the same bytes.

    python -m benchmarks.synthetic /tmp/big --pages 1000 --sources 20
"""
from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zen", "dor", "pal", "quin", "tar", "bel", "hor", "sim")
PARAGRAPHS_PER_SOURCE = 40
WORDS_PER_SOURCE_PARAGRAPH = 60


def _vocabulary(rng: random.Random, size: int = 600) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))))
    return sorted(words)


def _sentence(rng: random.Random, vocabulary: list[str], words: int) -> str:
    text = " ".join(rng.choice(vocabulary) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _source_text(rng: random.Random, vocabulary: list[str]) -> list[str]:
    paragraphs = []
    for _ in range(PARAGRAPHS_PER_SOURCE):
        sentences, count = [], 0
        while count < WORDS_PER_SOURCE_PARAGRAPH:
            length = rng.randint(8, 16)
            sentences.append(_sentence(rng, vocabulary, length))
            count += length
        paragraphs.append(" ".join(sentences))
    return paragraphs


def _quote(rng: random.Random, paragraphs: list[str], whole: str) -> str:
    """Five to nine consecutive words of one paragraph that occur exactly once in the whole source."""
    while True:
        words = rng.choice(paragraphs).split()
        length = rng.randint(5, 9)
        start = rng.randrange(0, len(words) - length)
        quote = " ".join(words[start : start + length])
        if whole.count(quote) == 1:
            return quote


def _slug(number: int) -> str:
    return f"page-{number:04d}"


def make_site(root: Path, pages: int, sources: int, seed: int = 0, templates: Path | None = ROOT / "templates") -> Path:
    """Write site.yaml, seeds/, content/ (and a copy of `templates`) into `root`; return `root`."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    root.mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    if templates is not None and not (root / "templates").exists():
        shutil.copytree(templates, root / "templates")

    texts: list[tuple[str, list[str], str]] = []
    config = ['title: "Synthetic briefing"', f'description: "A generated briefing of {pages} pages and {sources} sources."',
              "language: en", 'base_url: ""', f"topics: [{', '.join(_slug(n) for n in range(min(pages, 12)))}]", "sources:"]
    for number in range(sources):
        source_id = f"src{number:03d}"
        paragraphs = _source_text(rng, vocabulary)
        whole = "\n".join(paragraphs) + "\n"
        (root / "seeds" / f"{source_id}.txt").write_text(whole, encoding="utf-8")
        texts.append((source_id, paragraphs, whole))
        config += [f"  - id: {source_id}", f"    file: {source_id}.txt", f'    title: "Synthetic document {number}"',
                   "    kind: report", f'    date: "2024-{1 + number % 12:02d}-{1 + number % 28:02d}"']
    (root / "site.yaml").write_text("\n".join(config) + "\n", encoding="utf-8")

    def cite() -> str:
        source_id, paragraphs, whole = rng.choice(texts)
        return f'[@{source_id} "{_quote(rng, paragraphs, whole)}"]'

    def prose(words: int) -> str:
        sentences, count = [], 0
        while count < words:
            length = rng.randint(10, 18)
            sentences.append(_sentence(rng, vocabulary, length)[:-1] + " " + cite() + ".")
            count += length + 6
        return " ".join(sentences)

    (root / "content" / "index.md").write_text(
        f"---\ntitle: Overview\nsummary: Where to start.\nupdated: 2024-06-01\n---\n{prose(80)}\n\n"
        f"Start with [the first topic]({_slug(0)}.md).\n", encoding="utf-8")
    for number in range(pages):
        other = _slug((number + 1) % pages)
        far = _slug((number * 7 + 3) % pages)
        body = [
            "---", f"title: Topic {number}", f"summary: {_sentence(rng, vocabulary, 10)}",
            f"updated: 2024-{1 + number % 12:02d}-{1 + number % 28:02d}", "---",
            "## Overview", "", prose(160), "",
            "## Findings", "", prose(100), "",
            *(f"- {_sentence(rng, vocabulary, 8)[:-1]} {cite()}." for _ in range(4)), "",
            f"See [the next topic]({other}.md#findings) and [a related one]({far}.md).", "",
            "### Figures", "", "| Measure | Value | Basis |", "|---|---|---|",
            *(f"| {rng.choice(vocabulary)} | {rng.randint(1, 9999)} | {cite()} |" for _ in range(3)), "",
            "## Assessment", "", prose(140) + "[^1]", "",
            f"[^1]: {_sentence(rng, vocabulary, 12)[:-1]} {cite()}.", "",
        ]
        (root / "content" / f"{_slug(number)}.md").write_text("\n".join(body), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic briefing for benchmarks.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    make_site(args.root, args.pages, args.sources, args.seed)
    print(f"wrote {args.pages} pages and {args.sources} sources into {args.root}")


if __name__ == "__main__":
    main()
