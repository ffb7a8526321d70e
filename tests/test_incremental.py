"""Incremental builds (as the preview server runs them): after every kind of change, the output
folder updated in place equals a cold build into another folder, and only what depends on the
change was rendered again."""
import gc
import os
import shutil
import time
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.errors import BuildError
from briefing.inputs import RACY_NS
from briefing.pipeline import BuildResult, build
from briefing.render import Renderer
from tests.sitecheck import tree

ALL_HTML = {"index.html", "alpha.html", "beta.html", "404.html", "sources/index.html", "sources/wire.html", "sources/essay.html",
            "corroboration.html"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rebuild(site: Path, previous: BuildResult, tmp_path: Path) -> BuildResult:
    """An incremental build into site/output, checked against a cold build of the same inputs."""
    result = build(load_config(site / "site.yaml"), previous.memo)
    cold_dir = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
    cold = build(load_config(site / "site.yaml", output_dir=cold_dir))
    assert result.files == cold.files
    assert result.rendering.keys == cold.rendering.keys
    assert tree(site / "output") == tree(cold_dir), "the output folder updated in place differs from a cold build"
    return result


@pytest.fixture
def first(mini) -> BuildResult:
    return build(load_config(mini / "site.yaml"))


def test_nothing_changed_renders_nothing(mini, first, tmp_path):
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == frozenset() and result.changed == ()
    assert result.site is first.site  # nothing was even loaded again


def test_the_preview_keeps_no_renderer_of_an_earlier_build(mini, first):
    """The preview builds again and again in one process: a build's Renderer (and the Site it holds)
    must be freed once the build is done, not kept by a cache on a method."""
    memo = first.memo
    for number in range(3):
        (mini / "content" / "beta.md").write_text((mini / "content" / "beta.md").read_text() + f"\nRemark {number}.\n")
        memo = build(load_config(mini / "site.yaml"), memo).memo
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, Renderer)] == []


def test_page_text_renders_only_that_page(mini, first, tmp_path):
    (mini / "content" / "beta.md").write_text((mini / "content" / "beta.md").read_text() + "\nA plain remark.\n")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"beta.html"}
    assert result.changed == ("beta.html",)
    assert result.rendering.reasons("beta.html", first.rendering) == ["variable body", "variable contents", "variable page"]


def test_unchanged_pages_are_taken_from_the_last_build_with_their_warnings(mini, tmp_path):
    edit(mini / "content" / "alpha.md", "title: Alpha", "title: Alpha\ncolour: red")
    first = build(load_config(mini / "site.yaml"))
    assert [str(w) for w in first.warnings] == ["content/alpha.md:3: warning: unknown front matter key `colour` is ignored; known keys are title, summary, order, updated, menu_title"]
    (mini / "content" / "beta.md").write_text((mini / "content" / "beta.md").read_text() + "\nA plain remark.\n")
    result = rebuild(mini, first, tmp_path)
    alpha = next(p.page for p in result.site.pages if p.page.slug == "alpha")
    assert alpha is next(p.page for p in first.site.pages if p.page.slug == "alpha")  # not read or parsed again
    assert result.warnings == first.warnings


def test_claim_edit_renders_page_source_page_and_record(mini, first, tmp_path):
    edit(mini / "content" / "beta.md", "The essay calls the pact fragile", "The essay calls the pact rather fragile")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"beta.html", "sources/essay.html", "citations.json", "corroboration.html", "annotations.jsonld"}  # the claim shows there too


def test_title_edit_renders_every_page_with_navigation(mini, first, tmp_path):
    edit(mini / "content" / "beta.md", "title: Beta", "title: Beta, revised")
    result = rebuild(mini, first, tmp_path)
    assert ALL_HTML <= result.rendering.rendered


def test_seed_edit_renders_its_source(mini, first, tmp_path):
    seed = mini / "seeds" / "wire.txt"
    seed.write_bytes(seed.read_bytes() + b"A closing line added later.\n")
    result = rebuild(mini, first, tmp_path)
    assert {"sources/wire.html", "sources/files/wire.txt"} <= result.rendering.rendered
    assert "alpha.html" not in result.rendering.rendered and "sources/essay.html" not in result.rendering.rendered


