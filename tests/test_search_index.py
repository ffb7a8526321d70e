"""The search index is an output like any other: made from the rendered pages, rebuilt only when an
indexed page changes, and after any edit, by the preview or by the build cache, equal to a cold build."""
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.errors import BuildError
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.sitecheck import tree
from tests.test_incremental import rebuild

INDEX = "pagefind/pagefind-entry.json"


def with_search(site: Path) -> Path:
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text.replace("\nsources:", "\nsearch: true\nsources:", 1), encoding="utf-8")
    return site


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def index_files(files) -> dict[str, bytes]:
    return {name: files[name] for name in files if name.startswith("pagefind/")}


@pytest.fixture
def searchable(mini) -> Path:
    return with_search(mini)


def test_the_index_lists_pages_and_sources_not_the_404(searchable):
    result = build(load_config(searchable / "site.yaml"))
    assert INDEX in result.files and "search.html" in result.files
    assert any(name.startswith("pagefind/fragment/") for name in result.files)
    fragments = b"".join(result.files[n] for n in result.files if n.startswith("pagefind/fragment/"))
    assert fragments  # compressed: the pages are named in them, checked in the browser test under a sub-path


def test_preview_edits_rebuild_the_index_only_when_a_page_changes(searchable, tmp_path):
    first = build(load_config(searchable / "site.yaml"))
    styled = (searchable / "templates" / "assets" / "style.css")
    styled.write_text(styled.read_text(encoding="utf-8") + "\nbody { margin: 0 }\n", encoding="utf-8")
    second = rebuild(searchable, first, tmp_path)
    assert not any(name.startswith("pagefind/") for name in second.rendering.rendered)
    before = index_files(second.files)  # read now: a build's files are read from the output folder when asked for
    append(searchable / "content" / "beta.md", "\nA plain remark about lighthouses.\n")
    third = rebuild(searchable, second, tmp_path)
    assert INDEX in third.rendering.rendered
    assert index_files(third.files) != before


def run(site: Path) -> str:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml")],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("kind", ["page", "stylesheet", "seed"])
def test_cached_rebuild_with_search_equals_cold_build(searchable, tmp_path, kind):
    assert run(searchable).startswith("built (")
    before = tree(searchable / "output")
    if kind == "page":
        append(searchable / "content" / "beta.md", "\nA plain remark about lighthouses.\n")
    elif kind == "stylesheet":
        path = searchable / "templates" / "assets" / "style.css"
        path.write_text(path.read_text(encoding="utf-8") + "\nbody { margin: 0 }\n", encoding="utf-8")
    else:
        path = next((searchable / "seeds").glob("*.txt"))
        path.write_text(path.read_text(encoding="utf-8") + "\nAn added paragraph.\n", encoding="utf-8")
    assert run(searchable).startswith("built (")
    after = tree(searchable / "output")
    cold = tmp_path / "cold"
    build(load_config(searchable / "site.yaml", output_dir=cold))
    assert after == tree(cold)
    assert (index_files(after) == index_files(before)) == (kind == "stylesheet")


def test_search_without_pagefind_is_a_located_error_documented_in_the_catalogue(searchable, monkeypatch):
    monkeypatch.setitem(sys.modules, "pagefind.index", None)  # `import pagefind.index` now raises ImportError
    output = searchable / "output"
    with pytest.raises(BuildError) as caught:
        build(load_config(searchable / "site.yaml"))
    message = ("site.yaml: `search: true` needs Pagefind, which is not installed; "
               "run `python -m pip install -r requirements.txt` or set `search: false`")
    assert [str(problem) for problem in caught.value.problems] == [message]
    assert not output.exists()  # nothing written
    assert message in (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
