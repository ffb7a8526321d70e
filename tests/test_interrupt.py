"""Builds stopped at any moment by SIGKILL: `output/` is always exactly the previous site or the new
one, never a mix and never missing, and the next build cleans up whatever the killed one left.

A generated site of PAGES pages (`benchmarks/synthetic.py`) is built once (v1) and then changed so
that nearly every file differs (v2). `python build.py` is killed at fractions of a measured cold
build, and at moments found by watching the folder: just after the staging folder appears, when
half the pages are written into it, and just after the swap, while the old tree is being removed.
At those moments the process is first frozen (SIGSTOP), so what the test saw is where it was
killed. The preview server is killed the same ways during an incremental update.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.synthetic import make_site as make_synthetic_site
from briefing import write
from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.sitecheck import tree
from tests.test_serve import Server, save

PAGES = 300  # a cold build of about two seconds here, rendered by forked workers (over 300 outputs)
FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.99)
PHASES = ("staging created", "half written", "swapped")
WAIT = 60  # seconds: a bound on waiting for a build, not a speed requirement


def tree_hash(folder: Path) -> str:
    """One digest of every name and every file's bytes under `folder`; "missing" if it is not there."""
    if not folder.is_dir():
        return "missing"
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        kind = b"L" if path.is_symlink() else b"F" if path.is_file() else b"D"
        digest.update(kind + path.relative_to(folder).as_posix().encode() + b"\0")
        if kind == b"F":
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def leftovers(site: Path) -> list[str]:
    return sorted(path.name for path in site.iterdir() if path.name.startswith(".output."))


def build_command(site: Path) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), "--quiet"]


def retitle(site: Path, old: str, new: str) -> None:
    """A topic's new title: every page showing the navigation changes."""
    page = site / "content" / "page-0000.md"
    text = page.read_text(encoding="utf-8")
    assert f"title: {old}\n" in text
    save(page, text.replace(f"title: {old}\n", f"title: {new}\n", 1))


KILLS: list[tuple[str, str]] = []  # (when, which tree output/ was), printed at the end (pytest -s)


@dataclass
class Big:
    site: Path
    cold_seconds: float  # a cold `python build.py` of v1, as measured here
    v1: str
    v2: str
    v1_copy: Path  # output/ as v1 left it, to start each trial from


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Big:
    folder = tmp_path_factory.mktemp("interrupt")
    site = make_synthetic_site(folder / "site", PAGES, 20, seed=0)
    started = time.monotonic()
    subprocess.run(build_command(site), check=True, timeout=WAIT * 4)
    cold = time.monotonic() - started
    v1 = tree_hash(site / "output")
    shutil.copytree(site / "output", folder / "v1")
    retitle(site, "Topic 0", "Topic 0, revised")
    save(site / "content" / "added.md", "---\ntitle: Added later\n---\nA page added between the builds.\n")
    build(load_config(site / "site.yaml", output_dir=folder / "v2"))
    v2 = tree_hash(folder / "v2")
    assert v1 != v2
    yield Big(site, cold, v1, v2, folder / "v1")
    delays = ", ".join(f"{fraction:.0%} = {fraction * cold:.2f} s" for fraction in FRACTIONS)
    print(f"\n{PAGES} pages: a cold build took {cold:.2f} s; killed at {delays}")
    for when, which in KILLS:
        print(f"  killed {when}: output/ was {which}")


def start_from_v1(big: Big) -> None:
    """output/ as v1 left it, no build cache: the next build is a cold build of v2 over v1."""
    shutil.rmtree(big.site / "output")
    shutil.copytree(big.v1_copy, big.site / "output")
    shutil.rmtree(big.site / ".cache", ignore_errors=True)
    assert tree_hash(big.site / "output") == big.v1


def kill_when(process: subprocess.Popen, site: Path, phase: str) -> bool:
    """Watch `site` until the process `process` reaches `phase`, then freeze it; True if it was
    reached before the process ended. Returns with the process stopped (or ended)."""
    out = site / "output"
    inode = os.stat(out).st_ino
    prefix = f".output.new-{process.pid}-"
    reached = False
    deadline = time.monotonic() + WAIT
    while process.poll() is None and not reached and time.monotonic() < deadline:
        staging = [name for name in os.listdir(site) if name.startswith(prefix)]
        if phase == "staging created":
            reached = bool(staging)
        elif phase == "half written":
            reached = bool(staging) and _count(site / staging[0]) >= PAGES // 2
        else:
            try:
                reached = os.stat(out).st_ino != inode
            except FileNotFoundError:  # between the two renames of the fallback swap
                reached = False
    process.send_signal(signal.SIGSTOP)  # nothing is sent if it has ended
    return reached


