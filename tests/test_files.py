"""Files that are not what they seem: named pipes, a full disk, an output folder one may not write
to or cannot move. Each is a located message; nothing hangs; the preview keeps answering."""
import errno
import os
import shutil
import subprocess
import sys

import pytest

from briefing import write
from briefing.config import load_config
from briefing.errors import BuildError
from briefing.pipeline import build
from tests.conftest import ROOT
from tests.sitecheck import tree
from tests.test_serve import Server


def run(site, *args, timeout=60):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml"), *args],
                          capture_output=True, text=True, cwd=site, timeout=timeout)


def test_a_full_disk_is_a_located_message_and_output_is_left_as_it_was(mini, monkeypatch):
    build(load_config(mini / "site.yaml"))
    before = tree(mini / "output")
    (mini / "content" / "beta.md").write_text((mini / "content" / "beta.md").read_text() + "\nMore.\n")

    def full(self, name, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(self.root, name))

    monkeypatch.setattr(write.Staging, "write", full)
    with pytest.raises(BuildError) as caught:
        build(load_config(mini / "site.yaml"))
    [problem] = caught.value.problems
    assert str(problem) == f"--output: the disk is full (No space left on device, writing {mini / 'output'}); free some space and build again"
    assert tree(mini / "output") == before
    assert [p.name for p in mini.iterdir() if p.name.startswith(".output")] == []


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs a read-only /sys")
def test_an_output_folder_one_may_not_write_to(mini):
    result = run(mini, "--output", "/sys/briefing-output")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == ("--output: cannot write the site into /sys/briefing-output (Operation not permitted); "
                                             "choose a folder you may write to with --output")


def _can_mount() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs unshare to bind-mount in a private namespace")
def test_an_output_folder_that_is_a_mount_point_gets_its_contents_swapped(mini):
    out = mini / "out"
    out.mkdir()
    build_command = f"{sys.executable} {ROOT / 'build.py'} --config {mini / 'site.yaml'} --output {out} --quiet"
    script = (f"mount --bind {out} {out} && {build_command} && echo 'More.' >> {mini / 'content' / 'beta.md'} "
              f"&& {build_command} && {build_command} && grep -c More. {out / 'beta.html'}")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, cwd=mini, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "1"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".briefing-output"]
    expected = build(load_config(mini / "site.yaml", output_dir=out), write=False).files
    assert {name: data for name, data in tree(out).items() if name != ".briefing-output"} == dict(expected)


def test_named_pipes_hang_nothing(mini):
    os.mkfifo(mini / "content" / "pipe.md")
    os.mkfifo(mini / "seeds" / "pipe.txt")
    os.mkfifo(mini / "templates" / "pipe.html")
    result = run(mini, timeout=30)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:-1] == [
        "content/pipe.md: this is not a regular file (a named pipe, socket or device); replace it with a file or remove it",
        "seeds/pipe.txt: warning: this file is not listed in `sources` in site.yaml, so it is not published; add a `sources` entry for it, or remove it",
        "templates/pipe.html: this is not a regular file (a named pipe, socket or device); replace it with a file or remove it",
    ]


def test_the_preview_keeps_answering_when_a_named_pipe_appears(mini):
    server = Server(mini).wait_serving()
    try:
        built = server.status()["builds"]
        os.mkfifo(mini / "content" / "pipe.md")
        (mini / "content" / "alpha.md").write_text((mini / "content" / "alpha.md").read_text() + "\nMore.\n")
        status = server.wait_build(built)
        assert status["problems"] == [
            "content/pipe.md: this is not a regular file (a named pipe, socket or device); replace it with a file or remove it"]
        code, _, body = server.get("/mini/alpha.html")
        assert code == 200, (body[:300], server.stdout, server.stderr)
    finally:
        server.stop()
