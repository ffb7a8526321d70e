"""A deterministic synthetic briefing of any size, for benchmarks: `make_site(root, pages, sources)`.

Each page has about 600 words under several headings, with a bulleted list, links to other pages,
a table and a footnote, and cites its sources verbatim: five citations per page by default (the
issue's 10,000 pages carry about 50,000), a fifth of them quoting an excerpt an earlier page
already quoted. Every quote occurs exactly once in its source, so every citation resolves. The
same arguments always give the same bytes.

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
CITATIONS_PER_PAGE = 5  # 10,000 pages: 50,000 citations
REPEATED_SHARE = 0.2  # of citations that quote an excerpt an earlier page already quoted


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


def make_site(root: Path, pages: int, sources: int, seed: int = 0, templates: Path | None = ROOT / "templates",
              citations: int | None = None) -> Path:
    """Write site.yaml, seeds/, content/ (and a copy of `templates`) into `root`; return `root`.

    `citations`: how many citations the topic pages make in all (default CITATIONS_PER_PAGE per page).
    """
    citations = CITATIONS_PER_PAGE * pages if citations is None else citations
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

    quotes: list[str] = []  # citations already made, some of which later pages quote again

    def cite() -> str:
        if quotes and rng.random() < REPEATED_SHARE:
            return rng.choice(quotes)
        source_id, paragraphs, whole = rng.choice(texts)
        quotes.append(f'[@{source_id} "{_quote(rng, paragraphs, whole)}"]')
        return quotes[-1]

    def sentence(words: int, cited: bool) -> str:
        text = _sentence(rng, vocabulary, words)
        return text[:-1] + " " + cite() + "." if cited else text

    def prose(words: int, cited: int) -> str:
        """About `words` words of sentences, `cited` of them (spread evenly) ending with a citation."""
        sentences = []
        while sum(sentences) < words:
            sentences.append(rng.randint(10, 18))
        every = max(1, len(sentences) // cited) if cited else 0
        return " ".join(sentence(length, bool(cited) and i % every == every - 1 and i // every < cited)
                        for i, length in enumerate(sentences))

    # How many citations each page gets: `citations` in all, spread as evenly as the pages allow.
    per_page = [citations // pages + (1 if n < citations % pages else 0) for n in range(pages)] if pages else []
    (root / "content" / "index.md").write_text(
        f"---\ntitle: Overview\nsummary: Where to start.\nupdated: 2024-06-01\n---\n{prose(80, 2)}\n\n"
        f"Start with [the first topic]({_slug(0)}.md).\n", encoding="utf-8")
    for number in range(pages):
        other = _slug((number + 1) % pages)
        far = _slug((number * 7 + 3) % pages)
        count = per_page[number]
        # Where the page's citations go: the list, the table and the footnote first, then the prose.
        listed, tabled, noted = min(count, 1), min(max(count - 1, 0), 1), min(max(count - 2, 0), 1)
        rest = count - listed - tabled - noted
        body = [
            "---", f"title: Topic {number}", f"summary: {_sentence(rng, vocabulary, 10)}",
            f"updated: 2024-{1 + number % 12:02d}-{1 + number % 28:02d}", "---",
            "## Overview", "", prose(160, (rest + 2) // 3), "",
            "## Findings", "", prose(100, (rest + 1) // 3), "",
            *(f"- {sentence(8, i < listed)}" for i in range(4)), "",
            f"See [the next topic]({other}.md#findings) and [a related one]({far}.md).", "",
            "### Figures", "", "| Measure | Value | Basis |", "|---|---|---|",
            *(f"| {rng.choice(vocabulary)} | {rng.randint(1, 9999)} | {cite() if i < tabled else rng.choice(vocabulary)} |" for i in range(3)), "",
            "## Assessment", "", prose(140, rest // 3) + "[^1]", "",
            f"[^1]: {sentence(12, bool(noted))}", "",
        ]
        (root / "content" / f"{_slug(number)}.md").write_text("\n".join(body), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic briefing for benchmarks.")
    parser.add_argument("root", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--citations", type=int, default=None, help=f"default: {CITATIONS_PER_PAGE} per page")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    make_site(args.root, args.pages, args.sources, args.seed, citations=args.citations)
    print(f"wrote {args.pages} pages and {args.sources} sources into {args.root}")


if __name__ == "__main__":
    main()
