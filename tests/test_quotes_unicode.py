"""Quotes in any language: whole words, one folding for both sides, one line numbering, claims by
sentence in any script, hints for any script, exact offsets into the file as it is."""
import json
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.citations import CitationRef, Match, find_quote
from briefing.config import Furniture, SourceConfig, load_config
from briefing.content import parse_page
from briefing.markdown import make_markdown
from briefing.errors import Location, Problems
from briefing.pipeline import build
from briefing.sources import Source, load_source, split_paragraphs
from briefing.text import Folded, fold, is_word_boundary, visible
from tests.conftest import make_site


def source(text: str, paragraphs: str = "lines", furniture=()) -> Source:
    config = SourceConfig(id="s", file="s.txt", title="S", author=None, publisher=None, date=None, url=None, kind=None,
                          perspective=None, furniture=tuple(furniture), paragraphs=paragraphs, location=Location("site.yaml", 1))
    return Source(config, text, "", split_paragraphs(text, paragraphs))


def find(text: str, quote: str, paragraphs: str = "lines", **options) -> Match | str:
    return find_quote(source(text, paragraphs), CitationRef("s", quote, Location("content/x.md", 3), **options))


def quoted(text: str, quote: str, paragraphs: str = "lines", **options) -> str:
    match = find(text, quote, paragraphs, **options)
    assert isinstance(match, Match), match
    return text[match.start:match.end]


# -- 1. whole words ---------------------------------------------------------------------------
def test_a_quote_starting_inside_a_number_is_rejected_and_the_whole_word_shown():
    message = find("About 8.5 million devices were affected.\n", "5 million devices")
    assert message == ('the quote "5 million devices" occurs in seeds/s.txt only inside longer words: line 1 has '
                       '"8.5 million devices"; a quote must start and end on whole words: quote the whole word')
    assert quoted("About 8.5 million devices were affected.\n", "8.5 million devices") == "8.5 million devices"


def test_quotes_inside_longer_words_or_numbers_are_rejected():
    assert "only inside longer words" in find("In 2001 systems failed.\n", "001 systems")
    assert "line 1 has \"2001 systems\"" in find("In 2001 systems failed.\n", "001 systems")
    assert "only inside longer words" in find("The artillery fired.\n", "art")
    assert "\"artillery\"" in find("The artillery fired.\n", "art")
    assert "only inside longer words" in find("2,000 shells\n", "000 shells")


def test_whole_words_match_beside_punctuation_and_apostrophes():
    assert quoted("He said: “can’t stop”, and left.\n", "can't stop") == "can’t stop"
    assert quoted("Up 8.5%.\n", "8.5%") == "8.5%"
    assert quoted("(see page 4)\n", "see page 4") == "see page 4"


def test_in_scripts_without_spaces_any_character_boundary_counts_but_digits_group():
    text = "批判的な議員は航空会社、空港、銀行を挙げた。コンピューターが2025年に止まった。\n"
    assert quoted(text, "航空会社") == "航空会社"
    assert quoted(text, "ピュー") == "ピュー"
    assert quoted(text, "2025年") == "2025年"
    assert "only inside longer words" in find(text, "025年")


