"""Checks shared by the fixture and default-site tests: citations.json against seeds and pages."""
from __future__ import annotations

import json
from pathlib import Path

from tests.htmltools import parse, text_of


def citation_problems(output: Path, seeds: Path) -> list[str]:
    """Every citations.json entry: text[start:end] == quote (the file decoded with nothing removed), and
    its href lands on an element whose text (with the later parts of a split excerpt) is exactly the quote."""
    data = json.loads((output / "citations.json").read_text(encoding="utf-8"))
    problems = []
    docs = {}
    for number, entry in enumerate(data["citations"]):
        with open(seeds / entry["source"], encoding="utf-8", newline="") as file:
            text = file.read()
        if text[entry["start"]:entry["end"]] != entry["quote"]:
            problems.append(f"#{number}: offsets do not give the quote: {entry}")
        page, _, fragment = entry["href"].partition("#")
        if page not in docs:
            docs[page] = parse((output / page).read_text(encoding="utf-8"))
        found = text_of(docs[page], fragment)
        if found is None:
            problems.append(f"#{number}: {entry['href']} has no element with that id")
        elif found != entry["quote"]:
            problems.append(f"#{number}: element {entry['href']} holds {found!r}, not exactly the quote {entry['quote']!r}")
        citing = entry["page"]
        if citing not in docs:
            docs[citing] = parse((output / citing).read_text(encoding="utf-8"))
        if not entry["claim"]:
            problems.append(f"#{number}: empty claim")
    return problems


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
