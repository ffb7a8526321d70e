"""Overlapping builds of one project take turns, so the build cache never vouches for a tree its
own build did not write."""
import select
import subprocess
import sys
import threading
import time

from briefing.memo import DiskMemo
from briefing.config import load_config
from briefing.lock import WAITING
from briefing.pipeline import build
from tests.conftest import ROOT

SENTENCE = "A sentence the author removed."


def run(site, *args):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), *args],
                          capture_output=True, text=True, cwd=site)


def wait_for_exit_or_line(process: subprocess.Popen, line: str, timeout: float = 30.0) -> list[str]:
    """The stderr lines `process` printed until it printed `line` or exited."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            text = process.stderr.readline()
            if text:
                seen.append(text.rstrip("\n"))
                if text.startswith(line):
                    return seen
                continue
        if process.poll() is not None:
            return seen
    raise AssertionError(f"neither exited nor printed {line!r}: {seen}")


def test_a_second_build_waits_for_a_slowed_one_and_the_cache_stays_true(mini):
    page = mini / "content" / "beta.md"
    without = page.read_text(encoding="utf-8")
    with_sentence = without + f"\n{SENTENCE}\n"
    page.write_text(with_sentence, encoding="utf-8")
    assert run(mini, "--quiet").returncode == 0  # the cache now knows the site with the sentence

    # Build A removes the sentence, and is slowed after its swap, before it records the cache.
    page.write_text(without, encoding="utf-8")
    swapped, release = threading.Event(), threading.Event()

    def slowly(stage: str) -> None:
        if stage == "written":
            swapped.set()
            assert release.wait(60)

    config = load_config(mini / "site.yaml")
    first = threading.Thread(target=build, args=(config, DiskMemo.of(config.root, config.output_dir, config.config_location)),
                             kwargs={"progress": slowly})
    first.start()
    assert swapped.wait(60)
    # Meanwhile build B starts from a text with the sentence (put back, then removed again by the time A records).
    page.write_text(with_sentence, encoding="utf-8")
    second = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--config", str(mini / "site.yaml"), "--quiet"],
                              stderr=subprocess.PIPE, text=True, cwd=mini)
    printed = wait_for_exit_or_line(second, WAITING)
    page.write_text(without, encoding="utf-8")
    release.set()
    first.join(60)
    assert second.wait(60) == 0

    assert SENTENCE not in (mini / "output" / "beta.html").read_text(encoding="utf-8")
    again = run(mini)
    assert again.returncode == 0 and again.stdout.startswith("up to date")
    assert SENTENCE not in (mini / "output" / "beta.html").read_text(encoding="utf-8")
    assert printed == [f"{WAITING} ..."]  # the second build waited, and said so


def test_the_cache_never_vouches_for_a_tree_another_build_swapped_in(mini):
    import os
    import shutil

    assert run(mini, "--quiet").returncode == 0
    page = mini / "content" / "beta.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n{SENTENCE}\n", encoding="utf-8")
    out = mini / "output"

    def another_build_swaps_its_tree_in(stage: str) -> None:
        if stage == "written":  # as an older generator, or a build on another machine sharing the folder, might
            shutil.copytree(out, mini / "theirs")
            (mini / "theirs" / "beta.html").write_text("their page", encoding="utf-8")
            os.rename(out, mini / "ours")
            os.rename(mini / "theirs", out)

    config = load_config(mini / "site.yaml")
    build(config, DiskMemo.of(config.root, config.output_dir, config.config_location), progress=another_build_swaps_its_tree_in, lock=False)
    again = run(mini)
    assert again.returncode == 0 and not again.stdout.startswith("up to date")
    assert SENTENCE in (out / "beta.html").read_text(encoding="utf-8")