def test_seed_edit_moving_quotes_updates_every_citing_page(mini, first, tmp_path):
    seed = mini / "seeds" / "wire.txt"
    seed.write_bytes(b"A new opening line.\n" + seed.read_bytes())
    result = rebuild(mini, first, tmp_path)
    assert {"sources/wire.html", "citations.json"} <= result.rendering.rendered


def test_source_template_renders_only_source_pages(mini, first, tmp_path):
    edit(mini / "templates" / "source.html", "<h1{{ source.title_lang }}>{{ source.config.title }}</h1>", "<h1 class=\"doc\"{{ source.title_lang }}>{{ source.config.title }}</h1>")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"sources/wire.html", "sources/essay.html"}
    assert result.rendering.reasons("sources/wire.html", first.rendering) == ["templates"]
    assert result.site is first.site


def test_base_template_renders_every_page(mini, first, tmp_path):
    edit(mini / "templates" / "base.html", "<main id=\"main\">", "<main id=\"main\" class=\"main\">")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == ALL_HTML


def test_template_reading_a_new_variable_is_rendered_with_it(mini, first, tmp_path):
    # page.html does not read `sources`; once it does, a change to the sources must reach it.
    edit(mini / "templates" / "page.html", "<h1>{{ page.title }}</h1>", "<h1>{{ page.title }}</h1><p>{{ sources | length }} sources</p>")
    second = rebuild(mini, first, tmp_path)
    (mini / "content" / "beta.md").write_text((mini / "content" / "beta.md").read_text() + "\nMore [@wire \"a record\"].\n")
    result = rebuild(mini, second, tmp_path)
    assert "alpha.html" in result.rendering.rendered  # its `sources` summary (claim counts) changed


def test_stylesheet_renders_only_the_stylesheet(mini, first, tmp_path):
    css = mini / "templates" / "assets" / "style.css"
    css.write_text(css.read_text() + "\nbody { color: #111; }\n")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"assets/style.css"} and result.changed == ("assets/style.css",)


def test_site_yaml_edit(mini, first, tmp_path):
    edit(mini / "site.yaml", 'title: "Mini briefing"', 'title: "Mini briefing, second edition"')
    result = rebuild(mini, first, tmp_path)
    assert ALL_HTML <= result.rendering.rendered


def test_new_page(mini, first, tmp_path):
    (mini / "content" / "gamma.md").write_text("---\ntitle: Gamma\n---\nThe wire says [@wire \"a record\"]. See [alpha](alpha.md).\n")
    result = rebuild(mini, first, tmp_path)
    assert "gamma.html" in result.changed and (mini / "output" / "gamma.html").is_file()


def test_deleted_page(mini, first, tmp_path):
    (mini / "content" / "gamma.md").write_text("---\ntitle: Gamma\n---\nShort.\n")
    second = rebuild(mini, first, tmp_path)
    (mini / "content" / "gamma.md").unlink()
    result = rebuild(mini, second, tmp_path)
    assert "gamma.html" in result.changed and not (mini / "output" / "gamma.html").exists()


def test_deleted_topic_page_and_its_listing(mini, first, tmp_path):
    (mini / "content" / "beta.md").unlink()
    edit(mini / "site.yaml", "topics: [alpha, beta]", "topics: [alpha]")
    rebuild(mini, first, tmp_path)
    assert not (mini / "output" / "beta.html").exists()


def test_failed_build_in_between_changes_nothing(mini, first, tmp_path):
    before = tree(mini / "output")
    edit(mini / "content" / "beta.md", '"argues the pact is fragile"', '"argues that the pact is fragile"')
    with pytest.raises(BuildError):
        build(load_config(mini / "site.yaml"), first.memo)
    assert tree(mini / "output") == before
    edit(mini / "content" / "beta.md", '"argues that the pact is fragile"', '"argues the pact is fragile"')
    rebuild(mini, first, tmp_path)