# -- 2, 3. one folding --------------------------------------------------------------------------
def test_a_decomposed_polish_seed_matches_a_composed_quote_at_the_file_offsets():
    text = unicodedata.normalize("NFD", "Żółta linia zostanie przedłużona o 3,5 kilometra.\n")
    match = find(text, "przedłużona o 3,5 kilometra")
    assert isinstance(match, Match)
    assert unicodedata.normalize("NFC", text[match.start:match.end]) == "przedłużona o 3,5 kilometra"
    assert text[match.start:match.end].endswith("kilometra") and text[match.start - 1] == " "
    assert quoted(unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", "Żółta linia")) == "Żółta linia"


def test_invisible_characters_inside_words_do_not_block_a_match():
    for invisible in ("\u00ad", "\u200b", "\u2060", "\ufeff"):
        text = f"a faulty configu{invisible}ration update\n"
        assert quoted(text, "faulty configuration update") == f"faulty configu{invisible}ration update"


def test_joiners_are_kept_and_a_difference_only_in_them_is_named():
    text = "می\u200cخواهم بروم\n"  # Persian: the non-joiner is part of the spelling
    assert quoted(text, "می\u200cخواهم") == "می\u200cخواهم"
    message = find(text, "میخواهم بروم")
    assert "differs only by an invisible joiner" in message


def test_typographic_quotes_dashes_and_spaces_fold_on_both_sides():
    assert quoted("„Nie” — powiedział «on»  ‚tak‘\n", "\"Nie\" - powiedział \"on\" 'tak'") == "„Nie” — powiedział «on»  ‚tak‘"
    assert quoted("one\u00a0two\u3000three\n", "one two three") == "one\u00a0two\u3000three"


def test_white_space_between_characters_of_scripts_without_spaces_matches_nothing():
    text = "市議会は予算案を\n可決した。\n\n次の段落。\n"
    assert quoted(text, "予算案を可決した", "blank-lines") == "予算案を\n可決した"
    assert quoted(text, "予算案を 可決した", "blank-lines") == "予算案を\n可決した"  # a space typed where the line broke
    thai = "ประเทศไทย\nมีประชากรมาก\n"
    assert quoted(thai, "ประเทศไทย มีประชากรมาก", "blank-lines") == "ประเทศไทย\nมีประชากรมาก"
    assert quoted(thai, "ประเทศไทยมีประชากรมาก", "blank-lines") == "ประเทศไทย\nมีประชากรมาก"
    # between words of a spaced script the wrap is still a space
    assert quoted("too\ncostly.\n", "too costly", "blank-lines") == "too\ncostly"
    assert isinstance(find("too\ncostly.\n", "toocostly", "blank-lines"), str)


def test_a_quote_never_ends_inside_a_grapheme_cluster():
    text = "เขาไม่ไปโรงเรียน\n"  # he does not go to school: the tone mark belongs to ไม่ (not)
    assert "only inside longer words" in find(text, "เขาไม")
    assert quoted(text, "เขาไม่") == "เขาไม่"
    assert "only inside longer words" in find("ที่นี่\n", "ท")


def test_presentation_forms_from_pdfs_match_the_letters_they_show():
    text = "ﻗﺎﻝ ﺍﻟﻮﺯﻳﺮ ﺇﻥ ﺍﻟﻤﻴﺰﺍﻧﻴﺔ ﺍﻟﺠﺪﻳﺪﺓ\n"
    assert quoted(text, "الميزانية الجديدة") == "ﺍﻟﻤﻴﺰﺍﻧﻴﺔ ﺍﻟﺠﺪﻳﺪﺓ"
    assert quoted("The ﬁnal ofﬁce report.\n", "final office report") == "ﬁnal ofﬁce report"


def test_a_quote_of_invisible_characters_only_is_empty():
    assert find("Hello world. Some text.\n", "\u200b", occurrence=3) == (
        "the quote for `@s` is empty once invisible characters are ignored; quote the exact words the claim rests on")


def test_prefix_and_suffix_are_whole_words_right_beside_the_quote():
    text = "He said that it rained. She hid that it snowed.\n"
    assert quoted(text, "that it", prefix="said") == "that it"
    assert "has that prefix/suffix right beside it" in find(text, "that it", prefix="id")
    assert "has that prefix/suffix right beside it" in find(text, "that it", suffix="rain")
    assert quoted(text, "that it", suffix="snowed") == "that it"


def test_a_long_source_finds_quotes_that_start_after_punctuation_or_inside_cjk():
    filler = "The quick brown fox jumps over the lazy dog near the river bank today.\n" * 3000
    text = filler + "Students staged anti-war protests across the capital on Sunday.\n"
    assert quoted(text, "war protests across the capital") == "war protests across the capital"
    chinese = "中国经济增长 放缓 今年 预计\n" * 20000 + "国家统计局 发布 最新 数据\n"
    assert quoted(chinese, "统计局 发布 最新") == "统计局 发布 最新"
    # a source quoted often is searched through its word index: the same places
    for long_text, needle in ((text, "war protests across the capital"), (text, "anti-war protests across"),
                              (text, "lazy dog near the river")):
        index = source(long_text).index
        assert index.lookup(fold(needle)) == index.scan(fold(needle)) != []


# -- 5, 6. hints ----------------------------------------------------------------------------------
def test_a_misquote_gets_a_hint_that_shows_invisible_characters():
    message = find("a faulty configu\u00adration update\n", "a faulty configuration upgrade")
    assert message == ('quote not found in seeds/s.txt: "a faulty configuration upgrade"; closest passage (line 1): '
                       '"a faulty configu⟨U+00AD⟩ration update"; copy the words exactly as the source has them')


def test_a_misquote_in_japanese_gets_a_closest_passage():
    text = "批判的な議員は、航空会社、空港、銀行、病院への補助金が不透明だと指摘した。\n"
    message = find(text, "航空会社、空港、銀行、学校")
    assert 'closest passage (line 1): "航空会社、空港、銀行、病' in message


def test_a_difference_only_in_case_is_named():
    message = find("The Treaty was signed.\n", "the treaty was signed")
    assert message.endswith('closest passage (line 1): "The Treaty was signed" (differs only in upper/lower case); '
                            "copy the words exactly as the source has them")


def test_visible_names_invisible_and_combining_code_points():
    assert visible("configu\u00adration") == "configu⟨U+00AD⟩ration"
    assert visible(unicodedata.normalize("NFD", "ś")) == "s⟨U+0301⟩"
    assert visible("a b\n") == "a b\n"
    assert visible("มี नमस्ते") == "มี नमस्ते"  # marks that belong to their letter as written stay
    assert visible(" \u0301x") == " ⟨U+0301⟩x"  # a mark with no letter does not


def test_a_long_misquote_gets_a_short_hint_quickly():
    paragraph = " ".join(f"word{n % 97}x{n}" for n in range(2000)) + "\n"
    quote = paragraph[:5000].rsplit(" ", 1)[0].replace("word5x5 ", "zebra ")
    message = find(paragraph, quote)
    assert message.startswith('quote not found in seeds/s.txt: "') and "closest passage (line 1): \"word0x0 word1x1" in message
    assert len(message) < len(quote) + 600


# -- 8, 9. one line numbering; the byte-order mark -----------------------------------------------
def test_lines_are_counted_as_editors_count_them():
    text = "one\r\ntwo\rthree\fpage two\u2028same line\x85still\nfour\n"
    paragraphs = split_paragraphs(text, "lines")
    assert [(text[p.start:p.end], p.line) for p in paragraphs] == [
        ("one", 1), ("two", 2), ("three", 3), ("page two\u2028same line\x85still", 3), ("four", 4)]


def test_the_ambiguity_error_uses_the_same_line_numbers():
    cr_only = "Same words here.\rOther.\rSame words here.\r"
    assert find(cr_only, "Same words here").startswith('the quote "Same words here" occurs 2 times in seeds/s.txt (lines 1, 3);')
    with_form_feed = "Same words here.\fSame words here.\nSame words here.\n"
    assert find(with_form_feed, "Same words here").startswith('the quote "Same words here" occurs 3 times in seeds/s.txt (lines 1, 1, 2);')


def test_a_form_feed_ends_a_paragraph_in_wrapped_text():
    text = "It rejected the first proposal as too\ncostly.\fPage 2\n\nThe second.\n"
    paragraphs = split_paragraphs(text, "blank-lines")
    assert [(text[p.start:p.end], p.line) for p in paragraphs] == [
        ("It rejected the first proposal as too\ncostly.", 1), ("Page 2", 2), ("The second.", 4)]
    assert "runs across a paragraph break" in find(text, "costly. Page 2", "blank-lines")


def test_a_byte_order_mark_belongs_to_no_paragraph(tmp_path: Path):
    (tmp_path / "s.txt").write_text("\ufeffNEWSLETTER\nBody text.\n", encoding="utf-8")
    problems = Problems()
    config = SourceConfig(id="s", file="s.txt", title="S", author=None, publisher=None, date=None, url=None, kind=None,
                          perspective=None, furniture=(Furniture("NEWSLETTER", None, Location("site.yaml", 9)),),
                          paragraphs="lines", location=Location("site.yaml", 1))
    with_bom = load_source(tmp_path / "s.txt", config, problems)
    assert problems.items == []
    first = with_bom.paragraphs[0]
    assert with_bom.text[first.start:first.end] == "NEWSLETTER" and first.furniture and first.line == 1
    without = split_paragraphs("NEWSLETTER\nBody text.\n", "lines")
    assert [p.anchor for p in with_bom.paragraphs] == [p.anchor for p in without]


# -- 4. claims by sentence in any script ----------------------------------------------------------
def claims(body: str) -> list[str]:
    page = parse_page("---\ntitle: T\n---\n" + body, "x", "content/x.md", make_markdown(False), Problems())
    return [use.claim for use in page.citations]


def test_claims_are_sentences_in_any_script():
    assert claims('Бюджет утверждён [@a "x"]. Критики возразили [@a "y"].\n') == ["Бюджет утверждён.", "Критики возразили."]
    assert claims('Pierwsze zdanie [@a "x"]. Żółw szedł [@a "y"].\n') == ["Pierwsze zdanie.", "Żółw szedł."]
    assert claims('First one [@a "x"]. École fermée [@a "y"].\n') == ["First one.", "École fermée."]
    assert claims('予算が成立した[@a "x"]。批判が出た[@a "y"]！次だ。\n') == ["予算が成立した。", "批判が出た！"]
    assert claims('هل هذا صحيح؟ [@a "x"] نعم [@a "y"].\n') == ["هل هذا صحيح؟", "نعم."]
    assert claims('पहला वाक्य [@a "x"]। दूसरा वाक्य [@a "y"]।\n') == ["पहला वाक्य।", "दूसरा वाक्य।"]


def test_abbreviations_do_not_end_a_claim():
    assert claims('The visit on Sept. 13, 2023 was reported [@a "x"].\n') == ["The visit on Sept. 13, 2023 was reported."]


def test_a_very_long_sentence_gives_each_citation_the_words_before_it():
    body = "Start " + " ".join(f"item{n} [@a \"q{n}\"]" for n in range(300)) + ".\n"
    found = claims(body)
    assert len(found) == 300
    assert all(len(claim) <= 401 for claim in found)
    assert found[0] == "Start item0"
    assert found[299].startswith("…") and found[299].endswith("item299")


# -- properties -----------------------------------------------------------------------------------
ALPHABET = st.sampled_from(list("ab Zé5,.'’“”—-\n\r\t\f\u00a0") + ["s\u0301", "\u00ad", "\u200b", "\u2060", "\ufeff", "\u200d",
                                                                 "😀", "𝒜", "ש", "ب", "日本", "カタ", "ไทย", "\u3000", "。"])
TEXTS = st.lists(ALPHABET, min_size=1, max_size=50).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_folding_maps_every_folded_code_point_back_into_the_original(text):
    folded = Folded.of(text)
    assert folded.text == fold(text)
    assert unicodedata.is_normalized("NFC", folded.text)
    starts = [folded.span(i, i + 1)[0] for i in range(len(folded.text))]
    assert starts == sorted(starts)
    for i, char in enumerate(folded.text):
        start, end = folded.span(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert char == " " or char in fold(text[start:end])
    if folded.text:
        start, end = folded.span(0, len(folded.text))
        assert fold(text[start:end]) == folded.text
        assert fold(text[:start]) == "" and fold(text[end:]) == ""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.data())
def test_any_whole_word_span_is_found_in_any_normal_form_and_without_ignorables(text, data):
    s = source(text, "blank-lines")
    haystack = s.index.text
    bounds = [i for i in range(len(haystack) + 1) if is_word_boundary(haystack, i)]
    if len(bounds) < 2:
        return
    start = data.draw(st.sampled_from(bounds[:-1]))
    end = data.draw(st.sampled_from([b for b in bounds if b > start]))
    needle = haystack[start:end]
    if not needle.strip() or needle != needle.strip():
        return
    original_start, original_end = s.index.span(start, end)
    paragraph = s.paragraph_at(original_start)
    if paragraph is None or original_end > paragraph.end:
        return
    occurrences = [at for at in range(len(haystack)) if haystack.startswith(needle, at)
                   and is_word_boundary(haystack, at) and is_word_boundary(haystack, at + len(needle))]
    n = occurrences.index(start) + 1
    for typed in (needle, unicodedata.normalize("NFD", needle), unicodedata.normalize("NFC", text[original_start:original_end]),
                  text[original_start:original_end]):
        match = find_quote(s, CitationRef("s", typed, Location("c", 1), n))
        assert isinstance(match, Match), (typed, match)
        assert (match.start, match.end) == (original_start, original_end)
        assert fold(text[match.start:match.end]) == needle


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["alpha", "beta", "8", "5", ".", ",", " ", "日本", "語"]), min_size=2, max_size=20).map("".join), st.data())
def test_a_span_starting_or_ending_inside_a_word_is_rejected(text, data):
    s = source(text + "\n")
    haystack = s.index.text
    inside = [i for i in range(1, len(haystack)) if not is_word_boundary(haystack, i)]
    if not inside:
        return
    cut = data.draw(st.sampled_from(inside))
    for start, end in ((cut, len(haystack)), (0, cut)):
        needle = haystack[start:end].strip()
        if not needle or (start == cut and haystack[cut:].strip() != haystack[cut:]) or (end == cut and haystack[:cut].strip() != haystack[:cut]):
            continue
        result = find(text + "\n", needle)
        if isinstance(result, Match):  # only where the same words occur elsewhere as whole words
            assert is_word_boundary(s.index.text, s.index.text.find(needle)) or len(s.index.find_all(needle)) > 1


