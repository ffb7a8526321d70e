"""Tradecraft: source grades, citation credibility, independent groups, key judgments, the
Corroboration page, and the exports (Web Annotations, CSL-JSON), rule by rule and message by message."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.errors import BuildError, Location, Problems
from briefing.grading import check_independence, groups, source_summary
from briefing.inputs import read_inputs
from briefing.memo import Memo
from briefing.pipeline import build
from briefing.sources import load_sources
from tests.conftest import ROOT
from tests.sitecheck import tree

SCHEMAS = ROOT.parent / "shared" / "schemas"  # ../shared/schemas: the published schema and context, for tests without network


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(site: Path, strict: bool = False) -> list[str]:
    try:
        result = build(load_config(site / "site.yaml"), strict=strict, write=False)
    except BuildError as exc:
        return [str(p) for p in exc.problems]
    return [str(w) for w in result.warnings]


@pytest.fixture
def graded(mini: Path) -> Path:
    """The mini site with grades, a credibility and a judgment."""
    edit(mini / "site.yaml", '    furniture: ["Photo: caption text"]\n',
         '    furniture: ["Photo: caption text"]\n    reliability: B\n    reliability_note: "Names its author and date."\n')
    edit(mini / "site.yaml", "    kind: commentary\n", "    kind: commentary\n    reliability: F\n")
    edit(mini / "content" / "alpha.md", "It was called\na record", "[judgment: likely, moderate confidence] It was called\na record")
    edit(mini / "content" / "alpha.md", '@essay "the pact is fragile" n=2', '@essay "the pact is fragile" n=2 cred=3')
    return mini


# -- site.yaml -----------------------------------------------------------------------------------
def test_grades_and_group_are_read(graded):
    config = load_config(graded / "site.yaml")
    wire, essay = config.sources
    assert (wire.reliability, wire.reliability_note, wire.group) == ("B", "Names its author and date.", None)
    assert (essay.reliability, essay.group) == ("F", None)


@pytest.mark.parametrize("value, message", [
    ("reliability: G", "site.yaml:15: `reliability` must be one letter of the Admiralty scale, A to F (A Completely reliable, "
                       "B Usually reliable, C Fairly reliable, D Not usually reliable, E Unreliable, F Reliability cannot be judged), got 'G'"),
    ("reliability: b", "site.yaml:15: `reliability` must be one letter of the Admiralty scale, A to F (A Completely reliable, "
                       "B Usually reliable, C Fairly reliable, D Not usually reliable, E Unreliable, F Reliability cannot be judged), got 'b'"),
    ("reliability_note: Why", "site.yaml:15: `reliability_note` explains a grade, but this source has no `reliability`; "
                              "add one (A to F) or remove the note"),
    ("group: Two Words", "site.yaml:15: `group` 'Two Words' must be lower-case letters, digits, - or _; "
                         "give every source of one line of reporting the same name"),
])
def test_bad_grades_are_located_errors(mini, value, message):
    edit(mini / "site.yaml", '    furniture: ["Photo: caption text"]\n', f'    furniture: ["Photo: caption text"]\n    {value}\n')
    assert problems_of(mini) == [message]


def test_groups_follow_site_yaml_and_a_group_may_name_a_source(mini):
    edit(mini / "site.yaml", "    kind: commentary\n", "    kind: commentary\n    group: wire\n")
    config = load_config(mini / "site.yaml")
    assert [(g.key, g.number, [s.id for s in g.sources]) for g in groups(config)] == [("wire", 1, ["wire", "essay"])]


# -- citations -----------------------------------------------------------------------------------
def test_credibility_is_read_from_the_citation(graded):
    result = build(load_config(graded / "site.yaml"), write=False)
    alpha = next(p for p in result.site.pages if p.page.slug == "alpha")
    assert [u.ref.credibility for u in alpha.page.citations][:3] == [None, None, 3]


@pytest.mark.parametrize("option", ["cred=7", "cred=0", "cred=x"])
def test_bad_credibility_is_a_located_error(mini, option):
    edit(mini / "content" / "beta.md", 'prefix="The essay"]', f'prefix="The essay" {option}]')
    assert problems_of(mini) == [
        "content/beta.md:4: `cred=` needs the information's credibility on the Admiralty scale, 1 to 6 (1 confirmed by other "
        "sources, 2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 truth cannot be judged)"]


def test_credibility_given_twice_is_an_error(mini):
    edit(mini / "content" / "beta.md", 'prefix="The essay"]', 'prefix="The essay" cred=2 cred=3]')
    assert problems_of(mini) == ["content/beta.md:4: option `cred=` is given twice"]


# -- judgments -----------------------------------------------------------------------------------
def test_a_judgment_takes_its_sentence_and_the_citations_after_it(graded):
    result = build(load_config(graded / "site.yaml"), write=False)
    alpha = next(p for p in result.site.pages if p.page.slug == "alpha").page
    (judgment,) = alpha.judgments
    assert (judgment.likelihood, judgment.term, judgment.confidence, judgment.range) == ("likely", "likely", "moderate", "55–80%")
    assert judgment.statement == "It was called a record."
    assert (judgment.first, judgment.count, judgment.location) == (1, 2, Location("content/alpha.md", 9))
    assert '<span class="judgment-label"><span class="judgment-kind">Judgment:</span> <span title="ICD 203: likely, 55–80%">likely</span> · moderate confidence</span> It was called' in alpha.html


def test_alternative_terms_are_on_the_scale(mini):
    edit(mini / "content" / "beta.md", "The essay calls", "[judgment: highly probable, low confidence] The essay calls")
    result = build(load_config(mini / "site.yaml"), write=False)
    (judgment,) = next(p for p in result.site.pages if p.page.slug == "beta").page.judgments
    assert judgment.term == "very likely" and judgment.strong


@pytest.mark.parametrize("marker, message", [
    ("[judgment: probably true, low confidence]",
     "content/beta.md:4: warning: “probably true” is not a likelihood term of the ICD 203 scale; use one of almost no chance, "
     "very unlikely, unlikely, roughly even chance, likely, very likely, almost certain (or their alternatives: remote, "
     "highly improbable, improbable, roughly even odds, probable, highly probable, nearly certain)"),
    ("[judgment: likely]",
     "content/beta.md:4: the judgment gives no confidence level; add low, moderate or high confidence, as in "
     "[judgment: likely, moderate confidence]"),
    ("[judgment: likely, medium confidence]",
     "content/beta.md:4: “medium confidence” is not a confidence level; write low confidence, moderate confidence or high confidence"),
    ("[judgment: , low confidence]",
     "content/beta.md:4: the judgment gives no likelihood; write it as [judgment: likely, moderate confidence]"),
])
def test_bad_judgment_markers(mini, marker, message):
    edit(mini / "content" / "beta.md", "The essay calls", f"{marker} The essay calls")
    assert problems_of(mini) == [message]


def test_a_likelihood_off_the_scale_fails_a_strict_build(mini):
    edit(mini / "content" / "beta.md", "The essay calls", "[judgment: probably true, low confidence] The essay calls")
    assert len(problems_of(mini, strict=True)) == 1
    with pytest.raises(BuildError):
        build(load_config(mini / "site.yaml"), strict=True, write=False)


def test_a_strong_judgment_on_one_group_warns(mini):
    edit(mini / "content" / "beta.md", "The essay calls", "[judgment: very likely, moderate confidence] The essay calls")
    assert problems_of(mini) == [
        "content/beta.md:4: warning: the judgment “very likely” rests on one independent group of sources (essay); a judgment "
        "this strong needs two or more independent groups: cite an independent source, or use a weaker likelihood term"]


def test_a_strong_judgment_without_citations_warns(mini):
    (mini / "content" / "beta.md").write_text("---\ntitle: Beta\n---\n[judgment: almost certain, high confidence] It holds.\n")
    assert problems_of(mini) == [
        "content/beta.md:4: warning: the judgment “almost certain” cites no source; a judgment this strong needs two or more "
        "independent groups: cite an independent source, or use a weaker likelihood term"]


def test_a_strong_judgment_on_two_groups_passes_until_they_are_grouped(graded):
    alpha = graded / "content" / "alpha.md"
    edit(alpha, "[judgment: likely, moderate confidence]", "[judgment: almost certain, moderate confidence]")
    assert problems_of(graded, strict=True) == []
    edit(graded / "site.yaml", "    kind: commentary\n", "    kind: commentary\n    group: wire\n")
    assert problems_of(graded) == [
        "content/alpha.md:9: warning: the judgment “almost certain” rests on one independent group of sources (wire); a judgment "
        "this strong needs two or more independent groups: cite an independent source, or use a weaker likelihood term"]


def test_very_unlikely_is_not_checked(mini):
    edit(mini / "content" / "beta.md", "The essay calls", "[judgment: very unlikely, low confidence] The essay calls")
    assert problems_of(mini, strict=True) == []


# -- independence --------------------------------------------------------------------------------
def loaded(config):
    memo = Memo()
    return load_sources(config, read_inputs(config, memo), memo, Problems())


def test_the_two_commentaries_of_the_default_briefing_are_detected_until_grouped(tmp_path):
    config = load_config(ROOT / "site.yaml")
    ungrouped = config.__class__(**{**config.__dict__, "sources": tuple(s.__class__(**{**s.__dict__, "group": None}) for s in config.sources)})
    problems = Problems()
    check_independence(ungrouped, loaded(ungrouped), problems, Memo())
    assert [str(p) for p in problems.items] == [
        "site.yaml:58: warning: sources `newlevel` and `fragile` share 31 runs of 5 words (the longest: “to support Russia’s "
        "invasion. This move is”) but are not in one group; if one draws on the other, or both on a common text, give both "
        "the same `group:` in site.yaml"]
    grouped = Problems()
    check_independence(config, loaded(config), grouped, Memo())
    assert grouped.items == []


def test_copied_text_warns_at_the_later_source(mini):
    shared = " ".join(f"word{i}" for i in range(40))
    edit(mini / "seeds" / "wire.txt", "Officials said", shared + "\nOfficials said")
    (mini / "seeds" / "essay.txt").write_text((mini / "seeds" / "essay.txt").read_text() + "\n" + shared + "\n")
    assert problems_of(mini) == [
        "site.yaml:15: warning: sources `wire` and `essay` share 36 runs of 5 words (the longest: “" + shared + "”) but are "
        "not in one group; if one draws on the other, or both on a common text, give both the same `group:` in site.yaml"]


# -- the default briefing ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tradecraft") / "site"
    build(load_config(ROOT / "site.yaml", output_dir=out), strict=True)
    return out


def test_default_briefing_builds_strict_and_grades_every_source():
    config = load_config(ROOT / "site.yaml")
    assert all(s.reliability and s.reliability_note for s in config.sources)
    assert [g.key for g in groups(config) if len(g.sources) > 1] == ["commentaries"]
    assert build(load_config(ROOT / "site.yaml"), strict=True, write=False).warnings == ()


def test_default_briefing_marks_its_judgments(default_site):
    html = (default_site / "corroboration.html").read_text(encoding="utf-8")
    assert html.count('<tr class="judgment') == 25
    for slug in ("index", "treaty", "munitions", "troops", "technology", "fragility"):
        assert f'href="{slug}.html">' in html
    assert "Draws on 5 documents from 4 independent groups. Source reliability: 3 C (fairly reliable), 2 F (reliability cannot be judged)." in html
    page = (default_site / "troops.html").read_text(encoding="utf-8")
    assert '<h2 id="sourcing-heading">Sourcing</h2>' in page and 'href="corroboration.html#page-troops"' in page


def test_annotations_quote_the_files_exactly(default_site):
    collection = json.loads((default_site / "annotations.jsonld").read_text(encoding="utf-8"))
    citations = json.loads((default_site / "citations.json").read_text(encoding="utf-8"))["citations"]
    items = collection["first"]["items"]
    assert collection["type"] == "AnnotationCollection" and collection["total"] == len(items) == len(citations)
    for item, citation in zip(items, citations):
        target = item["target"]
        name = target["source"].removeprefix("sources/files/")
        with open(ROOT / "seeds" / name, encoding="utf-8", newline="") as f:
            text = f.read()
        quote, position = target["selector"]
        assert text[position["start"] : position["end"]] == quote["exact"] == citation["quote"]
        assert text[: position["start"]].endswith(quote["prefix"]) and text[position["end"] :].startswith(quote["suffix"])
        claim = item["body"] if isinstance(item["body"], dict) else item["body"][0]
        assert claim["value"] == citation["claim"] and claim["id"].split("#")[0] == citation["page"]
        assert (default_site / target["source"]).read_bytes() == (ROOT / "seeds" / name).read_bytes()


def test_annotations_expand_as_json_ld_without_network(default_site):
    from pyld import jsonld
    context = json.loads((SCHEMAS / "anno.jsonld").read_text(encoding="utf-8"))

    def loader(url, options=None):
        assert url == "http://www.w3.org/ns/anno.jsonld", url  # nothing else is fetched
        return {"contextUrl": None, "documentUrl": url, "document": context}

    collection = json.loads((default_site / "annotations.jsonld").read_text(encoding="utf-8"))
    expanded = jsonld.expand(collection, {"documentLoader": loader, "base": "https://example.org/briefing/"})
    oa = "http://www.w3.org/ns/oa#"
    graph = expanded[0]
    assert graph["@type"] == ["http://www.w3.org/ns/activitystreams#OrderedCollection"]
    first = graph["http://www.w3.org/ns/activitystreams#first"][0]
    items = first["http://www.w3.org/ns/activitystreams#items"][0]["@list"]
    assert len(items) == collection["total"]
    selectors = items[0][oa + "hasTarget"][0][oa + "hasSelector"]
    kinds = {s["@type"][0] for s in selectors}
    assert kinds == {oa + "TextQuoteSelector", oa + "TextPositionSelector"}
    position = next(s for s in selectors if s["@type"] == [oa + "TextPositionSelector"])
    assert position[oa + "start"][0]["@value"] == collection["first"]["items"][0]["target"]["selector"][1]["start"]


def test_csl_json_validates_and_states_only_site_yaml(default_site):
    import jsonschema
    items = json.loads((default_site / "sources.csl.json").read_text(encoding="utf-8"))
    jsonschema.validate(items, json.loads((SCHEMAS / "csl-data.json").read_text(encoding="utf-8")))
    by_id = {item["id"]: item for item in items}
    assert by_id["liaisons"]["author"] == [{"literal": "Nishat Manzar"}]
    assert by_id["liaisons"]["issued"] == {"date-parts": [[2023, 9, 16]]}
    assert by_id["globalsecurity"]["publisher"] == "GlobalSecurity.org" and "author" not in by_id["globalsecurity"]
    assert by_id["hur"]["type"] == "article-newspaper" and "issued" not in by_id["hur"] and "URL" not in by_id["hur"]
    assert by_id["fragile"]["note"].startswith("Source reliability (Admiralty scale): C, fairly reliable. Names its author")
    assert by_id["fragile"]["note"].endswith("Not independent: one line of reporting with the other sources of group `commentaries`")


def test_footer_links_the_exports(default_site):
    page = (default_site / "treaty.html").read_text(encoding="utf-8")
    assert '<a href="annotations.jsonld">W3C Web Annotations</a>' in page and '<a href="sources.csl.json">CSL-JSON</a>' in page


def test_source_summary_counts_documents_groups_and_lone_statements(graded):
    result = build(load_config(graded / "site.yaml"), write=False)
    alpha = next(p for p in result.site.pages if p.page.slug == "alpha")
    assert source_summary(result.site.config, alpha.citations) == (
        "Draws on 2 documents from 2 independent groups. Source reliability: 1 B (usually reliable), 1 F (reliability "
        "cannot be judged). Statements resting on one group alone: 5 of 6.")
    assert source_summary(result.site.config, ()) == "This page cites no documents."


def test_tooltips_give_the_grades_in_words(graded):
    result = build(load_config(graded / "site.yaml"), write=False)
    html = result.files["alpha.html"].decode()
    assert ('<span class="cite-grade">Source reliability F (reliability cannot be judged); information credibility 3 '
            '(possibly true)</span>') in html
    assert '<span class="cite-grade">Source reliability B (usually reliable)</span>' in html


# -- incremental builds --------------------------------------------------------------------------
@pytest.mark.parametrize("change", ["grade", "credibility", "judgment", "group"])
def test_incremental_builds_after_a_tradecraft_edit_equal_a_cold_build(graded, tmp_path, change):
    first = build(load_config(graded / "site.yaml"))
    subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(graded / "site.yaml"), "--output",
                    str(tmp_path / "cached")], check=True, capture_output=True)
    if change == "grade":
        edit(graded / "site.yaml", "reliability: B", "reliability: C")
    elif change == "credibility":
        edit(graded / "content" / "alpha.md", "cred=3", "cred=2")
    elif change == "judgment":
        edit(graded / "content" / "alpha.md", "[judgment: likely, moderate", "[judgment: unlikely, low")
    else:
        edit(graded / "site.yaml", "    kind: commentary\n", "    kind: commentary\n    group: wire\n")
    result = build(load_config(graded / "site.yaml"), first.memo)  # as the preview does
    cold = build(load_config(graded / "site.yaml", output_dir=tmp_path / "cold"))
    assert result.files == cold.files and tree(graded / "output") == tree(tmp_path / "cold")
    assert {"corroboration.html", "annotations.jsonld", "alpha.html"} & set(result.rendering.rendered)
    subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(graded / "site.yaml"), "--output",
                    str(tmp_path / "cached")], check=True, capture_output=True)  # with the build cache
    assert tree(tmp_path / "cached") == tree(tmp_path / "cold")
    before = (tmp_path / "cold" / "corroboration.html").read_bytes()
    assert before == (graded / "output" / "corroboration.html").read_bytes()


def test_prose_added_above_a_judgment_renders_that_page_alone(graded, tmp_path):
    first = build(load_config(graded / "site.yaml"))
    edit(graded / "content" / "alpha.md", "## Figures\n", "## Figures\n\nA new opening paragraph.\n")
    result = build(load_config(graded / "site.yaml"), first.memo)
    assert result.rendering.rendered == {"alpha.html"}
    cold = build(load_config(graded / "site.yaml", output_dir=tmp_path / "cold"))
    assert result.files == cold.files


def test_a_corroboration_template_may_draw_its_own_matrices_from_pages(graded):
    """`corroboration.pages` (the matrices, made only when a template reads them) serves a template
    that draws the page itself instead of printing the parts _matrix.html's macros drew."""
    (graded / "templates" / "corroboration.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}\n<ul>{% for matrix in corroboration.pages %}"
        "<li>{{ matrix.title }}: {{ matrix.judgments | length }} / {{ matrix.claims | length }}</li>{% endfor %}</ul>\n{% endblock %}\n",
        encoding="utf-8")
    html = build(load_config(graded / "site.yaml")).files["corroboration.html"].decode("utf-8")
    assert "<ul><li>Overview: 0 / 1</li><li>Alpha: 1 / 5</li><li>Beta: 0 / 1</li></ul>" in html