def test_one_change_after_another(mini, first, tmp_path):
    result = first
    steps = [
        lambda: edit(mini / "content" / "alpha.md", "Officials gave a figure", "Officials announced a figure"),
        lambda: edit(mini / "templates" / "page.html", '<div class="body">', '<div class="body prose">'),
        lambda: (mini / "seeds" / "essay.txt").write_bytes((mini / "seeds" / "essay.txt").read_bytes() + b"Postscript.\n"),
        lambda: (mini / "content" / "delta.md").write_text("---\ntitle: Delta\nsummary: Added.\n---\nNew [@essay \"Postscript.\"].\n"),
        lambda: edit(mini / "site.yaml", "topics: [alpha, beta]", "topics: [beta, alpha, delta]"),
        lambda: os.replace(mini / "content" / "alpha.md", mini / "content" / "alpha2.md")
        or edit(mini / "site.yaml", "topics: [beta, alpha, delta]", "topics: [beta, alpha2, delta]")
        or edit(mini / "content" / "index.md", "(alpha.md#figures)", "(alpha2.md#figures)"),
        lambda: (mini / "templates" / "assets" / "extra.css").write_text("p { margin: 0; }\n"),
        lambda: (mini / "templates" / "assets" / "extra.css").unlink(),
    ]
    for step in steps:
        step()
        result = rebuild(mini, result, tmp_path)
    assert not (mini / "output" / "alpha.html").exists() and not (mini / "output" / "assets" / "extra.css").exists()


def test_a_page_edited_alone_is_linked_alone_and_backlinks_name_its_new_citations(mini, first, tmp_path):
    edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"alpha.html"}
    alpha = next(p for p in result.site.pages if p.page.slug == "alpha")
    assert alpha.page is not next(p.page for p in first.site.pages if p.page.slug == "alpha")
    assert [p.page for p in result.site.pages if p.page.slug != "alpha"] == [p.page for p in first.site.pages if p.page.slug != "alpha"]
    cited = [citation for source in result.site.sources for excerpt in result.site.excerpts_of(source.id)
             for citation in result.site.backlinks_of(source.id, excerpt.anchor) if citation.page.slug == "alpha"]
    assert cited and all(citation.page is alpha.page for citation in cited)
    # The site kept in memory is the one a whole build makes: source pages rendered from it agree.
    edit(mini / "templates" / "source.html", "<h1", "<h1 data-edited")
    result = rebuild(mini, result, tmp_path)
    assert {"sources/wire.html", "sources/essay.html"} <= result.rendering.rendered


def test_a_page_edit_that_changes_what_others_show_builds_the_whole_site(mini, first, tmp_path):
    edit(mini / "content" / "beta.md", "The essay calls", "The essay, they say, calls")  # the claim, shown on the source page
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"beta.html", "sources/essay.html", "citations.json", "corroboration.html", "annotations.jsonld"}  # the claim shows there too
    edit(mini / "content" / "beta.md", '"argues the pact is fragile" prefix="The essay"', '"the pact is fragile" n=2')  # same words, another place
    result = rebuild(mini, result, tmp_path)
    assert "sources/essay.html" in result.rendering.rendered


def test_a_page_edited_alone_replaces_its_file_in_place(mini, first, tmp_path):
    out = mini / "output"
    inodes = {path: path.stat().st_ino for path in out.rglob("*") if path.is_file()}
    edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    rebuild(mini, first, tmp_path)
    assert {path: path.stat().st_ino for path in out.rglob("*") if path.is_file() and path.name != "alpha.html"} == \
        {path: inode for path, inode in inodes.items() if path.name != "alpha.html"}  # the others untouched, not even linked again
    assert (out / "alpha.html").stat().st_ino != inodes[out / "alpha.html"]  # written beside and renamed over, never half-written
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".output")] == []


def test_a_file_rewritten_with_its_old_size_and_time_is_still_read(mini, first, tmp_path):
    page = mini / "content" / "alpha.md"
    time.sleep(RACY_NS / 1e9 + 0.1)  # the files are old enough now for their stats to be trusted
    result = rebuild(mini, first, tmp_path)
    assert str(page) in result.memo.tables["stat"].old
    before = page.stat()
    edit(page, "Officials gave a figure", "Officials GAVE a figure")  # same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same modification time: the change time differs
    result = rebuild(mini, result, tmp_path)
    assert "alpha.html" in result.rendering.rendered


