"""The persistent build cache: fresh `python build.py` processes reuse it, yet always equal a cold build."""
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.sitecheck import tree

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import make_site  # noqa: E402


def run(site: Path) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml")],
                            capture_output=True, text=True, check=True)
    return result.stdout


def cold(site: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "cold"
    build(load_config(site / "site.yaml", output_dir=out))
    files = tree(out)
    return files


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def site(tmp_path):
    root = make_site(tmp_path / "site", pages=24, sources=5)
    assert run(root).startswith("built (")
    return root


EDITS = {
    "page": lambda s: append(s / "content" / "page-0003.md", "\nA new closing sentence.\n"),
    "page title": lambda s: (s / "content" / "page-0001.md").write_text(
        (s / "content" / "page-0001.md").read_text().replace("title: Topic 1", "title: Topic One"), encoding="utf-8"),
    "home page": lambda s: append(s / "content" / "index.md", "\nA closing remark.\n"),
    "seed": lambda s: append(s / "seeds" / "src002.txt", "\nAn added paragraph.\n"),
    "template": lambda s: append(s / "templates" / "page.html", "\n{# edited #}<!-- edited -->\n"),
    "stylesheet": lambda s: append(s / "templates" / "assets" / "style.css", "\nbody { margin: 0 }\n"),
    "site.yaml": lambda s: (s / "site.yaml").write_text((s / "site.yaml").read_text().replace(
        'title: "Synthetic briefing"', 'title: "Renamed briefing"'), encoding="utf-8"),
    "new page": lambda s: (s / "content" / "extra.md").write_text("---\ntitle: Extra\n---\nNew page.\n", encoding="utf-8"),
    "deleted page": lambda s: (EDITS["new page"](s), run(s), (s / "content" / "extra.md").unlink()),
}


@pytest.mark.parametrize("kind", EDITS)
def test_cached_rebuild_equals_cold_build(site, tmp_path, kind):
    EDITS[kind](site)
    output = run(site)
    assert output.startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)


def test_nothing_changed_is_up_to_date_and_untouched(site):
    before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    assert run(site).startswith("up to date:")
    assert {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()} == before


def test_a_page_edit_renders_only_what_depends_on_it(site):
    append(site / "content" / "page-0005.md", "\nOne more sentence.\n")
    changed = json.loads(run(site).split("built (")[1].split(" changed")[0])
    assert 1 <= changed < 10  # the page itself (and what shows its citations), not the whole site


def test_a_hand_edited_output_is_not_trusted(site, tmp_path):
    (site / "output" / "page-0002.html").write_text("tampered", encoding="utf-8")
    assert run(site).startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)


def test_a_cache_from_another_generator_is_not_trusted(site, tmp_path):
    cache = next((site / ".cache").glob("build-*.marshal"))
    data = marshal.loads(cache.read_bytes())
    data["generator"] = "another version"
    data["tables"]["output"] = {name: ["forged", size] for name, (_, size) in data["tables"]["output"].items()}
    cache.write_bytes(marshal.dumps(data))
    append(site / "content" / "page-0004.md", "\nChanged.\n")
    assert run(site).startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)