def test_the_table_of_judgments_says_when_no_page_marks_one(mini, graded):
    html = build(load_config(graded / "site.yaml")).files["corroboration.html"].decode("utf-8")
    assert "No page marks a judgment yet." not in html and '<tr class="page-row">' in html
    edit(graded / "content" / "alpha.md", "[judgment: likely, moderate confidence] ", "")
    html = build(load_config(graded / "site.yaml")).files["corroboration.html"].decode("utf-8")
    assert "No page marks a judgment yet." in html and '<tr class="page-row">' not in html


OLD_JUDGMENTS = '''      {% for matrix in corroboration.pages %}
      {% set judgments = matrix.judgments %}
      {% if judgments %}
      <tbody>
        <tr class="page-row"><th scope="rowgroup" colspan="{{ groups | length + 2 }}"><a href="{{ matrix.href }}">{{ matrix.title }}</a></th></tr>
        {% for row in judgments %}{{ matrix_row(row, groups) }}{% endfor %}
      </tbody>
      {% endif %}
      {% endfor %}
'''
OLD_SECTIONS = '''  {% for matrix in corroboration.pages %}
  <section aria-labelledby="{{ matrix.anchor }}" class="matrix-section">
    <h3 id="{{ matrix.anchor }}"><a href="{{ matrix.href }}">{{ matrix.title }}</a></h3>
    <p class="sourcing">{{ matrix.summary }}</p>
    {% if matrix.rows %}
    {% set judgments = matrix.judgments %}
    {% set claims = matrix.claims %}
    {% if judgments %}<p class="sourcing">{{ judgments | length }} judgment{{ "" if judgments | length == 1 else "s" }}: see <a href="#judgments-heading">Judgments</a> above.</p>{% endif %}
    {% if claims %}
    <details open>
      <summary>{{ claims | length }} claim{{ "" if claims | length == 1 else "s" }}, {{ matrix.thin_claims }} resting on one group</summary>
      {{ matrix_table(claims, "Claims on “" ~ matrix.title ~ "”", matrix.groups) }}
    </details>
    {% endif %}
    {% endif %}
  </section>
  {% endfor %}
'''


