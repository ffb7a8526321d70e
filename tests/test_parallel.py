"""Parsing and rendering across processes give the same bytes as in one, and the same problems."""
import pytest

from briefing import content, render
from briefing.config import load_config
from briefing.errors import BuildError
from briefing.pipeline import build


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(render, "PARALLEL_MINIMUM", 2)
    monkeypatch.setattr(content, "PARALLEL_PAGES", 2)


def test_two_processes_make_the_same_files_as_one(mini, tmp_path, parallel):
    one = build(load_config(mini / "site.yaml", output_dir=tmp_path / "one"), jobs=1)
    two = build(load_config(mini / "site.yaml", output_dir=tmp_path / "two"), jobs=2)
    assert two.files == one.files and len(two.rendering.rendered) == len(two.files)


def test_a_template_error_in_a_worker_is_reported_with_its_line(mini, parallel):
    (mini / "templates" / "page.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{{ page.nope.deeper }}\n{% endblock %}\n")
    with pytest.raises(BuildError) as info:
        build(load_config(mini / "site.yaml"), jobs=2)
    assert str(info.value.problems[0]).startswith("templates/page.html:3: ")


def problems_with_one_and_two_jobs(site, tmp_path) -> list[list[str]]:
    """The problems a failing build reports in one process, and across two."""
    reports = []
    for jobs in (1, 2):
        with pytest.raises(BuildError) as info:
            build(load_config(site / "site.yaml", output_dir=tmp_path / f"out{jobs}"), jobs=jobs)
        reports.append([str(problem) for problem in info.value.problems])
    return reports


def test_problems_found_by_parsing_workers_come_back_in_file_order(mini, tmp_path, parallel):
    """Errors and warnings of pages parsed in workers are reported as a one-process build reports them."""
    (mini / "content" / "alpha.md").write_text("---\ntitle: A\ncolour: red\n---\nText [@wire \"unclosed].\n", encoding="utf-8")
    (mini / "content" / "beta.md").write_text("---\ntitle: B\n---\nSee [x](nowhere.md).\n", encoding="utf-8")
    reports = problems_with_one_and_two_jobs(mini, tmp_path)
    assert reports[0] == reports[1]
    assert [line.split(": ", 1)[0] for line in reports[0]][:3] == ["content/alpha.md:3", "content/alpha.md:5", "content/beta.md:4"]


def test_a_misquote_on_a_page_parsed_in_a_worker_gives_the_same_error(mini, tmp_path, parallel):
    """Quotes found in a worker are only a head start: one not found is reported by the parent as always."""
    (mini / "content" / "beta.md").write_text(
        '---\ntitle: Beta\n---\nThe essay calls the pact fragile [@essay "argues the pact is doomed"].\n', encoding="utf-8")
    reports = problems_with_one_and_two_jobs(mini, tmp_path)
    assert reports[0] == reports[1]
    assert reports[0][0].startswith("content/beta.md:4: ") and "argues the pact is doomed" in reports[0][0]


def test_parts_made_in_workers_come_back_and_a_claim_edit_makes_only_its_page_parts(mini, tmp_path, parallel, monkeypatch):
    """The per-page parts of the whole-site outputs, made in forked workers, reach the build's memo;
    the next build after a claim edit makes again only the edited page's parts and its page of the
    Corroboration page (one page of the briefing to each here), and equals a cold build."""
    settings = mini / "site.yaml"
    settings.write_text("paginate: 1\n" + settings.read_text(encoding="utf-8"), encoding="utf-8")
    first = build(load_config(mini / "site.yaml"), jobs=2)
    names = set(first.site.skeleton.order)
    beta_page = render.corroboration_url(first.site.skeleton.order.index("content/beta.md") + 1)
    assert beta_page != "corroboration.html"
    for table in ("judgment support", "citation lines"):
        assert {key[0] for key in first.memo.table(table).old} == names, table
    made = []
    for name in ("_citation_lines", "annotation_lines"):
        monkeypatch.setattr(render, name, lambda *args, _made=getattr(render, name), _name=name: made.append((_name, args[0].page.path)) or _made(*args))
    macro = render.Renderer.macro
    monkeypatch.setattr(render.Renderer, "macro", lambda self, name, matrix, *more, **optional: made.append((name, matrix.title))
                        or macro(self, name, matrix, *more, **optional))
    beta = mini / "content" / "beta.md"
    beta.write_text(beta.read_text(encoding="utf-8").replace("The essay calls the pact fragile", "The essay finds the pact fragile"), encoding="utf-8")
    second = build(load_config(mini / "site.yaml"), memo=first.memo)  # in this process, where `made` is
    assert sorted(made) == [("_citation_lines", "content/beta.md"), ("annotation_lines", "content/beta.md"), ("claims_section", "Beta")]
    assert {path for path in second.changed if path.startswith(("corroboration", "annotations"))} == {
        beta_page, beta_page.replace("corroboration/", "annotations-").replace(".html", ".jsonld")}
    cold = build(load_config(mini / "site.yaml", output_dir=tmp_path / "cold"))
    assert second.files == cold.files
    alpha = mini / "content" / "alpha.md"  # a prose edit leaves the whole-site outputs as they are: their parts stay for later
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nOne more plain sentence.\n", encoding="utf-8")
    third = build(load_config(mini / "site.yaml"), memo=second.memo)
    assert not {path for path in third.rendering.rendered if path.startswith(("corroboration", "annotations"))}
    for table in ("judgment support", "judgments body", "citation lines"):
        assert third.memo.table(table).old == second.memo.table(table).old, table