def test_deleting_the_cache_is_safe(site, tmp_path):
    for path in (site / ".cache").glob("*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert run(site).startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)


def test_a_damaged_cache_is_not_trusted(site, tmp_path):
    cache = next((site / ".cache").glob("build-*.marshal"))
    cache.write_bytes(cache.read_bytes()[: len(cache.read_bytes()) // 2])
    append(site / "content" / "page-0004.md", "\nChanged.\n")
    assert run(site).startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)


def test_a_site_big_enough_for_parallel_work_rebuilds_like_a_cold_build(tmp_path):
    """320 pages: parsed and rendered by forked workers (with two cores or more), cold and cached alike."""
    root = make_site(tmp_path / "site", pages=320, sources=20)
    assert run(root).startswith("built (")
    assert tree(root / "output") == cold(root, tmp_path / "first")
    for kind in ("page", "seed", "page title"):
        EDITS[kind](root)
        assert run(root).startswith("built (")
        assert tree(root / "output") == cold(root, tmp_path / kind), kind


def test_page_edits_one_after_another_render_only_those_pages_and_leave_a_sound_cache(site, tmp_path):
    out = site / "output"
    inodes = {path: path.stat().st_ino for path in out.rglob("*") if path.is_file()}
    for number, name in enumerate(("page-0003.md", "page-0007.md", "page-0003.md")):
        append(site / "content" / name, f"\nA closing sentence, edit {number}.\n")
        assert run(site).startswith("built (1 changed)")
        assert tree(out) == cold(site, tmp_path / f"edit-{number}")
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file() and p.name not in ("page-0003.html", "page-0007.html")} == \
        {p: inode for p, inode in inodes.items() if p.name not in ("page-0003.html", "page-0007.html")}
    for kind in ("seed", "page title", "template"):  # what those builds left in the cache serves the next ones
        EDITS[kind](site)
        assert run(site).startswith("built (")
        assert tree(out) == cold(site, tmp_path / kind), kind


def poison(site: Path, table: str, mark: str, in_place: bool) -> None:
    """Rewrite a table's files of `.cache/` as someone else would, each part's HTML given `mark`."""
    for shard in (site / ".cache").glob(f"build-*/{table.replace(' ', '_')}-*.marshal"):
        entries = marshal.loads(shard.read_bytes())
        forged = marshal.dumps({key: value + mark for key, value in entries.items()})
        if in_place:  # the same file (inode) changed
            with open(shard, "r+b") as file:
                file.write(forged)
                file.truncate()
        else:  # a file put in its place, its times made to look unchanged
            times = shard.stat()
            replacement = shard.with_name(shard.name + ".forged")
            replacement.write_bytes(forged)
            os.utime(replacement, ns=(times.st_atime_ns, times.st_mtime_ns))
            os.replace(replacement, shard)


@pytest.mark.parametrize("in_place", [True, False], ids=["edited in place", "replaced"])
def test_a_cache_changed_since_this_machine_wrote_it_is_not_trusted(site, tmp_path, in_place):
    """A `.cache/` that came with someone else's copy of the project, or was changed since a build
    wrote it, could hold HTML that no source says: its files are read only while each is the very
    file (inode and change time) a build wrote here."""
    poison(site, "citation lines", "<script>forged()</script>", in_place)
    text = (site / "content" / "page-0006.md").read_text(encoding="utf-8")
    edited = re.sub(r"(\w+)(?= \[@)", "altered", text, count=1)  # a claim: citations.json is joined again from its parts
    assert edited != text
    (site / "content" / "page-0006.md").write_text(edited, encoding="utf-8")
    assert run(site).startswith("built (")
    assert b"forged()" not in (site / "output" / "citations.json").read_bytes()
    assert tree(site / "output") == cold(site, tmp_path)


def test_a_fresh_process_takes_the_compiled_templates_from_the_cache(site, monkeypatch):
    """Jinja's compiled code is a unit of the memo ("template code"): a fresh process (a new Jinja
    environment) that renders a page again loads page.html's code from .cache/ instead of compiling
    it; an edited template is compiled (its text is in the key: see the "template" edit above)."""
    import jinja2

    from briefing import templating
    from briefing.memo import DiskMemo

    append(site / "content" / "page-0003.md", "\nA new closing sentence.\n")
    templating.templates_for.cache_clear()  # as in a new process
    compiled = []
    original = jinja2.Environment.compile

    def compile(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    config = load_config(site / "site.yaml")
    result = build(config, DiskMemo.of(config.root, config.output_dir, config.config_location))
    assert "page-0003.html" in result.rendering.rendered
    assert compiled == []
    append(site / "templates" / "page.html", "\n{# edited #}\n")
    templating.templates_for.cache_clear()
    build(config, DiskMemo.of(config.root, config.output_dir, config.config_location))
    assert "page.html" in compiled


def test_site_yaml_read_before_is_taken_from_the_cache_but_its_seeds_are_looked_for(site, monkeypatch):
    """A valid site.yaml is a unit of the memo ("config"): a fresh process with the same text does
    not parse it again, and gets the same Config; a seed removed since is still reported, as a
    cold read reports it, with the line naming it."""
    from briefing import config as config_module
    from briefing.errors import BuildError
    from briefing.memo import DiskMemo

    def memo():
        return DiskMemo.of(*(lambda root, name, out: (root, out, name))(*config_module.where(site / "site.yaml")))

    parsed = []
    compose = config_module.compose
    monkeypatch.setattr(config_module, "compose", lambda *args: (parsed.append(args[1]), compose(*args))[1])
    monkeypatch.setattr(config_module, "_last", None)
    remembered = load_config(site / "site.yaml", memo=memo())
    assert parsed == []
    monkeypatch.setattr(config_module, "_last", None)
    assert remembered == load_config(site / "site.yaml") and parsed == ["site.yaml"]  # read without the memo: parsed
    (site / "seeds" / "src002.txt").unlink()
    monkeypatch.setattr(config_module, "_last", None)
    with pytest.raises(BuildError) as from_memo:
        load_config(site / "site.yaml", memo=memo())
    assert parsed == ["site.yaml"]
    monkeypatch.setattr(config_module, "_last", None)
    with pytest.raises(BuildError) as cold_read:
        load_config(site / "site.yaml")
    assert [str(p) for p in from_memo.value.problems] == [str(p) for p in cold_read.value.problems]
    assert any("seeds/src002.txt does not exist" in str(p) and str(p).startswith("site.yaml:") for p in from_memo.value.problems)
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml")], capture_output=True, text=True)
    assert result.returncode == 1 and "seeds/src002.txt does not exist" in result.stderr


def test_a_first_file_carrying_other_tables_is_not_trusted_for_them(site, tmp_path):
    """The first file of a memo (`build-NAME.marshal`) is not itself vouched for by its inode; it
    may only give the outputs' keys (which count only while the output folder is as it lists).
    A forged one that carries another table, here a `config` whose title no site.yaml gives,
    is not read for it."""
    from briefing import config as config_module
    from briefing.memo import fingerprint

    first = next((site / ".cache").glob("build-*.marshal"))
    data = marshal.loads(first.read_bytes())
    root, name, out = config_module.where(site / "site.yaml")
    text = (site / "site.yaml").read_text(encoding="utf-8")
    config = load_config(site / "site.yaml")
    forged = config_module._plain(config)
    forged["title"] = "FORGED TITLE"
    data["tables"]["config"] = {fingerprint(str(root), name, text, str(out), None): (forged, {s.id: (config.config_location, 1) for s in config.sources})}
    first.write_bytes(marshal.dumps(data))
    append(site / "content" / "page-0003.md", "\nA new closing sentence.\n")
    run(site)
    assert not any(b"FORGED TITLE" in body for body in tree(site / "output").values())
    assert tree(site / "output") == cold(site, tmp_path)


def test_a_table_that_shrinks_below_the_shard_minimum_keeps_only_its_entries(tmp_path):
    """A table split into shards that falls to fewer entries than SHARD_MINIMUM becomes one file
    holding just the entries asked for; no older shard file is kept or read."""
    from briefing.memo import SHARD_MINIMUM, SHARDS, DiskMemo

    path = tmp_path / ".cache" / "build-x.marshal"
    memo = DiskMemo(path)
    memo.table("record").update({f"key {n}": n for n in range(SHARD_MINIMUM * 2)})
    memo.remember(memo.after("folder"))
    assert len(DiskMemo(path).files["record"]) == SHARDS
    memo = DiskMemo(path)
    kept = [f"key {n}" for n in range(10)]
    for key in kept:
        assert memo.table("record").get(key) is not None
    memo.remember(memo.after("folder"))
    again = DiskMemo(path)
    assert len(again.files["record"]) == 1
    assert sorted(again.table("record").old) == sorted(kept)
    assert len(list(path.with_suffix("").iterdir())) == len([f for files in again.files.values() for f in files.values()])


def test_a_unit_found_in_a_forked_worker_is_kept_for_the_next_build():
    """What a worker finds with `Memo.find` (Jinja's compiled templates) is journalled as asked,
    so the build's memo keeps it for the next build, as it keeps what `get` finds."""
    from briefing.memo import Memo

    worker = Memo({"template code": {"base": b"code", "page": b"other"}})  # a worker's copy of the build's memo
    worker.journal = []
    assert worker.find("template code", "base") == b"code" and worker.find("template code", "missing") is None
    worker.store("template code", "new", b"made")
    parent = Memo({"template code": {"base": b"code", "page": b"other"}})
    parent.merge(worker.journal)
    assert parent.after().tables["template code"].old == {"base": b"code", "new": b"made"}


@pytest.mark.parametrize("change", ["a file", "a link outside"])
def test_a_seeds_folder_changed_since_site_yaml_was_cached_is_reported_as_a_cold_read_does(site, tmp_path, monkeypatch, change):
    from briefing import config as config_module
    from briefing.errors import BuildError
    from briefing.memo import DiskMemo

    outside = tmp_path / "elsewhere"
    (site / "seeds").rename(outside)
    if change == "a file":
        (site / "seeds").write_text("not a folder", encoding="utf-8")
    else:
        (site / "seeds").symlink_to(outside)
    root, name, out = config_module.where(site / "site.yaml")
    monkeypatch.setattr(config_module, "_last", None)
    with pytest.raises(BuildError) as from_memo:
        load_config(site / "site.yaml", memo=DiskMemo.of(root, out, name))
    monkeypatch.setattr(config_module, "_last", None)
    with pytest.raises(BuildError) as cold_read:
        load_config(site / "site.yaml")
    assert [str(p) for p in from_memo.value.problems] == [str(p) for p in cold_read.value.problems]
    assert str(from_memo.value.problems[0]).startswith("seeds/: ")


def test_a_table_only_added_to_and_kept_is_not_read_and_rewrites_one_shard(tmp_path):
    """A table a build keeps without reading it, and adds to, is not loaded: the additions go into
    the shards they fall in, the other shard files stay as they were, and the next build finds
    every entry."""
    from briefing.memo import SHARDS, DiskMemo

    path = tmp_path / ".cache" / "build-x.marshal"
    memo = DiskMemo(path)
    memo.table("record").update({f"key {n}": n for n in range(200)})
    memo.remember(memo.after("folder"))
    before = dict(DiskMemo(path).files["record"])
    assert len(before) == SHARDS
    memo = DiskMemo(path)
    memo.keep("record")  # kept before the build touches it
    memo.table("record")["added"] = -1
    assert not memo.tables["record"].loaded
    memo.remember(memo.after("folder"))
    again = DiskMemo(path)
    changed = {index for index, file in again.files["record"].items() if before.get(index) != file}
    assert len(changed) == 1
    assert again.table("record").old == {**{f"key {n}": n for n in range(200)}, "added": -1}


def test_a_kept_table_keeps_every_entry_when_what_was_added_and_asked_for_is_as_many_as_it_had():
    """`keep` carries every old entry over even when the entries asked for plus those added are as
    many as the table held (2 of 2 here): counting them alike is no proof that nothing was left out."""
    from briefing.memo import Memo

    memo = Memo({"record": {"a": 1, "b": 2}})
    assert memo.table("record").get("a") == 1
    memo.table("record")["c"] = 3
    memo.keep("record")
    assert memo.after().tables["record"].old == {"a": 1, "b": 2, "c": 3}


def test_a_first_file_whose_tables_and_shard_counts_disagree_is_not_trusted(tmp_path):
    """A forged first file that names a table's files but not how many shards it has is ignored
    whole, as a damaged one is, rather than failing the next build."""
    from briefing.memo import DiskMemo

    path = tmp_path / ".cache" / "build-x.marshal"
    memo = DiskMemo(path)
    memo.table("record").update({f"key {n}": n for n in range(200)})
    memo.remember(memo.after("folder"))
    data = marshal.loads(path.read_bytes())
    del data["shards"]["record"]
    path.write_bytes(marshal.dumps(data))
    memo = DiskMemo(path)
    assert memo.files == {} and memo.state is None
    memo.keep("record")
    memo.table("record")["added"] = -1
    memo.remember(memo.after("folder"))
    assert DiskMemo(path).table("record").old == {"added": -1}


@pytest.mark.parametrize("forge", ["files not a mapping", "marks a list", "outputs junk", "no shards"])
def test_a_first_file_of_another_shape_is_ignored_not_a_traceback(site, tmp_path, forge):
    """A first file with the right generator digest (anyone can compute it) but another shape, as
    one that came with someone else's repository may have, is ignored whole: the build is cold,
    exits 0 and equals a cold build, and so does the next one."""
    first = next((site / ".cache").glob("build-*.marshal"))
    data = marshal.loads(first.read_bytes())
    if forge == "files not a mapping":
        data["files"] = {name: 7 for name in data["files"]}
    elif forge == "marks a list":
        data["marks"] = list(data["marks"])
    elif forge == "outputs junk":
        data["tables"]["output"] = {path: "junk" for path in data["tables"]["output"]}
    else:
        data["shards"] = {name: 0 for name in data["shards"]}
    first.write_bytes(marshal.dumps(data))
    append(site / "content" / "page-0004.md", "\nChanged.\n")
    assert run(site).startswith("built (")
    assert tree(site / "output") == cold(site, tmp_path)
    append(site / "content" / "page-0004.md", "\nChanged again.\n")
    run(site)
    assert tree(site / "output") == cold(site, tmp_path / "again")