def test_a_file_changed_moments_before_a_build_is_read_again_by_the_next(mini, first, tmp_path):
    page = mini / "content" / "beta.md"
    edit(page, "The essay calls", "The essay calls")  # just written: its stats would not tell a second write in the same tick
    result = rebuild(mini, first, tmp_path)
    assert str(page) not in result.memo.tables["stat"].old


def test_the_home_page_edited_alone_is_rendered_alone(mini, first, tmp_path):
    edit(mini / "content" / "index.md", "See [Alpha]", "For the figures, see [Alpha]")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"index.html"}


def same_objects(result: BuildResult, previous: BuildResult, but: str) -> bool:
    """Whether every page but `but` is the very PageCitations of the previous build (not linked again)."""
    return all(p is q for p, q in zip(result.site.pages, previous.site.pages) if p.page.slug != but)


def test_a_claim_edited_alone_relinks_that_page_alone(mini, first, tmp_path):
    edit(mini / "content" / "beta.md", "The essay calls the pact fragile", "The essay calls the pact rather fragile")
    result = rebuild(mini, first, tmp_path)
    assert result.rendering.rendered == {"beta.html", "sources/essay.html", "citations.json", "corroboration.html", "annotations.jsonld"}  # the claim shows there too
    assert same_objects(result, first, but="beta")
    assert "rather fragile" in result.files["sources/essay.html"].decode()


def test_a_citation_added_and_one_dropped_update_the_sources_and_the_counts(mini, first, tmp_path):
    edit(mini / "content" / "beta.md", '[@essay "argues the pact is fragile" prefix="The essay"].',
         '[@essay "argues the pact is fragile" prefix="The essay"]. It rests on the war [@essay "because it rests"].')
    result = rebuild(mini, first, tmp_path)
    assert same_objects(result, first, but="beta")
    assert {"beta.html", "sources/essay.html", "citations.json", "sources/index.html", "index.html"} <= result.rendering.rendered
    assert result.counts["citations"] == first.counts["citations"] + 1
    edit(mini / "content" / "beta.md", ' [@essay "argues the pact is fragile" prefix="The essay"].', ".")  # its only excerpt of that sentence
    second = rebuild(mini, result, tmp_path)
    assert same_objects(second, result, but="beta")
    assert len(second.site.excerpts_of("essay")) == len(result.site.excerpts_of("essay")) - 1


def test_a_quote_whose_anchor_is_numbered(mini, first, tmp_path):
    # The same words as alpha's second "again" sentence, in the same paragraph: the anchor is numbered
    # by page order, as a cold build numbers it.
    edit(mini / "content" / "beta.md", "fragile [@essay", 'fragile [@wire "The factory made shells again." n=1; @essay')
    result = rebuild(mini, first, tmp_path)
    beta = next(p for p in result.site.pages if p.page.slug == "beta")
    assert beta.citations[0].excerpt.anchor.endswith("-2")
    assert "sources/wire.html" in result.rendering.rendered


def test_a_date_with_a_time_of_day_shows_the_day(mini, tmp_path):
    edit(mini / "content" / "alpha.md", "updated: 2024-02-02", "updated: 2024-02-02 10:30:00")
    first = build(load_config(mini / "site.yaml"))
    assert '<time datetime="2024-02-02">' in first.files["alpha.html"].decode()
    edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    rebuild(mini, first, tmp_path)


TICK = 0.05  # longer than the file system clock's tick: a folder changed within the same tick as a build's write looks untouched


def test_a_page_edit_after_another_program_removed_an_output_restores_it(mini, first, tmp_path):
    time.sleep(TICK)
    (mini / "output" / "beta.html").unlink()
    edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    rebuild(mini, first, tmp_path)  # equal to a cold build: beta.html is back


def test_a_save_that_changed_nothing_after_an_output_was_replaced_restores_it(mini, first, tmp_path):
    time.sleep(TICK)
    target = mini / "output" / "sources" / "wire.html"
    target.unlink()
    target.symlink_to(mini / "site.yaml")
    os.utime(mini / "content" / "alpha.md")
    rebuild(mini, first, tmp_path)
    assert not target.is_symlink()


