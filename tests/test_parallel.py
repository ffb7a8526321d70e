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
