"""Property tests: arbitrary input either works or fails with the project's own located error."""
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.citations import CitationRef, CitationSyntaxError, Match, find_quote, parse_citation
from briefing.config import SourceConfig, load_config
from briefing.content import parse_page
from briefing.markdown import make_markdown
from briefing.errors import BuildError, Location, Problems
from briefing.pipeline import build
from briefing.sources import QuoteIndex, Source, split_paragraphs
from briefing.text import fold as normalize, is_word_boundary
from tests.conftest import ROOT, FIXTURES
from tests.htmltools import parse

PIECES = ["a", "b", " ", "  ", "\t", "\n", "\n\n", '"', "\\", "[", "]", "@", "@wire", ";", "n=", "2", "prefix=", "suffix=",
          "“", "”", "’", "—", "-", "<", ">", "&", "<script>", "*", "_", "`", "```", "#", "## ", "|", "| a | b |\n|---|---|\n",
          "- ", "1. ", "[^1]", "[^1]: x", "(", ")", "](x.md)", "javascript:", "---", ":", "title: x", "\x00", "é", "😀"]
markdownish = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(st.text(max_size=60) | markdownish)
def test_citation_parser_succeeds_or_raises_its_own_error(tail):
    text = "[@" + tail
    try:
        refs, end = parse_citation(text, 0)
    except CitationSyntaxError as exc:
        assert 0 <= exc.offset <= len(text) and exc.message
    else:
        assert 0 < end <= len(text) and text[end - 1] == "]"
        assert all(quote.strip() for _, _, quote, _ in refs)


MD = make_markdown(allow_html=False)


@given(st.text(max_size=200) | markdownish.map(lambda s: "---\ntitle: T\n---\n" + s) | markdownish.map(lambda s: "---\n" + s))
def test_page_reader_succeeds_or_reports_located_problems(text):
    problems = Problems()
    page = parse_page(text, "x", "content/x.md", MD, problems)
    if page is None:
        assert problems.errors
    for problem in problems.items:
        assert problem.location.path == "content/x.md"
        assert problem.location.line is None or problem.location.line >= 1


LINE_TEXT = st.lists(st.sampled_from(["word", "x", " ", "  ", "\t", "“", "”", "‘", "’", "—", "–", "-", ",", ".", "é", "5"]),
                     min_size=1, max_size=60).map("".join)


def make_source(text: str) -> Source:
    config = SourceConfig(id="s", file="s.txt", title="S", author=None, publisher=None, date=None, url=None, kind=None,
                          perspective=None, furniture=(), paragraphs="lines", location=Location("site.yaml", 1))
    return Source(config, text, "", split_paragraphs(text, "lines"))


@given(LINE_TEXT, st.data())
def test_any_whole_word_span_is_found_at_its_offsets(text, data):
    source = make_source(text)
    haystack = source.index.text
    bounds = [i for i in range(len(haystack) + 1) if is_word_boundary(haystack, i)]
    if len(bounds) < 2:
        return
    start = data.draw(st.sampled_from(bounds[:-1]))
    end = data.draw(st.sampled_from([b for b in bounds if b > start]))
    needle = haystack[start:end]
    if needle != needle.strip() or not needle:
        return
    occurrences = [at for at in range(len(haystack)) if haystack.startswith(needle, at)
                   and is_word_boundary(haystack, at) and is_word_boundary(haystack, at + len(needle))]
    match = find_quote(source, CitationRef("s", needle, Location("content/x.md", 1), occurrences.index(start) + 1))
    assert isinstance(match, Match), match
    assert match.start == source.index.offset(start)
    assert normalize(text[match.start:match.end]) == needle
    # the typographic form the author might type matches too
    assert isinstance(find_quote(source, CitationRef("s", text[match.start:match.end], Location("c", 1), occurrences.index(start) + 1)), Match)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=markdownish)
def test_rendering_always_emits_balanced_documents(tmp_path_factory, body):
    site = tmp_path_factory.mktemp("fuzz") / "mini"
    shutil.copytree(FIXTURES / "mini", site)
    shutil.copytree(ROOT / "templates", site / "templates")
    (site / "content" / "beta.md").write_text("---\ntitle: Beta <b>&amp;</b>\nsummary: \"<script>x</script>\"\n---\n" + body, encoding="utf-8")
    try:
        result = build(load_config(site / "site.yaml"), write=False)
    except BuildError as exc:
        assert all(p.location.path for p in exc.problems)
        return
    for name, data in result.files.items():
        if name.endswith(".html"):
            doc = parse(data.decode("utf-8"))
            assert doc.errors == [], (name, doc.errors)
            # The only script is the site's own, from assets/ (citation pop-ups): never one from the page's text.
            assert all(tag != "script" or attrs.get("src", "").endswith("assets/reader.js") for tag, attrs in doc.tags), name
            assert len([tag for tag, _ in doc.tags if tag == "script"]) <= 1, name


@given(LINE_TEXT, st.data())
def test_scanning_and_the_word_index_find_the_same_places(text, data):
    """Short texts are scanned for a quote, long ones looked up by word: both give every occurrence."""
    index = QuoteIndex(text)
    words = index.text.split(" ")
    if len(words) < 3:
        return
    first = data.draw(st.integers(0, len(words) - 3))
    last = data.draw(st.integers(first + 3, len(words)))
    needle = " ".join(words[first:last])
    assert index.lookup(needle) == index.scan(needle)
    assert index.scan(needle) and all(index.text.startswith(needle, at) for at in index.scan(needle))


@given(st.text(alphabet=st.sampled_from(list("ab \t\n\u00a0\u2003“”’—x")), max_size=40))
def test_offset_map_agrees_with_a_character_by_character_reference(text):
    index = QuoteIndex(text)
    reference_chars, reference_offsets = [], []
    pending_space = None
    for position, char in enumerate(text.translate(str.maketrans("“”’—", "\"\"'-"))):
        if char.isspace():
            if reference_chars and pending_space is None:
                pending_space = position
        else:
            if pending_space is not None:
                reference_chars.append(" ")
                reference_offsets.append(pending_space)
                pending_space = None
            reference_chars.append(char)
            reference_offsets.append(position)
    assert index.text == "".join(reference_chars) == normalize(text)
    assert [index.offset(i) for i in range(len(index.text))] == reference_offsets