# -- the multilingual fixture, end to end ---------------------------------------------------------
def test_the_multilingual_fixture_builds_and_every_offset_is_the_file_text(tmp_path: Path):
    site = make_site(tmp_path, "multilingual")
    build(load_config(site / "site.yaml"))
    citations = json.loads((site / "output" / "citations.json").read_text(encoding="utf-8"))["citations"]
    assert len(citations) == 20
    for citation in citations:
        with open(site / "seeds" / citation["source"], encoding="utf-8", newline="") as file:
            text = file.read()
        assert text[citation["start"]:citation["end"]] == citation["quote"]
    claims = [c["claim"] for c in citations]
    assert "Критики возразили." in claims and "補助金が批判された！" in claims and "هل تكفي الأموال؟" in claims
    html = (site / "output" / "sources" / "bom.html").read_text(encoding="utf-8")
    assert "\ufeff" not in html
    ff = (site / "output" / "sources" / "ff.html").read_text(encoding="utf-8")
    assert 'data-line="7"' in ff and "The second proposal was adopted" in ff


def test_sources_in_other_languages_carry_lang_and_dir(tmp_path: Path):
    site = make_site(tmp_path, "multilingual")
    build(load_config(site / "site.yaml"))
    out = site / "output"
    arabic = (out / "sources" / "ar.html").read_text(encoding="utf-8")
    assert '<div class="source-text" lang="ar" dir="rtl">' in arabic and '<h1 lang="ar" dir="rtl">' in arabic
    japanese = (out / "sources" / "ja.html").read_text(encoding="utf-8")
    assert '<div class="source-text" lang="ja" dir="ltr">' in japanese
    page = (out / "quotes.html").read_text(encoding="utf-8")
    assert page.startswith('<!doctype html>\n<html lang="en">')
    assert page.count('<q lang="ar" dir="rtl">') == 6  # three pop-ups and three source notes
    assert page.count('<q lang="ru" dir="ltr">') == 12
    # a source without a language keeps the site's, and each paragraph finds its own direction
    plain = (out / "sources" / "crlf.html").read_text(encoding="utf-8")
    assert '<div class="source-text">' in plain and 'dir="auto"' in plain
    listing = (out / "sources" / "index.html").read_text(encoding="utf-8")
    assert 'href="ar.html" lang="ar" dir="rtl">الميزانية الجديدة</a>' in listing