def _count(folder: Path) -> int:
    try:
        return len(os.listdir(folder))
    except FileNotFoundError:
        return 0


def swapped(site: Path, inode: int) -> bool:
    try:
        return os.stat(site / "output").st_ino != inode
    except FileNotFoundError:
        return False


# -- python build.py ------------------------------------------------------------------------------
@pytest.mark.parametrize("fraction", FRACTIONS)
def test_kill_at_a_fraction_of_the_build_leaves_one_whole_site(big, fraction):
    start_from_v1(big)
    process = subprocess.Popen(build_command(big.site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(fraction * big.cold_seconds)
    process.kill()
    process.wait()
    found = tree_hash(big.site / "output")
    KILLS.append((f"at {fraction:.0%} of a build", {big.v1: "v1", big.v2: "v2"}.get(found, "BROKEN")))
    assert found in (big.v1, big.v2)


def children(pid: int) -> list[int]:
    try:
        return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("later", (0.0, 0.2, 0.4))
def test_a_killed_build_leaves_no_worker_behind_and_prints_nothing(big, later):
    """Workers die with their parent (killed `later` x a cold build after the first worker started):
    none is left waiting to hand over its results, none prints a traceback."""
    start_from_v1(big)
    process = subprocess.Popen(build_command(big.site), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + WAIT
    while not children(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(later * big.cold_seconds)
    while not children(process.pid) and process.poll() is None and time.monotonic() < deadline:  # between two pools
        time.sleep(0.002)
    workers = children(process.pid)
    assert workers, "the build ended before it started any worker"
    process.kill()
    _, stderr = process.communicate(timeout=WAIT)  # stderr ends when the last process holding it has ended
    assert stderr == b""
    time.sleep(0.2)
    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
    assert alive == []


@pytest.mark.parametrize("phase", PHASES)
def test_kill_while_writing_or_swapping_leaves_one_whole_site(big, phase):
    start_from_v1(big)
    inode = os.stat(big.site / "output").st_ino
    process = subprocess.Popen(build_command(big.site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reached = kill_when(process, big.site, phase)
    after_swap = swapped(big.site, inode)
    process.kill()
    process.wait()
    found = tree_hash(big.site / "output")
    KILLS.append((f"when {phase}" + ("" if reached else " (finished first)"), {big.v1: "v1", big.v2: "v2"}.get(found, "BROKEN")))
    assert found == (big.v2 if after_swap else big.v1)
    if phase == "swapped":
        assert reached and after_swap
    else:  # stopped before the swap: its staging folder is left behind for the next build
        assert reached and not after_swap and leftovers(big.site)


def test_next_build_after_kills_succeeds_and_removes_what_they_left(big):
    start_from_v1(big)
    process = subprocess.Popen(build_command(big.site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_when(process, big.site, "half written")
    process.kill()
    process.wait()
    assert leftovers(big.site)
    result = subprocess.run(build_command(big.site), capture_output=True, text=True, timeout=WAIT * 4)
    assert result.returncode == 0, result.stderr
    assert tree_hash(big.site / "output") == big.v2
    assert leftovers(big.site) == []


def test_two_builds_at_once_leave_each_other_alone(big):
    start_from_v1(big)
    processes = [subprocess.Popen(build_command(big.site), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=WAIT * 4)
        assert process.returncode == 0, stderr
    assert tree_hash(big.site / "output") == big.v2
    assert leftovers(big.site) == []


# -- the preview server's incremental update -------------------------------------------------------
@pytest.mark.parametrize("phase", PHASES)
def test_kill_during_the_preview_update_leaves_one_whole_site(big, tmp_path, phase):
    """The server's rebuild after a save writes a new tree too (its unchanged files linked from the old one)."""
    site = big.site
    server = Server(site, "--quiet").wait_serving()
    try:
        assert tree_hash(site / "output") == big.v2
        inode = os.stat(site / "output").st_ino
        retitle(site, "Topic 0, revised", "Topic 0, revised again")  # every page changes
        reached = kill_when(server.process, site, phase)
        after_swap = swapped(site, inode)
        server.process.kill()
        server.process.wait()
        build(load_config(site / "site.yaml", output_dir=tmp_path / "v3"))
    finally:
        server.stop()
        retitle(site, "Topic 0, revised again", "Topic 0, revised")
    v3 = tree_hash(tmp_path / "v3")
    found = tree_hash(site / "output")
    KILLS.append((f"the preview server, when {phase}", {big.v2: "v2", v3: "v3"}.get(found, "BROKEN")))
    assert reached
    assert found == (v3 if after_swap else big.v2)
    result = subprocess.run(build_command(site), capture_output=True, text=True, timeout=WAIT * 4)
    assert result.returncode == 0, result.stderr
    assert tree_hash(site / "output") == big.v2 and leftovers(site) == []


# -- how stale folders are told from live ones ------------------------------------------------------
def test_only_folders_of_ended_processes_are_removed(mini):
    out = mini / "output"
    build(load_config(mini / "site.yaml"))
    before = tree(out)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    try:
        live = mini / f".output.new-{sleeper.pid}-abc"
        dead = mini / f".output.new-{ended.pid}-abc"
        own = mini / f".output.new-{os.getpid()}-abc"  # this process's, but not in use
        other = mini / ".output-notes"  # not a staging folder's name
        for folder in (live, dead, own, other):
            (folder / "sources").mkdir(parents=True)
            (folder / "sources" / "x.html").write_text("x")
        write.remove_stale(out)
        assert sorted(p.name for p in mini.iterdir() if p.name.startswith(".output")) == [".output-notes", live.name]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert tree(out) == before


def test_a_kill_between_the_two_renames_of_the_fallback_swap_is_undone_by_the_next_build(mini):
    """Without renameat2, a swap is two renames; killed between them, output/ is missing until the next build."""
    build(load_config(mini / "site.yaml"))
    before = tree(mini / "output")
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    retired = mini / f".output.old-{ended.pid}-abc"
    retired.mkdir()
    os.rename(mini / "output", retired / "site")  # what the killed process had done
    (mini / f".output.new-{ended.pid}-def").mkdir()  # and the new tree it had not yet moved in
    write.remove_stale(mini / "output")
    assert tree(mini / "output") == before
    assert [p.name for p in mini.iterdir() if p.name.startswith(".output.")] == []


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Every file written into a staging folder beside `out`, then swapped into place."""
    try:
        with write.Staging(out) as staging:
            for name in files:
                staging.write(name, files[name])
            staging.swap()
    finally:
        write.settle()


def test_fallback_swap_interrupted_between_renames_puts_the_previous_output_back(mini, monkeypatch):
    first = build(load_config(mini / "site.yaml"))
    before = tree(mini / "output")
    real_rename, calls = os.rename, []

    def rename(source, target):
        calls.append(source)
        if len(calls) == 2:  # the old site is set aside; Ctrl-C before the new one moves in
            raise KeyboardInterrupt
        real_rename(source, target)

    monkeypatch.setattr(write, "exchange", lambda first, second: False)  # a system without renameat2
    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_site({**first.files, "extra.html": b"new"}, mini / "output")
    monkeypatch.undo()
    assert tree(mini / "output") == before
    assert [p.name for p in mini.iterdir() if p.name.startswith(".output")] == []


def test_fallback_swap_writes_the_new_site(mini, monkeypatch):
    first = build(load_config(mini / "site.yaml"))
    monkeypatch.setattr(write, "exchange", lambda first, second: False)
    write_site({**first.files, "extra.html": b"new"}, mini / "output")
    assert tree(mini / "output") == {**first.files, "extra.html": b"new", write.MARKER: write.MARKER_TEXT}
    assert [p.name for p in mini.iterdir() if p.name.startswith(".output")] == []


def test_a_build_after_the_output_folder_was_tampered_with_writes_it_whole(mini):
    first = build(load_config(mini / "site.yaml"))
    expected = dict(first.files)  # read now: the result's files are read from the folder when asked for
    out = mini / "output"
    (out / "stray.html").write_text("not from a build")
    (out / "beta.html").write_text("edited by hand")
    (out / "alpha.html").unlink()
    (out / "alpha.html").symlink_to(mini / "site.yaml")
    build(load_config(mini / "site.yaml"), first.memo)  # the memo's listing of the folder no longer holds
    assert tree(out) == {**expected, write.MARKER: write.MARKER_TEXT}  # the stray file gone, the tampered ones written anew
    assert not (out / "alpha.html").is_symlink()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_build_not_yet_reaped_leaves_a_folder_the_next_build_removes(mini):
    """A build killed while its parent has not reaped it yet (a zombie, as under an init that
    reaps late) still has a process id; its staging folder is removed all the same."""
    build(load_config(mini / "site.yaml"))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while open(f"/proc/{child.pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[0] != b"Z":  # exited, not waited for
        assert time.monotonic() < deadline
        time.sleep(0.01)
    left = mini / f".output.new-{child.pid}-abcd1234"
    (left / "sources").mkdir(parents=True)
    (left / "index.html").write_text("half written", encoding="utf-8")
    try:
        edit = mini / "content" / "alpha.md"
        edit.write_text(edit.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        build(load_config(mini / "site.yaml"))
        assert not left.exists()
    finally:
        child.wait()
