"""Seeds: decoding, paragraphs, stable anchors, the normalised index."""
from pathlib import Path

from briefing.config import Furniture, SourceConfig
from briefing.errors import Location, Problems
from briefing.sources import QuoteIndex, decode_seed, load_source, split_paragraphs
from briefing.text import fold as normalize


def source_config(file="a.txt", paragraphs="lines", furniture=()):
    return SourceConfig(id="a", file=file, title="A", author=None, publisher=None, date=None, url=None, kind=None,
                        perspective=None, furniture=tuple(furniture), paragraphs=paragraphs, location=Location("site.yaml", 3))


def test_normalize_folds_quotes_dashes_and_space():
    assert normalize("  “Hi”\u00a0—  it’s\n\tfine ") == "\"Hi\" - it's fine"


def test_normalized_text_maps_back_to_original_offsets():
    original = "A  “quote” —\n here"
    index = QuoteIndex(original)
    assert index.text == 'A "quote" - here'
    start = index.text.index('"quote"')
    a, b = index.span(start, start + len('"quote" - here'))
    assert original[a:b] == "“quote” —\n here"


def test_paragraphs_by_line_skip_blank_lines():
    text = "First line.\n\n  Second line.  \nThird.\n"
    paragraphs = split_paragraphs(text, "lines")
    assert [text[p.start:p.end] for p in paragraphs] == ["First line.", "Second line.", "Third."]
    assert [p.line for p in paragraphs] == [1, 3, 4]


def test_paragraphs_by_blank_lines_join_wrapped_lines():
    text = "One\ntwo.\n\nThree.\n"
    paragraphs = split_paragraphs(text, "blank-lines")
    assert [text[p.start:p.end] for p in paragraphs] == ["One\ntwo.", "Three."]


def test_anchors_stay_stable_when_other_paragraphs_change():
    before = {p.anchor for p in split_paragraphs("Alpha.\nBeta.\nGamma.\n", "lines")}
    after = split_paragraphs("Inserted.\nAlpha.\nBeta changed.\nGamma.\n", "lines")
    after_anchors = {p.anchor for p in after}
    text = "Inserted.\nAlpha.\nBeta changed.\nGamma.\n"
    kept = {p.anchor for p in after if text[p.start:p.end] in ("Alpha.", "Gamma.")}
    assert kept <= before and len(kept) == 2
    assert len(after_anchors) == 4


def test_duplicate_paragraphs_get_distinct_anchors():
    anchors = [p.anchor for p in split_paragraphs("Same.\nSame.\n", "lines")]
    assert anchors[1] == anchors[0] + "-2"


def test_not_utf8_reports_line():
    problems = Problems()
    assert decode_seed("ok\nbad \xff\n".encode("latin-1"), Location("seeds/x.txt"), problems) is None
    assert [str(p) for p in problems.items] == ["seeds/x.txt:2: not valid UTF-8 (byte 0xff at offset 7); re-save the document as UTF-8"]


def test_nul_byte_reports_line():
    problems = Problems()
    assert decode_seed(b"one\ntwo\x00\n", Location("seeds/x.txt"), problems) is None
    assert [str(p) for p in problems.items] == ["seeds/x.txt:2: the file contains a NUL byte, so it is binary, not text; save the document as UTF-8 text"]


def test_empty_source_is_an_error(tmp_path: Path):
    (tmp_path / "a.txt").write_text("\n  \n", encoding="utf-8")
    problems = Problems()
    assert load_source(tmp_path / "a.txt", source_config(), problems) is None
    assert [str(p) for p in problems.items] == ["seeds/a.txt:1: the source is empty; a seed must contain the document's text"]


def test_furniture_is_marked_and_unknown_furniture_is_an_error(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Article.\nPhoto: caption\n", encoding="utf-8")
    problems = Problems()
    (tmp_path / "a.txt").write_text("Article.\nPhoto: caption\nHeadline\nHeadline\n", encoding="utf-8")
    furniture = [Furniture("Photo: caption", None, Location("site.yaml", 8)), Furniture("Nope", None, Location("site.yaml", 9)),
                 Furniture(None, 4, Location("site.yaml", 10)), Furniture(None, 9, Location("site.yaml", 11))]
    source = load_source(tmp_path / "a.txt", source_config(furniture=furniture), problems)
    assert [p.furniture for p in source.paragraphs] == [False, True, False, True]
    assert [str(p) for p in problems.items] == [
        "site.yaml:9: furniture 'Nope' is not a paragraph of seeds/a.txt; copy the whole line exactly, or give its line number",
        "site.yaml:11: furniture line 9 is not a paragraph of seeds/a.txt; copy the whole line exactly, or give its line number"]