def test_templates_drawing_the_corroboration_page_from_pages_need_no_part_macros(graded, tmp_path):
    """A corroboration.html and _matrix.html made before the page was made of parts (looping over
    `corroboration.pages`, without the part macros) still build, and draw the same page."""
    cold = build(load_config(graded / "site.yaml", output_dir=tmp_path / "parts")).files["corroboration.html"]
    templates = graded / "templates"
    matrix = (templates / "_matrix.html").read_text(encoding="utf-8")
    (templates / "_matrix.html").write_text(matrix[:matrix.index("{% macro judgments_body")], encoding="utf-8")
    page = (templates / "corroboration.html").read_text(encoding="utf-8")
    start, end = page.index("      {% if corroboration.judgments %}"), page.index("    </table>")
    page = page[:start] + OLD_JUDGMENTS + page[end:]
    page = page.replace("{{ corroboration.sections -}}\n", OLD_SECTIONS)
    page = page.replace("{% block main %}\n", '{% block main %}\n{%- from "_matrix.html" import matrix_row, matrix_table %}\n', 1)
    (templates / "corroboration.html").write_text(page, encoding="utf-8")
    assert build(load_config(graded / "site.yaml", output_dir=tmp_path / "pages")).files["corroboration.html"] == cold


def test_an_error_in_a_part_macro_names_its_own_line(graded):
    path = graded / "templates" / "_matrix.html"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(number for number, line in enumerate(lines) if '<p class="sourcing">{{ matrix.summary }}</p>' in line)
    lines[at] = lines[at].replace("{{ matrix.summary }}", "{{ matrix.summary }}{{ 1 // 0 }}")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build(load_config(graded / "site.yaml"))
    assert [str(p) for p in info.value.problems] == [
        f"templates/_matrix.html:{at + 1}: ZeroDivisionError: integer division or modulo by zero; fix the expression on this line"]
