"""Lighthouse (tests/tools, lighthouse 12.2.3, on Debian's Chromium) scores the home page, a topic, the
discrepancies page, a source page and the 404 page at 100 in all four categories, as a phone and as a
laptop: one run per page and form factor, and the median of five where performance scores below
100 (benchmarks/lighthouse.py prints the same figures)."""
import os

import pytest

from benchmarks.lighthouse import CATEGORIES, LIGHTHOUSE, PAGES, audit, serve
from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT, chromium_executable


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    if not LIGHTHOUSE.exists():
        if os.environ.get("BRIEFING_REQUIRE_BROWSER") == "1":
            pytest.fail("lighthouse is not installed; run `npm ci` in tests/tools (./scripts/test.sh does)")
        pytest.skip("lighthouse is not installed; ./scripts/test.sh installs it")
    out = tmp_path_factory.mktemp("lighthouse") / "site"
    build(load_config(ROOT / "site.yaml", output_dir=out))
    server, url = serve(out)
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("form_factor", ["mobile", "desktop"])
@pytest.mark.parametrize("page", PAGES)
def test_lighthouse_scores_every_category_at_100(base, page, form_factor):
    chrome = chromium_executable()
    scores = audit(base + page, form_factor, chrome)
    runs = [scores]
    if scores["performance"] < 100 and all(scores[name] == 100 for name in CATEGORIES if name != "performance"):
        # Performance is timed on this machine, shared with the rest of the suite: judge the median
        # of five runs, which Lighthouse's docs/variability.md finds halves the variance of one.
        runs += [audit(base + page, form_factor, chrome) for _ in range(4)]
        scores = sorted(runs, key=lambda run: run["performance"])[2]
    assert {name: scores[name] for name in CATEGORIES} == {name: 100 for name in CATEGORIES}, (
        scores["failed"], [(run["performance"], run["benchmark_index"]) for run in runs])
