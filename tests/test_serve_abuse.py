"""The preview server under abuse: hostile and malformed requests over raw sockets never read a file
outside the site nor stop the server, and a burst of saves, some of them broken, leaves it serving
the last good build with the right problems."""
from __future__ import annotations

import errno
import random
import re
import resource
import shutil
import socket
import struct
import time
from pathlib import Path

import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.test_serve import PREVIEW_SCRIPT, WAIT, Server, assert_served_equals_cold_build, save

SECRETS = {  # where each planted file lies, and its bytes
    "beside": b"S3CRET-beside-the-project-5e1d",
    "inside": b"S3CRET-in-the-project-9a07",
    "unlisted": b"S3CRET-seed-not-in-site-yaml-c2b4",
}
REQUESTS = 1000
BATCH = 100


# -- talking to the server over a raw socket -------------------------------------------------------
def exchange(port: int, payload: bytes, *, vanish: bool = False) -> bytes:
    """Send `payload`, say that nothing more comes (EOF), and read until the server closes.

    A server that closes before it has read everything (a huge header, say) is an answer too.
    With `vanish`, the client instead resets the connection right after sending, reading nothing.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        try:
            sock.sendall(payload)
            if vanish:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return b""
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except OSError as exc:  # the server may close first: shutting down a closed socket is ENOTCONN
            if exc.errno != errno.ENOTCONN:
                raise
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def responses(data: bytes, head: bool) -> list[tuple[int, bytes]]:
    """The (status, body) of each HTTP response in `data`, one after another; fails on anything else."""
    found = []
    while data:
        status = re.match(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n", data)
        assert status, data[:200]
        header, _, rest = data.partition(b"\r\n\r\n")
        length = re.search(rb"\r\ncontent-length: *(\d+)\r\n", header + b"\r\n", re.IGNORECASE)
        size = 0 if head and not found else int(length.group(1)) if length else len(rest)
        found.append((int(status.group(1)), rest[:size]))
        data = rest[size:]
    return found


class Abuse:
    """The site, the planted secrets, and what a 200 may answer with: a file of the site, the
    live-reload script or the build status."""

    def __init__(self, server: Server, site: Path):
        self.server = server
        self.site = site
        self.files = {path.read_bytes() for path in (site / "output").rglob("*") if path.is_file() and not path.is_symlink()}
        self.index = (site / "output" / "index.html").read_bytes()
        self.answered = 0
        self.codes: dict[int, int] = {}

    def check(self, payload: bytes, response: bytes) -> None:
        for secret in SECRETS.values():
            assert secret not in response, payload[:200]
        answers = responses(response, head=payload.startswith(b"HEAD "))  # HTTP answers or none
        for code, body in answers:
            self.codes[code] = self.codes.get(code, 0) + 1
            assert code < 500, (payload[:200], response[:300])  # a 500 would be our own bug
            if code == 200 and payload.startswith(b"GET "):
                body = PREVIEW_SCRIPT.sub(b"", body, count=1)
                assert body in self.files or body.startswith(b'{"ok"') or b"LiveReload" in body[:2000], payload[:200]
        self.answered += bool(answers)

    def still_serving(self) -> None:
        assert self.server.process.poll() is None, self.server.stderr
        code, _, body = self.server.get("/mini/index.html")
        assert code == 200 and PREVIEW_SCRIPT.sub(b"", body, count=1) == self.index


@pytest.fixture
def abuse(mini, tmp_path):
    (tmp_path / "secret-beside.txt").write_bytes(SECRETS["beside"])
    (mini / "secret-inside.txt").write_bytes(SECRETS["inside"])
    (mini / "seeds" / "unlisted.txt").write_bytes(SECRETS["unlisted"])
    server = Server(mini).wait_serving()
    abuse = Abuse(server, mini)
    (mini / "output" / "leak.txt").symlink_to(tmp_path / "secret-beside.txt")  # planted in the output folder
    (mini / "output" / "sources" / "leak").symlink_to(tmp_path)
    try:
        yield abuse
    finally:
        assert server.stop() == 0
        assert not [line for line in server.stderr if "Traceback" in line], server.stderr


# -- the requests -------------------------------------------------------------------------------------
UP = ["../", "..%2f", "..%2F", "%2e%2e/", "%2E%2E%2F", "%2e%2e%2f", ".%2e/", "%2e./", "%252e%252e/", "%252e%252e%252f",
      "..%252f", "..\\", "..%5c", "..%5C", "%2e%2e%5c", "%c0%ae%c0%ae/", "..%c0%af", "..%c1%9c", "%u002e%u002e/", "....//",
      "..;/", ".../", "..%00/", "%2e%2e%00/", "..\x00/", "%e0%80%ae%e0%80%ae/", "%%32%65%%32%65/", "..%09/", "..%20/", ".%00./"]
PREFIXES = ["/", "/mini/", "/mini/sources/", "/mini/sources/files/", "/mini/assets/", "//", "/mini//", "/mini/./", "\\mini\\",
            "/mini/%2f", "/mini/sources/leak/", "/mini/nothing/", "/mini/index.html/"]
TARGETS = ["secret-inside.txt", "secret-beside.txt", "mini/secret-inside.txt", "seeds/unlisted.txt", "mini/seeds/unlisted.txt",
           "site.yaml", "leak.txt", "etc/passwd", "proc/self/environ", "output/leak.txt"]
SUFFIXES = ["", "", "", "%00", "%00.html", "\x00.html", "?x=1", "#frag", "%23", "/", ";.html"]
METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "MKCOL", "get", "G\x00ET", "GETT",
           "HEAD\x00", "X" * 5000, "", "\xff\xfe"]


def traversal(rng: random.Random, port: int, tmp: Path) -> bytes:
    kind = rng.random()
    if kind < 0.12:  # an absolute path on this machine, however written
        path = rng.choice(["/", "/mini/", "//", "/mini/%2f", "file://", f"http://127.0.0.1:{port}/"]) + rng.choice(
            [str(tmp / "secret-beside.txt").lstrip("/"), str(tmp / "mini" / "secret-inside.txt").lstrip("/"), "etc/passwd"])
    else:
        up = "".join(rng.choice(UP) for _ in range(rng.randint(1, 5)))
        path = rng.choice(PREFIXES) + up + rng.choice(TARGETS) + rng.choice(SUFFIXES)
    if rng.random() < 0.1:
        path = path.replace("/", "\\")
    method = rng.choice(["GET", "GET", "GET", "HEAD"])
    version = rng.choice(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"])
    return f"{method} {path} {version}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode("latin-1")


def non_utf8(rng: random.Random, port: int) -> bytes:
    junk = bytes(rng.choice([0x80, 0xC0, 0xC1, 0xE0, 0xED, 0xF5, 0xFE, 0xFF, 0xA0, 0x00, 0x7F]) for _ in range(rng.randint(1, 6)))
    encoded = "".join(f"%{byte:02x}" for byte in junk).encode()
    path = rng.choice([b"/mini/" + junk, b"/mini/" + encoded, b"/mini/" + junk + b"/../secret-inside.txt",
                       b"/mini/" + encoded + b"%2e%2e/secret-inside.txt", b"/" + junk + b"/../../secret-beside.txt"])
    return b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port


def malformed(rng: random.Random, port: int) -> bytes:
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    cases = [
        b"\r\n\r\n", b"GET\r\n\r\n", b"GET /mini/\r\n\r\n", b"GET /mini/ HTTP/9.9\r\n" + host + b"\r\n",
        b"GET /mini/ HTTX/1.1\r\n" + host + b"\r\n", b"GET  /mini/  HTTP/1.1\r\n" + host + b"\r\n",
        b"GET /mini/ HTTP/1.1\n" + host.replace(b"\r", b"") + b"\n",
        b"GET /mini/ HTTP/1.1\r\nHost\r\n\r\n", b"GET /mini/ HTTP/1.1\r\n: no name\r\n" + host + b"\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b" folded continuation\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * rng.choice([70_000, 200_000, 1_000_000]) + b"\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"".join(b"X-%d: %d\r\n" % (n, n) for n in range(rng.choice([2_000, 10_000]))) + b"\r\n",
        b"GET /mini/" + b"a" * rng.choice([8_000, 70_000, 300_000]) + b" HTTP/1.1\r\n" + host + b"\r\n",
        b"GET /mini/" + b"../" * rng.choice([1_000, 30_000]) + b"secret-inside.txt HTTP/1.1\r\n" + host + b"\r\n",
        b"GET /mini/" + b"%2e%2e/" * 5_000 + b"secret-beside.txt HTTP/1.1\r\n" + host + b"\r\n",
        b"POST /mini/ HTTP/1.1\r\n" + host + b"Content-Length: -1\r\n\r\n",
        b"POST /mini/ HTTP/1.1\r\n" + host + b"Content-Length: 99999999999999999999\r\n\r\nabc",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffff\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"GET /mini/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\nHost: ../../secret-inside.txt\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"X-\xff: \xfe\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"GET /livereload HTTP/1.1\r\n" + host + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: x\r\nOrigin: http://evil.example\r\n\r\n",
        b"GET /mini/ HTTP/1.1\r\n" + host + b"\r\nGET /mini/../secret-inside.txt HTTP/1.1\r\n" + host + b"\r\n",
        b"GET /__briefing__/status/../../secret-inside.txt HTTP/1.1\r\n" + host + b"\r\n",
        b"GET /livereload.js/../secret-inside.txt HTTP/1.1\r\n" + host + b"\r\n",
        bytes(rng.randrange(256) for _ in range(rng.randint(1, 4000))),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64),  # a TLS hello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ]
    return rng.choice(cases)


def bad_method(rng: random.Random, port: int) -> bytes:
    method = rng.choice(METHODS)
    path = rng.choice(["/mini/", "/mini/index.html", "/mini/../secret-inside.txt", "*", "/__briefing__/status"])
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n".encode("latin-1")


def truncated(rng: random.Random, port: int) -> bytes:
    whole = f"GET /mini/../secret-inside.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    return whole[: rng.randrange(1, len(whole) - 1)]


def test_a_thousand_hostile_requests_read_nothing_outside_the_site_and_never_stop_the_server(abuse, tmp_path):
    rng = random.Random(20240601)
    port = abuse.server.port
    makers = [(0.55, lambda: traversal(rng, port, tmp_path)), (0.1, lambda: non_utf8(rng, port)),
              (0.15, lambda: malformed(rng, port)), (0.07, lambda: bad_method(rng, port)), (0.08, lambda: truncated(rng, port))]
    sent = 0
    while sent < REQUESTS:
        for _ in range(BATCH - 5):
            pick, make = rng.random(), None
            for share, maker in makers:
                if pick < share:
                    make = maker
                    break
                pick -= share
            payload = (make or (lambda: truncated(rng, port)))()
            abuse.check(payload, exchange(port, payload, vanish=rng.random() < 0.1))
            sent += 1
        # Slowloris: requests left unfinished, held open while others are served, then dropped.
        held = []
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            sock.sendall(b"GET /mini/../secret-inside.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)
            sent += 1
        time.sleep(0.05)
        for sock in held:
            sock.sendall(b"a")
        abuse.still_serving()  # while those hang
        for sock in held:
            sock.close()
        abuse.still_serving()
    assert sent == REQUESTS
    print(f"\n{sent} requests: {abuse.answered} answered, by status {dict(sorted(abuse.codes.items()))}")
    assert abuse.answered > REQUESTS // 2  # most got an HTTP answer (the rest were closed unanswered)
    assert abuse.codes.get(400) and abuse.codes.get(404) and abuse.codes.get(405)


def test_a_flood_of_connections_left_open_neither_exhausts_the_server_nor_locks_the_author_out(mini):
    """With 128 file descriptors the server keeps at most 64 connections; 3 x 128 slowloris
    connections would otherwise leave it unable to accept (and spinning on the failing accept)."""
    limit = 128
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    server = Server(mini, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))).wait_serving()
    index = (mini / "output" / "index.html").read_bytes()
    held = []
    try:
        for _ in range(3 * limit):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
            sock.sendall(b"GET /mini/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)
        code, _, body = server.get("/mini/index.html")  # served during the flood
        assert code == 200 and PREVIEW_SCRIPT.sub(b"", body, count=1) == index
        closed = 0
        for sock in held:  # the oldest were closed to make room, unanswered
            sock.setblocking(False)
            try:
                data = sock.recv(1)
            except BlockingIOError:  # still open, waiting for the rest of its request
                continue
            except ConnectionResetError:
                data = b""
            assert data == b""
            closed += 1
        assert 3 * limit - limit // 2 <= closed < 3 * limit
    finally:
        for sock in held:
            sock.close()
        assert server.process.poll() is None
        code, _, body = server.get("/mini/index.html")
        assert server.stop() == 0
    assert code == 200 and PREVIEW_SCRIPT.sub(b"", body, count=1) == index
    assert not [line for line in server.stderr if "Traceback" in line or "Too many open files" in line], server.stderr[:20]


# -- a burst of saves, a third of them broken ---------------------------------------------------------
SAVES = 200
GOOD_LINE = 'Revision {n}. The essay calls the pact fragile [@essay "argues the pact is fragile" prefix="The essay"].'


def revision(n: int, broken: bool) -> tuple[str, int | None, str | None]:
    """The text of beta.md at save `n`; for a broken save, also the line and quote of its misquote."""
    lines = ["---", "title: Beta", "---", GOOD_LINE.format(n=n), ""]
    for k in range(n % 7):  # so that the misquote's line differs from save to save
        lines += [f"Filler paragraph {k} of revision {n}.", ""]
    if not broken:
        return "\n".join(lines) + "\n", None, None
    quote = f"argues the pact is sturdy in revision {n}"
    lines.append(f"A misquote [@essay \"{quote}\"].")
    return "\n".join(lines) + "\n", len(lines), quote


def expected_problem(line: int, quote: str) -> str:
    return f'content/beta.md:{line}: quote not found in seeds/essay.txt: "{quote}"'


def wait_until(condition, server: Server, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"{what}: {server.status()} {server.stderr[-5:]}"
        time.sleep(0.02)


def served_revision(server: Server) -> str:
    body = server.get("/mini/beta.html")[2].decode("utf-8")
    found = re.findall(r"Revision (\d+)\.", body)
    return found[0] if len(found) == 1 else f"unclear: {found}"


def cold_build_of(site: Path, text: str, folder: Path) -> Path:
    """A cold build of the site with beta.md as `text`, from a copy (the site itself holds another text)."""
    copy = folder / "mini"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("output", ".output*", ".cache"))
    (copy / "content" / "beta.md").write_text(text, encoding="utf-8")
    build(load_config(copy / "site.yaml", output_dir=folder / "cold"))
    return folder / "cold"


@pytest.mark.parametrize("last", ["good", "broken"])
def test_burst_of_saves_some_broken_leaves_the_last_good_build_and_the_right_problems(mini, tmp_path, browser, last):
    rng = random.Random(7)
    broken_saves = {n for n in range(SAVES) if n % 3 == (1 if last == "broken" else 0)}
    assert len(broken_saves) in (66, 67) and ((SAVES - 1) in broken_saves) == (last == "broken")
    beta = mini / "content" / "beta.md"
    server = Server(mini).wait_serving()
    try:
        texts = {}
        for n in range(SAVES):  # saved as editors save, with now and then a pause long enough for a rebuild
            texts[n] = revision(n, n in broken_saves)
            save(beta, texts[n][0])
            time.sleep(rng.choice([0, 0, 0, 0, 0.002, 0.02, 0.06]))
        text, line, quote = texts[SAVES - 1]
        if last == "good":
            wait_until(lambda: server.status()["ok"] and served_revision(server) == str(SAVES - 1), server, "the last save")
        else:
            wait_until(lambda: any(p.startswith(expected_problem(line, quote)) for p in server.status()["problems"]),
                       server, "the last save's problem")
        status = server.status()
        shown = served_revision(server)
        print(f"\n{SAVES} saves ({len(broken_saves)} broken, the last {last}): {status['builds'] - 1} rebuilds, revision {shown} served")
        if last == "good":
            assert status["ok"] and status["problems"] == []
            assert shown == str(SAVES - 1)
        else:
            assert not status["ok"] and len(status["problems"]) == 1
            assert status["problems"][0].startswith(expected_problem(line, quote) + "; closest passage")
            assert shown.isdigit() and int(shown) not in broken_saves  # a good save's page, whole
        # Everything served, and output/, is exactly a cold build of the revision shown.
        assert_served_equals_cold_build(server, mini, cold_build_of(mini, texts[int(shown)][0], tmp_path / "shown"))
        assert_overlay(browser, server, status["problems"], shown)

        # And precisely: a good save, served; then a broken one: its problem over that page.
        good, _, _ = revision(SAVES, broken=False)
        save(beta, good)
        wait_until(lambda: server.status()["ok"] and served_revision(server) == str(SAVES), server, "a good save")
        broken, line, quote = revision(SAVES + 1, broken=True)
        save(beta, broken)
        wait_until(lambda: any(p.startswith(expected_problem(line, quote)) for p in server.status()["problems"]), server, "a broken save")
        assert served_revision(server) == str(SAVES)
        assert_served_equals_cold_build(server, mini, cold_build_of(mini, good, tmp_path / "last-good"))
        assert_overlay(browser, server, server.status()["problems"], str(SAVES))
    finally:
        assert server.stop() == 0


def assert_overlay(browser, server: Server, problems: list[str], revision_shown: str) -> None:
    page = browser.new_page()
    try:
        page.goto(server.url + "beta.html")
        assert f"Revision {revision_shown}." in page.inner_text("main")
        overlay = page.locator("#briefing-problems")
        if problems:
            overlay.wait_for(timeout=WAIT * 1000)
            text = overlay.inner_text()
            assert all(problem in text for problem in problems)
        else:
            page.wait_for_load_state("load")
            assert overlay.count() == 0
    finally:
        page.close()
