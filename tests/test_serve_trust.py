"""The preview answers only this machine, on every endpoint; a seed is never served as an active
page; a base_url with non-ASCII characters works as browsers send it."""
import asyncio
import concurrent.futures
import http.client
import json

import pytest
import tornado.httpclient
import tornado.websocket

from tests.test_serve import Server

PAYLOAD = "<html><body><script>window.__pwned = 1</script></body></html>\n"


async def _socket(port: int, headers: dict[str, str], messages: list) -> str | None:
    """Connect to the live-reload socket with `headers`, send `messages`, then the protocol's hello; its answer."""
    request = tornado.httpclient.HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers=headers)
    connection = await tornado.websocket.websocket_connect(request)
    try:
        for message in messages:
            await connection.write_message(message, binary=isinstance(message, bytes))
        await connection.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        return await asyncio.wait_for(connection.read_message(), 10)
    finally:
        connection.close()


def socket(port: int, headers: dict[str, str], messages: list = ()) -> str | None:
    """`_socket` on an event loop of its own thread (the browser tests' driver may run one in this thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _socket(port, headers, list(messages))).result()


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """One GET, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture
def server(mini):
    server = Server(mini).wait_serving()
    yield server
    assert server.stop() == 0
    assert not [line for line in server.stderr if "Traceback" in line or "Error" in line], server.stderr


def test_the_live_reload_socket_refuses_a_foreign_host_or_origin(server):
    port = server.port
    own = {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}"}
    assert json.loads(socket(port, own))["command"] == "hello"
    for foreign in ({"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},  # DNS rebinding
                    {"Host": f"127.0.0.1:{port}", "Origin": "http://evil.example"},
                    {"Host": f"127.0.0.1:{port}", "Origin": "null"}):
        with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
            socket(port, foreign)
        assert refused.value.code == 403
    # the pages follow the same rule
    assert fetch(port, "/mini/", {"Origin": "http://evil.example"}).status == 403
    assert fetch(port, "/mini/", {"Host": f"evil.example:{port}"}).status == 403
    assert fetch(port, "/mini/").status == 200


def test_malformed_socket_messages_are_ignored_quietly(server):
    port = server.port
    own = {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}"}
    junk = ["not json", "[1, 2]", "{}", '{"command": 5}', '{"command": "info"}', '{"command": "info", "url": 5}',
            "null", b"\xff\xfe binary", "[" * 10000, '"' + "x" * 1000 + '"']
    assert json.loads(socket(port, own, junk))["command"] == "hello"  # still answering on the same connection
    assert server.get("/mini/")[0] == 200


def test_an_html_seed_is_published_and_served_as_text_only(mini):
    seed = (mini / "seeds" / "essay.txt").read_text(encoding="utf-8") + PAYLOAD
    (mini / "seeds" / "essay.html").write_text(seed, encoding="utf-8")
    (mini / "seeds" / "essay.txt").unlink()
    config = mini / "site.yaml"
    config.write_text(config.read_text().replace("file: essay.txt", "file: essay.html"))
    server = Server(mini).wait_serving()
    try:
        assert server.status()["ok"], (server.stdout, server.stderr)
        files = sorted(p.name for p in (mini / "output" / "sources" / "files").iterdir())
        assert files == ["essay.html.txt", "wire.txt"]
        code, headers, body = server.get("/mini/sources/files/essay.html.txt")
        assert (code, headers["Content-Type"], headers["X-Content-Type-Options"]) == (200, "text/plain; charset=utf-8", "nosniff")
        assert body == seed.encode("utf-8")  # as it is, nothing injected
        assert server.get("/mini/sources/files/essay.html")[0] == 404
        assert b'href="files/essay.html.txt"' in server.get("/mini/sources/essay.html")[2]
    finally:
        assert server.stop() == 0


def test_a_non_ascii_base_path_is_served_as_browsers_send_it(mini):
    config = mini / "site.yaml"
    config.write_text(config.read_text().replace('base_url: "https://example.org/mini/"', 'base_url: "https://example.org/briefing-ñ/"'))
    server = Server(mini).wait_serving()
    try:
        response = fetch(server.port, "/")
        assert (response.status, response.headers["Location"]) == (302, "/briefing-%C3%B1/")
        for path in ("/briefing-%C3%B1/", "/briefing-%c3%b1/alpha.html"):
            assert server.get(path)[0] == 200, path
        assert server.url.endswith(":%d/briefing-%%C3%%B1/" % server.port)
    finally:
        assert server.stop() == 0