def test_a_right_to_left_site_language_sets_the_page_direction(tmp_path: Path):
    site = make_site(tmp_path, "multilingual")
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: en\n", "language: fa\n", 1), encoding="utf-8")
    build(load_config(config))
    assert (site / "output" / "index.html").read_text(encoding="utf-8").startswith('<!doctype html>\n<html lang="fa" dir="rtl">')


def test_a_bracketed_title_is_in_the_site_language_and_controls_are_shown(tmp_path: Path):
    site = make_site(tmp_path, "multilingual")
    config = site / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('title: "الميزانية الجديدة"', 'title: "[Untitled statement by the council]"'),
                      encoding="utf-8")
    seed = site / "seeds" / "ar.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "سطر\x0bفيه\x85تحكم\n", encoding="utf-8")
    build(load_config(config))
    html = (site / "output" / "sources" / "ar.html").read_text(encoding="utf-8")
    assert "<h1>[Untitled statement by the council]</h1>" in html
    assert '<div class="source-text" lang="ar" dir="rtl">' in html
    assert "سطر␋فيه\ufffdتحكم" in html and "\x0b" not in html and "\x85" not in html


def test_the_quick_path_of_folding_covers_only_code_points_the_full_folding_leaves_alone():
    import regex

    from briefing import text as folding
    slow = regex.compile(r"\p{Default_Ignorable_Code_Point}|\p{Han}|\p{Hiragana}|\p{Katakana}|\p{Thai}|\p{Lao}|\p{Khmer}"
                         r"|\p{Myanmar}|\p{Tibetan}|\p{Yi}|[\ufb00-\ufdff\ufe70-\ufefe]", regex.V1)
    common = [chr(c) for c in range(0x110000) if folding._ONLY_COMMON.fullmatch(chr(c)) and not 0xD800 <= c <= 0xDFFF]
    assert len(common) > 1000
    assert [c for c in common if slow.match(c) or folding._NO_SPACE_CHAR.match(c)] == []