def test_a_save_that_changed_nothing_still_checks_the_output_folder(mini, first, tmp_path):
    shutil.rmtree(mini / "output")
    (mini / "output").symlink_to(mini / "templates")
    with pytest.raises(BuildError) as info:
        build(load_config(mini / "site.yaml"), first.memo)
    assert "overlaps the input folder templates/" in str(info.value)


def test_a_file_another_program_left_in_a_folder_of_folders_is_removed(mini, tmp_path):
    font = mini / "templates" / "assets" / "fonts" / "sans" / "a.woff2"  # assets/fonts holds only a folder
    font.parent.mkdir(parents=True)
    font.write_bytes(b"font")
    first = build(load_config(mini / "site.yaml"))
    time.sleep(TICK)
    (mini / "output" / "assets" / "fonts" / "stray.html").write_text("left by another program")
    edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    rebuild(mini, first, tmp_path)


@pytest.mark.parametrize("edit_page", [True, False], ids=["page edited", "nothing changed"])
def test_after_another_build_swapped_in_its_tree_the_preview_writes_all_of_its_own(mini, first, tmp_path, edit_page):
    time.sleep(TICK)
    # Another build of the same folder, with a base URL as long as the configured one: same sizes, other bytes.
    build(load_config(mini / "site.yaml", base_url="https://example.org/mimi/"))
    if edit_page:
        edit(mini / "content" / "alpha.md", "A footnote.", "A footnote, and a new remark.")
    else:
        os.utime(mini / "content" / "alpha.md")
    rebuild(mini, first, tmp_path)


def test_an_output_is_incremental_by_the_inputs_it_declares(mini, first, tmp_path):
    # robots.txt declares one input, the site's address: a title change renders every page but not it.
    edit(mini / "site.yaml", "title:", "title: Renamed")
    result = rebuild(mini, first, tmp_path)
    assert ALL_HTML <= result.rendering.rendered and "robots.txt" not in result.rendering.rendered
    edit(mini / "site.yaml", 'base_url: "https://example.org/mini/"', 'base_url: "https://example.org/other/"')
    result = rebuild(mini, result, tmp_path)
    assert "robots.txt" in result.rendering.rendered
    assert result.files["robots.txt"].decode() == "User-agent: *\nAllow: /\nSitemap: https://example.org/other/sitemap.xml\n"


def test_kept_files_are_copied_where_they_cannot_be_linked(mini, first, tmp_path, monkeypatch):
    """A new tree takes the unchanged files by hard links; on a file system that refuses them (or
    across devices) each is copied instead, and the folder is the same as a cold build's."""
    refused = []

    def no_link(*args, **kwargs):
        refused.append(args[0])
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    edit(mini / "content" / "alpha.md", "Alpha", "Alpha revised")  # a title: every page's navigation changes, a new tree
    result = rebuild(mini, first, tmp_path)
    assert refused and len(result.changed) > 1 and set(result.files) - set(result.rendering.rendered)  # some were kept


@pytest.mark.parametrize("rm", ["rm", "none"])
def test_the_old_tree_is_gone_when_the_build_returns(mini, first, tmp_path, monkeypatch, rm):
    """The tree swapped out is removed by `rm -r` beside the memo's writing, or in the build's own
    process where there is no `rm`; either way it is gone by the time the build returns."""
    from briefing import write

    popen = write.subprocess.Popen
    if rm == "none":
        def no_rm(*args, **kwargs):
            raise FileNotFoundError(2, "No such file or directory: 'rm'")
        monkeypatch.setattr(write.subprocess, "Popen", no_rm)
    else:  # a slow `rm`: the build still waits for it
        monkeypatch.setattr(write.subprocess, "Popen", lambda command, **kwargs: popen(["sh", "-c", 'sleep 0.5; exec "$0" "$@"', *command], **kwargs))
    edit(mini / "content" / "beta.md", "title: Beta", "title: Beta, revised")  # every page: a new tree swapped in
    result = rebuild(mini, first, tmp_path)
    assert len(result.changed) > 1
    assert [p.name for p in mini.iterdir() if p.name.startswith(".output")] == []
