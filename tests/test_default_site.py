"""The default briefing: builds with --strict, and every citation checks out against the seed files."""
import json
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.htmltools import parse
from tests.sitecheck import citation_problems


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default") / "site"
    build(load_config(ROOT / "site.yaml", output_dir=out), strict=True)
    return out


def test_every_citation_matches_its_seed_and_anchor(built):
    assert citation_problems(built, ROOT / "seeds") == []


def test_every_seed_is_cited(built):
    cited = {c["source"] for c in json.loads((built / "citations.json").read_text())["citations"]}
    assert cited == {p.name for p in (ROOT / "seeds").glob("*.txt")}


def test_seeds_are_the_original_documents():
    sums = ROOT.parent / "shared" / "seeds" / "SHA256SUMS"
    if not sums.exists():
        pytest.skip("../shared/seeds/SHA256SUMS is not beside this checkout")
    import hashlib
    for line in sums.read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((ROOT / "seeds" / name).read_bytes()).hexdigest() == digest, name


def test_pages_are_well_formed(built):
    for page in built.rglob("*.html"):
        doc = parse(page.read_text(encoding="utf-8"))
        assert doc.errors == [], page
        assert len(doc.ids) == len(set(doc.ids)), f"duplicate ids in {page}"
