"""`python build.py serve`, as an author uses it: a real server process on a copy of the fixture
site, real files saved the way editors save them, a real Chromium watching the page."""
import argparse
import gc
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import weakref
from pathlib import Path

import pytest

from benchmarks.serve_latency import free_port, save  # as editors save: a temporary file renamed over the page
from briefing.config import load_config
from briefing.pipeline import build
from briefing.serve import FULL_COLLECTION_EVERY, Preview, site_path
from briefing.write import MARKER
from tests.conftest import ROOT
from tests.sitecheck import tree

CONNECTED = "window.LiveReload && window.LiveReload.connector && window.LiveReload.connector.protocol >= 7"
PREVIEW_SCRIPT = re.compile(rb"<script data-briefing-preview>.*?</script>\n", re.DOTALL)
WAIT = 30  # seconds: a bound for waiting on the server, not a speed requirement


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    save(path, text.replace(old, new, 1))


class Server:
    """`python build.py serve` on a site, its output collected as it comes."""

    def __init__(self, site: Path, *args: str, port: int | None = None, **popen):
        self.site = site
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--config", str(site / "site.yaml"), "--port", str(self.port), *args],
            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.serving = threading.Event()
        self.threads = [threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
                        for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))]
        for thread in self.threads:
            thread.start()

    def _drain(self, stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))
            if line.startswith("Serving on "):
                self.url = line.split()[2]
                self.serving.set()

    def wait_serving(self) -> "Server":
        assert self.serving.wait(WAIT), f"the server did not start: {self.stdout} {self.stderr}"
        return self

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def status(self) -> dict:
        return json.loads(self.get("/__briefing__/status")[2])

    def wait_build(self, after: int) -> dict:
        """Wait until the server has finished a build beyond the `after`th; return its status."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status = self.status()
            if status["builds"] > after:
                return status
            time.sleep(0.02)
        raise AssertionError(f"no build finished: {self.stdout} {self.stderr}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("the server did not stop on Ctrl-C")
        for thread in self.threads:
            thread.join(WAIT)
        return self.process.returncode


@pytest.fixture
def server(mini):
    running = Server(mini).wait_serving()
    yield running
    running.stop()


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def open_page(browser, url: str):
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function(CONNECTED)
    return page


# -- the author's loop, in the browser -----------------------------------------------------------
def test_saved_edit_appears_in_the_open_page(browser, server, mini):
    page = open_page(browser, server.url + "alpha.html")
    replace_in(mini / "content" / "alpha.md", "Officials gave a figure", "Officials announced a figure")
    page.get_by_text("Officials announced a figure").wait_for(timeout=WAIT * 1000)
    assert page.url == server.url + "alpha.html"
    # The live-reload script is added to responses only, never to the files written.
    assert b"data-briefing-preview" not in (mini / "output" / "alpha.html").read_bytes()
    assert b"data-briefing-preview" in server.get("/mini/alpha.html")[2]
    page.close()


def test_body_edit_is_swapped_in_place_and_head_edit_reloads(browser, server, mini):
    page = open_page(browser, server.url + "alpha.html")
    page.evaluate("window.samePage = true")
    replace_in(mini / "content" / "alpha.md", "Officials gave a figure", "Officials announced a figure")
    page.get_by_text("Officials announced a figure").wait_for(timeout=WAIT * 1000)
    assert page.evaluate("window.samePage") is True  # only the body changed: swapped, not reloaded
    replace_in(mini / "content" / "alpha.md", "title: Alpha", "title: Alpha, revised")
    page.wait_for_function("document.title.startsWith('Alpha, revised')", timeout=WAIT * 1000)
    assert page.evaluate("window.samePage") is None  # the <head> changed too: reloaded
    page.close()


def test_failed_build_shows_every_problem_over_the_last_good_page_until_fixed(browser, server, mini):
    page = open_page(browser, server.url + "beta.html")
    beta = mini / "content" / "beta.md"
    good = beta.read_text(encoding="utf-8")
    save(beta, good.replace('"argues the pact is fragile"', '"argues that the pact is fragile"')
         + '\nAnd <img src=x onerror="window.pwned=1"> [@essay "<b>not there</b>"].\n')
    overlay = page.locator("#briefing-problems")
    overlay.wait_for(timeout=WAIT * 1000)
    text = overlay.inner_text()
    assert 'content/beta.md:4: quote not found in seeds/essay.txt: "argues that the pact is fragile"' in text
    assert 'content/beta.md:6: quote not found in seeds/essay.txt: "<b>not there</b>"' in text  # shown as text
    assert page.evaluate("window.pwned") is None and page.locator("#briefing-problems b").count() == 0
    assert "The essay calls the pact fragile" in page.inner_text("main")  # the last good page stays
    assert any(line.startswith("content/beta.md:4: quote not found") for line in server.stderr)

    save(beta, good.replace("The essay calls the pact fragile", "The essay now calls the pact fragile"))
    page.get_by_text("The essay now calls the pact fragile").wait_for(timeout=WAIT * 1000)
    assert page.locator("#briefing-problems").count() == 0
    page.close()


def test_stylesheet_edit_applies_without_reloading_the_page(browser, server, mini):
    page = open_page(browser, server.url + "alpha.html")
    page.evaluate("window.stillTheSamePage = 42")
    css = mini / "templates" / "assets" / "style.css"
    save(css, css.read_text(encoding="utf-8") + "\nbody { background-color: rgb(1, 2, 3); }\n")
    page.wait_for_function("getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'", timeout=WAIT * 1000)
    assert page.evaluate("window.stillTheSamePage") == 42
    page.close()


# -- what is served: equal to a cold build after every kind of change -----------------------------
def assert_served_equals_cold_build(server: Server, site: Path, cold: Path) -> None:
    expected = tree(cold)
    assert tree(site / "output") == expected, "output/ differs from a cold build"
    for name, data in expected.items():
        if name == MARKER:  # marks the folder as a build's; not part of the site
            continue
        status, _, body = server.get("/mini/" + name)
        assert status == 200, name
        assert (PREVIEW_SCRIPT.sub(b"", body, count=1) if name.endswith(".html") else body) == data, name


def test_served_site_equals_a_cold_build_after_each_kind_of_change(server, mini, tmp_path):
    changes = {
        "page": lambda: replace_in(mini / "content" / "alpha.md", "Officials gave a figure", "Officials quoted a figure"),
        "seed": lambda: save(mini / "seeds" / "essay.txt", (mini / "seeds" / "essay.txt").read_text() + "A later line.\n"),
        "template": lambda: replace_in(mini / "templates" / "page.html", '<div class="body">', '<div class="body prose">'),
        "site.yaml": lambda: replace_in(mini / "site.yaml", 'title: "Mini briefing"', 'title: "Mini briefing, revised"'),
        "new page": lambda: save(mini / "content" / "gamma.md", "---\ntitle: Gamma\n---\nLater [@essay \"A later line.\"].\n"),
        "deleted page": lambda: (mini / "content" / "gamma.md").unlink(),
        "new asset": lambda: save(mini / "templates" / "assets" / "print.css", "@media print { nav { display: none; } }\n"),
    }
    for number, (kind, change) in enumerate(changes.items()):
        builds = server.status()["builds"]
        change()
        status = server.wait_build(builds)
        assert status["ok"], (kind, status)
        cold = tmp_path / f"cold-{number}"
        build(load_config(mini / "site.yaml", output_dir=cold))
        assert_served_equals_cold_build(server, mini, cold)
    assert not (mini / "output" / "gamma.html").exists()


def test_editor_litter_and_the_build_output_trigger_no_rebuild(server, mini):
    content = mini / "content"
    builds = server.status()["builds"]
    for litter in (".alpha.md.swp", ".alpha.md.swx", "alpha.md~", "#alpha.md#", "4913", "alpha.md.tmp", "x___jb_tmp___"):
        (content / litter).write_text("litter")
        (content / litter).unlink()
    (mini / "output" / "stray.html").write_text("written by something else")
    time.sleep(0.5)  # longer than the quiet period: a rebuild caused by any of that would start now
    replace_in(content / "beta.md", "calls the pact", "names the pact")  # the one real change
    status = server.wait_build(builds)
    assert status["builds"] == builds + 1 and status["ok"]
    time.sleep(0.5)  # a rebuild caused by the build's own writes would come now
    assert server.status()["builds"] == builds + 1


def test_burst_of_saves_is_one_rebuild(server, mini):
    builds = server.status()["builds"]
    beta = mini / "content" / "beta.md"
    # vim's way: probe file, move the page to a backup, write the page anew, delete the backup.
    (mini / "content" / "4913").write_text("")
    (mini / "content" / "4913").unlink()
    os.replace(beta, mini / "content" / "beta.md~")
    beta.write_text((mini / "content" / "beta.md~").read_text().replace("calls the pact", "names the pact"))
    (mini / "content" / "beta.md~").unlink()
    status = server.wait_build(builds)
    assert status == {"ok": True, "problems": [], "builds": builds + 1}
    assert "names the pact" in server.get("/mini/beta.html")[2].decode()


def test_first_build_failing_serves_the_problems_then_the_site(mini):
    beta = mini / "content" / "beta.md"
    good = beta.read_text()
    beta.write_text(good.replace('"argues the pact is fragile"', '"argues that the pact is fragile"'))
    running = Server(mini).wait_serving()
    try:
        status = running.status()
        assert not status["ok"] and status["problems"][0].startswith("content/beta.md:4: quote not found")
        code, _, body = running.get("/mini/alpha.html")
        assert code == 503 and b"data-briefing-preview" in body
        builds = status["builds"]
        save(beta, good)
        assert running.wait_build(builds)["ok"]
        assert running.get("/mini/alpha.html")[0] == 200
    finally:
        assert running.stop() == 0


# -- safe by default ------------------------------------------------------------------------------
SECRET = "do-not-serve-8c1f"
TRAVERSALS = [
    "/../site.yaml", "/mini/../site.yaml", "/mini/../secret.txt", "/mini/%2e%2e/site.yaml", "/mini/%2E%2E/secret.txt",
    "/mini/%252e%252e/site.yaml", "/mini/%252e%252e/%252e%252e/secret.txt", "/mini/..%2fsite.yaml", "/mini/..%2Fsecret.txt",
    "/mini/..%5csite.yaml", "/mini/..\\site.yaml", "/mini/..\\..\\secret.txt", "//etc/passwd", "/mini//etc/passwd",
    "/mini/%2fetc%2fpasswd", "/mini/%00", "/mini/alpha.html%00.txt", "/mini/./../site.yaml", "/mini/sources/..%2f..%2fsite.yaml",
    "/mini/%c0%ae%c0%ae/site.yaml", "/mini/%ff", "/mini/leak.txt", "/mini/sources/files/../../../secret.txt", "/%2e%2e/site.yaml",
    "/mini/output/../site.yaml", "/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_request_reads_a_file_outside_the_site(server, mini, path):
    (mini / "secret.txt").write_text(SECRET)
    if not (mini / "output" / "leak.txt").exists():
        (mini / "output" / "leak.txt").symlink_to(mini / "secret.txt")
    response = raw_request(server.port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode("latin-1"))
    status = int(response.split(b" ", 2)[1])
    assert status in (400, 403, 404), (path, response[:200])
    assert SECRET.encode() not in response and b"sources:" not in response and b"root:" not in response


def test_other_request_forms_read_nothing_outside(server, mini):
    (mini / "secret.txt").write_text(SECRET)
    for request in (f"GET http://127.0.0.1:{server.port}/mini/../secret.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                    "GET ../secret.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                    "GET /mini/../secret.txt HTTP/1.0\r\n"):
        response = raw_request(server.port, (request + "Connection: close\r\n\r\n").encode())
        assert SECRET.encode() not in response and int(response.split(b" ", 2)[1]) >= 400, request


def test_only_get_and_head(server):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = raw_request(server.port, f"{method} /mini/alpha.html HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        assert response.startswith(b"HTTP/1.1 405 "), method
        assert b"\r\nAllow: GET, HEAD\r\n" in response
    head = raw_request(server.port, b"HEAD /mini/alpha.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    headers, _, body = head.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 200 ") and body == b""
    assert b"Content-Length: %d" % len(server.get("/mini/alpha.html")[2]) in headers


def test_other_host_names_are_refused(server):
    response = raw_request(server.port, b"GET /mini/alpha.html HTTP/1.1\r\nHost: attacker.example:80\r\nConnection: close\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 403 ")


def test_folders_and_missing_pages(server):
    assert server.get("/mini/")[2] == server.get("/mini/index.html")[2]
    code, _, body = server.get("/mini/no-such-page.html")
    assert code == 404 and b"Page not found" in body and b"data-briefing-preview" in body
    assert server.get("/mini/sources")[0] == 200  # redirected to sources/
    assert server.get("/")[0] == 200  # redirected to the site's base path, /mini/


@pytest.mark.parametrize("encoded, name", [
    ("", "index.html"), ("alpha.html", "alpha.html"), ("sources/", "sources/index.html"), ("a%20b.html", "a b.html"),
    ("..", None), ("%2e%2e/x", None), ("a/../b", None), ("a//b", None), ("/etc/passwd", None), ("a%5Cb", None),
    ("a%00", None), ("%252e%252e/x", "%2e%2e/x"), ("%ff", None), ("./a", None),
])
def test_site_path(encoded, name):
    assert site_path(encoded) == name


def test_port_in_use_is_a_clear_message(mini):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "serve", "--config", str(mini / "site.yaml"), "--port", str(port)],
                                capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"cannot serve on 127.0.0.1:{port}: the port is already in use (is another preview running?); "
                                     f"choose another with --port, e.g. --port {port + 1}")


def test_other_hosts_only_when_asked_with_a_warning(mini):
    running = Server(mini, "--host", "0.0.0.0").wait_serving()
    try:
        assert running.stderr[0].startswith("warning: serving on 0.0.0.0: anyone who can reach this machine can read the preview")
    finally:
        running.stop()


def test_ctrl_c_stops_cleanly_leaving_nothing_behind(mini):
    running = Server(mini).wait_serving()
    builds = running.status()["builds"]
    replace_in(mini / "content" / "beta.md", "calls the pact", "names the pact")
    assert running.wait_build(builds)["ok"]
    assert running.stop() == 0
    assert running.stdout[-1] == "stopped" and not [line for line in running.stderr if "Traceback" in line]
    leftovers = [p.name for p in mini.iterdir() if p.name.startswith(".output")]
    leftovers += [p.name for p in (mini / "output").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    with socket.socket() as sock:  # nothing listens on the port any more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", running.port))
        sock.listen()


def test_a_page_saved_during_the_first_build_is_built_before_long(tmp_path):
    """The first build runs before the watcher starts (it may fork workers): a save made meanwhile
    is found by comparing the inputs' digests, and built."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic import make_site

    site = make_site(tmp_path / "site", pages=400, sources=20)
    server = Server(site)
    try:
        deadline = time.monotonic() + WAIT
        while not any(line.startswith("building ") for line in server.stdout) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.3)  # the pages have been read by now; the build goes on parsing and rendering
        assert not server.serving.is_set(), "the first build was over before the save: make the site bigger"
        replace_in(site / "content" / "page-0001.md", "## Findings", "## Findings saved during the first build")
        server.wait_serving()
        assert server.wait_build(after=1)["ok"]
        assert b"Findings saved during the first build" in server.get("/page-0001.html")[2]
        build(load_config(site / "site.yaml", output_dir=tmp_path / "cold"))
        assert tree(site / "output") == tree(tmp_path / "cold")
    finally:
        assert server.stop() == 0


class Cyclic:
    def __init__(self) -> None:
        self.itself = self  # freed only by the cyclic collector


def test_idle_collections_skip_what_survived_but_free_it_in_every_tenth(mini):
    preview = Preview(load_config(mini / "site.yaml"), argparse.Namespace(config=str(mini / "site.yaml"), output=None, base_url=None,
                                                                          strict=False, quiet=True, verbose=False))
    collecting = gc.isenabled()
    gc.disable()
    try:
        kept = Cyclic()
        kept_ref = weakref.ref(kept)
        preview.collect()  # the first collection walks everything, then freezes what survived: `kept`
        del kept
        young = weakref.ref(Cyclic())  # made after the freeze: the next collection frees it
        for _ in range(FULL_COLLECTION_EVERY - 1):
            preview.collect()
            assert young() is None
            assert kept_ref() is not None  # frozen: not walked
        preview.collect()
        assert kept_ref() is None  # the tenth walks everything again
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
