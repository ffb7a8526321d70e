"""The citation syntax and the quote matcher."""
import pytest

from briefing.citations import CitationRef, CitationSyntaxError, Match, find_quote, parse_citation
from briefing.config import SourceConfig
from briefing.errors import Location
from briefing.sources import Source, split_paragraphs

TEXT = ("North Korea supplied “around 5 million artillery shells” — HUR said.\n"
        "The shells arrived. The shells arrived.\n"
        "Kim Jong-un’s visit\nended.\n")


def make_source(text=TEXT) -> Source:
    config = SourceConfig(id="hur", file="hur.txt", title="HUR", author=None, publisher=None, date=None, url=None,
                          kind=None, perspective=None, furniture=(), paragraphs="lines", location=Location("site.yaml", 1))
    return Source(config, text, "0" * 64, split_paragraphs(text, "lines"))


def ref(quote, **options):
    return CitationRef("hur", quote, Location("content/x.md", 3), options.get("n"), options.get("prefix"), options.get("suffix"))


def test_parse_single_and_multiple_with_options():
    text = 'x [@hur "a \\"b\\" c" n=2; @b-2 "q" prefix="p" suffix="s"] y'
    refs, end = parse_citation(text, 2)
    assert text[end:] == " y"
    assert [(r[1], r[2], r[3]) for r in refs] == [("hur", 'a "b" c', {"n": 2}), ("b-2", "q", {"prefix": "p", "suffix": "s"})]


@pytest.mark.parametrize("text, message", [
    ('[@hur "open', 'the quote is not closed; end it with a straight `"` (write \\" for a quote mark inside it)'),
    ('[@hur ""]', "the quote for `@hur` is empty; quote the exact words the claim rests on"),
    ('[@hur "a" [@b "c"]]', "a citation cannot contain brackets; close it with `]` before starting another"),
    ('[@hur quote]', 'expected a quote in straight double quotes after `@hur`, as in [@hur "exact words"]'),
    ('[@hur "a" n=0]', "`n=` needs a whole number of 1 or more (which occurrence of the quote)"),
    ('[@hur "a"', "the citation is not closed; end it with `]`"),
    ('[@ "a"]', "expected a source id after `@`"),
])
def test_malformed_citations(text, message):
    with pytest.raises(CitationSyntaxError) as info:
        parse_citation(text, 0)
    assert info.value.message == message


def test_exact_match_with_typographic_folding():
    source = make_source()
    match = find_quote(source, ref('"around 5 million artillery shells" - HUR'))
    assert isinstance(match, Match)
    assert TEXT[match.start:match.end] == "“around 5 million artillery shells” — HUR"


def test_apostrophe_folding():
    match = find_quote(make_source(), ref("Kim Jong-un's visit"))
    assert TEXT[match.start:match.end] == "Kim Jong-un’s visit"


def test_not_found_gives_closest_passage():
    message = find_quote(make_source(), ref("around 6 million artillery shells"))
    assert message == ('quote not found in seeds/hur.txt: "around 6 million artillery shells"; closest passage (line 1): '
                       '"around 5 million artillery shells"; copy the words exactly as the source has them')


def test_ambiguous_quote_needs_disambiguation():
    message = find_quote(make_source(), ref("The shells arrived."))
    assert message == ('the quote "The shells arrived." occurs 2 times in seeds/hur.txt (lines 2, 2); quote more words, or add n=2 (which occurrence), '
                       'prefix="..." or suffix="..."')


def test_occurrence_prefix_and_suffix_disambiguate():
    source = make_source()
    second = find_quote(source, ref("The shells arrived.", n=2))
    first = find_quote(source, ref("The shells arrived.", suffix="The shells"))
    after = find_quote(source, ref("The shells arrived.", prefix="arrived."))
    assert first.start < second.start == after.start
    assert find_quote(source, ref("The shells arrived.", n=3)) == 'n=3, but the quote "The shells arrived." occurs only 2 time(s) in hur'


def test_quote_across_paragraphs_is_refused():
    assert find_quote(make_source(), ref("visit ended.")) == (
        "the quote runs across a paragraph break in the source; cite each paragraph's words separately")
