"""The default briefing's editorial rules, checked on its Markdown: citations per topic, discrepancies, timeline order."""
import re

from tests.conftest import ROOT

CONTENT = ROOT / "content"
CITED_ID = re.compile(r"(?:\[|;)\s*@([a-z0-9_-]+)\s+\"")


def body(name: str) -> str:
    text = (CONTENT / name).read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1]


def sources_cited(text: str) -> set[str]:
    return set(CITED_ID.findall(text))


def test_every_topic_page_cites_at_least_two_seeds():
    import yaml

    topics = yaml.safe_load((ROOT / "site.yaml").read_text(encoding="utf-8"))["topics"]
    assert topics == ["treaty", "munitions", "troops", "technology", "fragility"]
    for topic in topics:
        assert len(sources_cited(body(f"{topic}.md"))) >= 2, topic


def test_topic_pages_have_the_four_sections():
    for topic in ("treaty", "munitions", "troops", "technology", "fragility"):
        headings = re.findall(r"^## (.+)$", body(f"{topic}.md"), flags=re.M)
        for section in ("Bottom line", "What the sources report", "Where the sources disagree or cannot confirm", "Assessment"):
            assert section in headings, (topic, section)


def test_every_discrepancy_entry_cites_two_seeds():
    entries = [s for s in re.split(r"^(?=### )", body("discrepancies.md"), flags=re.M) if s.startswith("### ")]
    assert len(entries) >= 8
    for entry in entries:
        entry = re.split(r"^## ", entry, flags=re.M)[0]  # an entry ends at the next section
        assert len(sources_cited(entry)) >= 2, entry.splitlines()[0]


def test_timeline_is_chronological():
    rows = [line for line in body("timeline.md").splitlines() if line.startswith("| ") and not line.startswith("| Date") and not line.startswith("|---")]
    dates = [re.match(r"\| ~?(\d{4}(?:-\d{2}){0,2})", row).group(1) for row in rows]
    assert len(dates) >= 15
    assert dates == sorted(dates)
    for row in rows:
        assert "[@" in row.split("|")[2], f"timeline event without a citation: {row[:60]}"


def test_assessments_use_the_likelihood_scale():
    scale = ("almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely", "almost certain")
    for topic in ("treaty", "munitions", "troops", "technology", "fragility"):
        assessment = body(f"{topic}.md").split("## Assessment", 1)[1]
        assert any(term in assessment.lower() for term in scale), topic


def test_every_reported_paragraph_and_item_is_cited():
    for topic in ("treaty", "munitions", "troops", "technology", "fragility"):
        for section in ("What the sources report", "Where the sources disagree or cannot confirm"):
            text = re.split(r"^## ", body(f"{topic}.md").split(f"## {section}", 1)[1], flags=re.M)[0]
            blocks = [b for b in re.split(r"\n\s*\n|\n(?=\s*[-*] |\s*\d+\. )", text) if b.strip() and not b.lstrip().startswith("#")]
            for block in blocks:
                if block.rstrip().endswith(":"):  # a lead-in to a list whose items carry the citations
                    continue
                assert "[@" in block, f"{topic} / {section}: uncited: {block.strip()[:80]}"
