"""The fixture site built end to end: golden output, atomic writes, errors through the CLI."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.cli import main
from briefing.config import load_config
from briefing.errors import BuildError
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.htmltools import parse
from tests.sitecheck import citation_problems, tree

GOLDEN = Path(__file__).resolve().parent / "golden" / "mini"


def run(site: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), *args],
                          capture_output=True, text=True, cwd=site)


def test_fixture_matches_golden_output(mini):
    build(load_config(mini / "site.yaml"))
    built, expected = tree(mini / "output"), tree(GOLDEN)
    assert sorted(built) == sorted(expected), "file list differs; if intended, run `python -m tests.regen_golden`"
    for name in expected:
        assert built[name] == expected[name], f"{name} differs from tests/golden/mini; if intended, run `python -m tests.regen_golden`"


def test_fixture_citations_resolve(mini):
    build(load_config(mini / "site.yaml"))
    assert citation_problems(mini / "output", mini / "seeds") == []


def test_every_page_is_balanced_html_with_title_and_one_h1(mini):
    build(load_config(mini / "site.yaml"))
    for page in (mini / "output").rglob("*.html"):
        doc = parse(page.read_text(encoding="utf-8"))
        assert doc.errors == [], page
        assert doc.title.strip(), page
        assert [t for t, _ in doc.tags].count("h1") == 1, page
        assert len(doc.ids) == len(set(doc.ids)), f"duplicate ids in {page}"


def test_links_are_relative_and_404_uses_base_path(mini):
    build(load_config(mini / "site.yaml"))
    out = mini / "output"
    source_page = (out / "sources/wire.html").read_text(encoding="utf-8")
    assert 'href="../assets/style.css"' in source_page and 'href="../alpha.html#cite-1"' in source_page
    not_found = (out / "404.html").read_text(encoding="utf-8")
    assert 'href="/mini/assets/style.css"' in not_found and 'href="/mini/index.html"' in not_found
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/mini/alpha.html</loc>" in sitemap


def test_cli_builds_and_reports(mini):
    result = run(mini)
    assert result.returncode == 0, result.stderr
    assert "built (20 changed): 20 files (3 pages, 2 sources, 10 citations)" in result.stdout
    again = run(mini)
    assert again.returncode == 0 and "up to date: 20 files (3 pages, 2 sources, 10 citations)" in again.stdout


def test_misquote_fails_with_location_hint_and_keeps_output(mini):
    assert run(mini).returncode == 0
    before = tree(mini / "output")
    page = mini / "content" / "beta.md"
    page.write_text(page.read_text().replace('"argues the pact is fragile"', '"argues that the pact is fragile"'))
    (mini / "content" / "alpha.md").write_text("---\ntitle: Alpha\n---\nX [@nobody \"q\"].\n")
    result = run(mini)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/alpha.md:4: unknown source `@nobody`; known ids are essay, wire (see `sources` in site.yaml)",
        'content/beta.md:4: quote not found in seeds/essay.txt: "argues that the pact is fragile"; '
        'closest passage (line 1): "argues the pact is fragile"; copy the words exactly as the source has them',
        "build failed: 2 problem(s); the previous output was left as it was",
    ]
    assert "Traceback" not in result.stderr
    assert tree(mini / "output") == before


def test_strict_turns_warnings_into_failure(mini):
    page = mini / "content" / "beta.md"
    page.write_text(page.read_text().replace("title: Beta", "title: Beta\ntags: [x]"))
    ok = run(mini)
    assert ok.returncode == 0 and "content/beta.md:3: warning: unknown front matter key `tags`" in ok.stderr
    strict = run(mini, "--strict")
    assert strict.returncode == 1 and "content/beta.md:3: warning: unknown front matter key `tags`" in strict.stderr


def test_template_syntax_error_names_template_line(mini):
    (mini / "templates" / "page.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{{ page.title \n{% endblock %}\n")
    result = run(mini)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("templates/page.html:4: template syntax error:")


def test_undefined_template_variable_names_template_line(mini):
    (mini / "templates" / "page.html").write_text("{% extends 'base.html' %}\n{% block main %}\n<h1>{{ page.titel }}</h1>\n{% endblock %}\n")
    result = run(mini)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "templates/page.html:3: 'briefing.content.Page object' has no attribute 'titel'; check the variable name (see README: templates)"


@pytest.mark.parametrize("output", [".", "content", "seeds/out", "templates", ".."])
def test_refuses_dangerous_output_dirs(mini, output):
    with pytest.raises(BuildError) as info:
        build(load_config(mini / "site.yaml", output_dir=mini / output))
    assert str(info.value.problems[0]).startswith("--output: refusing to write the site into")


def test_failed_build_leaves_no_staging_folders(mini):
    assert run(mini).returncode == 0
    (mini / "content" / "beta.md").write_text("broken")
    assert run(mini).returncode == 1
    assert sorted(p.name for p in mini.iterdir() if p.name.startswith(".output")) == []


def test_help_lists_options():
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], capture_output=True, text=True)
    for option in ("--config", "--output", "--base-url", "--strict", "--quiet", "--verbose", "build"):
        assert option in result.stdout


def test_output_folder_of_other_files_is_left_alone_and_a_new_or_empty_one_is_used(mini, tmp_path, capsys):
    documents = tmp_path / "docs2"
    (documents / "photos").mkdir(parents=True)
    (documents / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    (documents / "thesis.pdf").write_bytes(b"%PDF thesis")
    before = tree(documents)
    assert main(["--config", str(mini / "site.yaml"), "--output", str(documents)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"--output: refusing to write the site into {documents}: it holds 'photos', 'thesis.pdf', which no build made, and "
        "every build replaces the whole folder; choose a new or empty folder, or move those files away")
    assert tree(documents) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    for _ in range(2):  # an empty folder, then the folder the first build made
        assert main(["--config", str(mini / "site.yaml"), "--output", str(empty), "--quiet"]) == 0
        assert (empty / "index.html").is_file() and (empty / ".briefing-output").is_file()
    earlier = tmp_path / "earlier"  # written by a version of the generator that left no marker
    shutil.copytree(empty, earlier)
    (earlier / ".briefing-output").unlink()
    assert main(["--config", str(mini / "site.yaml"), "--output", str(earlier), "--quiet"]) == 0


def test_without_base_url_no_sitemap_is_written(mini):
    config = mini / "site.yaml"
    config.write_text(config.read_text().replace('base_url: "https://example.org/mini/"', 'base_url: ""'))
    result = build(load_config(config))
    assert "sitemap.xml" not in result.files and not (mini / "output" / "sitemap.xml").exists()
    assert "index.html" in result.files
