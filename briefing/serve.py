"""`python build.py serve`: build, serve the site on 127.0.0.1, rebuild on every change, reload the browser.

No build logic lives here: every rebuild is `pipeline.build`, given the last good build so that only
what changed is rendered and written. The site is served from the files that build wrote to
output/, by the names it made (a request can never reach any other file), and a rebuild swaps the
whole tree at once: no page is ever served half-built. Rebuilds run on the
server's one thread, so a page requested during a rebuild is answered with the new version.

The browser side is livereload's: its protocol handler and its livereload.js, served from here.
Into every HTML response (never into a file) goes a small script that loads livereload.js, swaps
in a page's new body when only the body changed, and shows over the page the problems of a failed
build. Reloads are sent by this module after each rebuild, not by livereload's own watcher, so
none is skipped for coming soon after another.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import errno
import gc
import json
import mimetypes
import os
import re
import signal
import socket
import sys
import time
import traceback
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import livereload
import tornado.httputil
import tornado.netutil
import tornado.web
from livereload.handlers import LiveReloadHandler
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.websocket import WebSocketClosedError

from .config import Config, load_config
from .errors import BuildError, Location, Problem
from .inputs import Inputs, file_digest, read_inputs
from .lock import WAITING
from .memo import Memo
from .pipeline import BuildResult, build
from .watch import InputWatcher

LOOPBACK = ("127.0.0.1", "localhost", "::1")
QUIET_PERIOD = 0.015  # seconds without events before rebuilding: one rebuild per burst of saves
LONGEST_WAIT = 0.5  # ... but never wait longer than this while events keep coming
COLLECT_AFTER = 1.0  # seconds after the last rebuild: garbage is collected while the author reads
COLLECT_EVERY = 20  # ... or after this many rebuilds without such a pause
FULL_COLLECTION_EVERY = 10  # collections; the others look only at objects made since the one before
STATUS_URL = "/__briefing__/status"
HEADER_TIMEOUT = 15  # seconds to send a whole request's headers (and the longest a kept-alive connection idles)
MAX_BODY = 64 * 1024  # bytes: only GET and HEAD are answered, so no request needs a body
LIVERELOAD_JS = (Path(livereload.__file__).parent / "vendors" / "livereload.js").read_bytes()
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)

# Injected into HTML responses. It registers a livereload.js plugin, then loads livereload.js
# from this server. Told to reload STATUS_URL, the plugin fetches the build status and shows or
# clears the list of problems (as text, so nothing in a message can run). Told to reload a page,
# it fetches the open page again: if only its <body> changed, the new body replaces the old (no
# blank flash, scroll position kept); otherwise, or on any doubt, the page reloads. Stylesheets
# are left to livereload.js, which swaps them in place.
CLIENT = r"""<script data-briefing-preview>
(function () {
  "use strict";
  var STATUS = "%(status)s", BOX = "briefing-problems";
  function show(problems) {
    var old = document.getElementById(BOX);
    if (old) old.parentNode.removeChild(old);
    if (!problems.length) return;
    var box = document.createElement("section");
    box.id = BOX;
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;top:0;left:0;right:0;max-height:70vh;overflow:auto;z-index:2147483647;margin:0;" +
      "padding:1em 1.25em;background:#3b0d0d;color:#fff;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;" +
      "border-bottom:4px solid #e05252;box-shadow:0 4px 16px rgba(0,0,0,.4);text-align:left";
    var title = document.createElement("p");
    title.style.cssText = "margin:0 0 .5em;font-weight:bold";
    title.textContent = "The build failed. You are seeing the last good version; fix these and the page reloads:";
    var list = document.createElement("ul");
    list.style.cssText = "margin:0;padding-left:1.25em";
    for (var i = 0; i < problems.length; i++) {
      var item = document.createElement("li");
      item.style.whiteSpace = "pre-wrap";
      item.textContent = problems[i];
      list.appendChild(item);
    }
    box.appendChild(title);
    box.appendChild(list);
    document.body.appendChild(box);
  }
  function check() {
    fetch(STATUS, {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (status) { show(status.problems); }, function () {});
  }
  function head(doc) {
    var parts = [];
    for (var i = 0; i < doc.documentElement.attributes.length; i++) {
      parts.push(doc.documentElement.attributes[i].name + "=" + doc.documentElement.attributes[i].value);
    }
    for (var node = doc.head.firstElementChild; node; node = node.nextElementSibling) {
      if (node.tagName !== "SCRIPT") parts.push(node.outerHTML);
    }
    return JSON.stringify(parts);
  }
  function update() {
    fetch(location.href, {cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      if (head(fresh) !== head(document) || fresh.body.querySelector("script")) throw new Error("more than the body");
      document.body.replaceWith(document.importNode(fresh.body, true));
    }).catch(function () { location.reload(); });
  }
  function PreviewPlugin() {}
  PreviewPlugin.identifier = "briefing-preview";
  PreviewPlugin.version = "1";
  PreviewPlugin.prototype.reload = function (path, options) {
    if (path === STATUS) check();
    else if (options.liveCSS && /\.css$/i.test(path)) return false;
    else update();
    return true;
  };
  PreviewPlugin.prototype.analyze = function () { return {}; };
  window.LiveReloadPluginBriefingPreview = PreviewPlugin;
  if (%(broken)s) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", check); else check();
  }
  var script = document.createElement("script");
  script.src = "/livereload.js?port=" + (location.port || (location.protocol === "https:" ? 443 : 80));
  document.head.appendChild(script);
})();
</script>
"""

NOT_BUILT = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not built yet</title></head>
<body><h1>The site has not been built yet</h1><p>The first build failed. Fix the problems listed and this page reloads.</p></body></html>
"""


def say(*lines: str, error: bool = False) -> None:
    for line in lines:
        print(line, file=sys.stderr if error else sys.stdout, flush=True)


# -- the preview: the last good build, and rebuilding -------------------------------------------
class Preview:
    """What is served (the last good build) and the latest build's problems; rebuilds on demand.

    Everything here runs on the server's one thread, except `changed`, which the watcher calls.
    """

    def __init__(self, config: Config, args: argparse.Namespace):
        self.config = config
        self.args = args
        self.result: BuildResult | None = None  # the last good build: what is served
        self.memo = Memo()  # every build's units of work, kept in memory from one build to the next
        self.problems: tuple[str, ...] = ()  # the latest build's problems, when it failed
        self.builds = 0  # finished builds, good or not
        self.base_path = encoded_path(config.base_path)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: set[str] = set()
        self.first_pending = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.missed = False  # a change came before the server was running
        self.warnings: tuple[Problem, ...] = ()
        self.collector: asyncio.TimerHandle | None = None  # the next idle garbage collection
        self.uncollected = 0  # rebuilds since the last garbage collection
        self.collections = 0  # garbage collections so far

    @property
    def files(self) -> dict[str, bytes]:
        return self.result.files if self.result else {}

    def rebuild(self, reason: str = "", jobs: int = 1) -> None:
        try:
            self._rebuild(reason, jobs)
        finally:
            self.collect_when_idle()

    def collect_when_idle(self) -> None:
        """Collect garbage once no rebuild has run for COLLECT_AFTER seconds (at once before serving,
        and after COLLECT_EVERY rebuilds in a row, so saves that never pause cannot grow memory)."""
        if self.collector is not None:
            self.collector.cancel()
        self.uncollected += 1
        if self.loop is None or self.uncollected >= COLLECT_EVERY:
            self.collect()
        else:
            self.collector = self.loop.call_later(COLLECT_AFTER, self.collect)

    def collect(self) -> None:
        """Collect the garbage of the rebuilds since the last collection. What survives is frozen
        (the site most rebuilds keep: 0.6 s to walk at 10,000 pages, against a few ms for what a
        page edit makes); the first collection, then every FULL_COLLECTION_EVERY-th, unfreezes it
        and walks everything, so cycles in what was frozen and then dropped are freed too."""
        self.collector = None
        self.uncollected = 0
        if self.collections % FULL_COLLECTION_EVERY == 0:
            gc.unfreeze()
        self.collections += 1
        gc.collect()
        gc.freeze()

    def _rebuild(self, reason: str, jobs: int) -> None:
        started = time.perf_counter()
        recovering = bool(self.problems)
        try:
            config = load_config(self.args.config, self.args.output, self.args.base_url)
            result = build(config, self.memo, strict=self.args.strict, jobs=jobs,
                           progress=lambda stage: say(f"{stage} ...") if stage == WAITING else None)
        except BuildError as exc:
            self.failed(exc.problems, started)
            return
        except Exception as exc:  # our own bug: say so, and keep serving the last good site
            traceback.print_exc()
            self.failed([Problem(Location("briefing"), f"internal error: {exc!r}; the traceback is in the terminal")], started)
            return
        previous = self.result
        self.config, self.result, self.memo, self.problems = config, result, result.memo, ()
        self.base_path = encoded_path(config.base_path)
        self.builds += 1
        self.report(result, previous, started, reason)
        if recovering:
            self.notify(self.base_path)  # the page is fetched again, and the list of problems goes
        elif result.changed and previous is not None:
            self.notify_changes(result.changed)

    def failed(self, problems: list[Problem], started: float) -> None:
        self.problems = tuple(str(p) for p in problems)
        self.builds += 1
        errors = len([p for p in problems if not p.warning]) or len(problems)
        say(*self.problems, f"build failed: {errors} problem(s); still serving the last good site "
            f"({time.perf_counter() - started:.2f} s)", error=True)
        self.notify(STATUS_URL)

    def report(self, result: BuildResult, previous: BuildResult | None, started: float, reason: str) -> None:
        first = previous is None
        if first or result.warnings != self.warnings:  # not again after every save
            say(*map(str, result.warnings), error=True)
            self.warnings = result.warnings
        if self.args.quiet:
            return
        took = f"{(time.perf_counter() - started) * 1000:.0f} ms"
        if first:
            say(f"built {len(result.files)} files into {self.config.output_dir} in {took}")
        elif not result.changed:
            say(f"{reason}: no page changed ({took})")
        else:
            names = result.changed if self.args.verbose or len(result.changed) <= 4 else (*result.changed[:3], f"and {len(result.changed) - 3} more")
            say(f"{reason}: rebuilt in {took}, updated {', '.join(names)}")
        if self.args.verbose and previous is not None:  # why each file was rendered again
            for path in sorted(result.rendering.rendered):
                say(f"  rendered {path}: {', '.join(result.rendering.reasons(path, previous.rendering)) or 'no key before'}")

    def notify_changes(self, changed: tuple[str, ...]) -> None:
        if all(name.endswith(".css") for name in changed):
            for name in changed:  # livereload.js swaps a stylesheet in place, without reloading the page
                self.notify(self.base_path + name)
        else:
            self.notify(self.base_path + next((n for n in changed if n.endswith(".html")), changed[0]))

    def notify(self, path: str) -> None:
        message = {"command": "reload", "path": path, "liveCSS": True, "liveImg": True}
        for waiter in list(LiveReloadHandler.waiters):
            try:
                waiter.write_message(message)
            except WebSocketClosedError:
                LiveReloadHandler.waiters.discard(waiter)

    # -- debouncing: called from the watcher's thread, handled on the server's ------------------
    def changed(self, name: str) -> None:
        loop = self.loop
        if loop is None:
            self.missed = True
            return
        try:
            loop.call_soon_threadsafe(self._changed, name)
        except RuntimeError:  # the server closed its loop meanwhile: it is stopping
            pass

    def _changed(self, name: str) -> None:
        assert self.loop is not None
        now = self.loop.time()
        if not self.pending:
            self.first_pending = now
        self.pending.add(name)
        if self.timer is not None:
            self.timer.cancel()
        waited = now - self.first_pending
        self.timer = self.loop.call_later(QUIET_PERIOD if waited < LONGEST_WAIT else 0, self._rebuild_pending)

    def _rebuild_pending(self) -> None:
        self.timer = None
        names = sorted(self.pending)
        self.pending.clear()
        reason = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
        self.rebuild(reason)


# -- HTTP -------------------------------------------------------------------------------------
def allowed(request: tornado.httputil.HTTPServerRequest, host_names: tuple[str, ...] | None) -> bool:
    """The one rule for every endpoint, pages and live-reload socket alike. Bound to this machine
    only, the preview answers only to this machine's names, in `Host` and in `Origin` when a
    browser sends one: a web page elsewhere cannot read the preview or listen to it by pointing
    its own host name at 127.0.0.1 (DNS rebinding)."""
    if host_names is None:
        return True
    names = [request.host]
    origin = request.headers.get("Origin")
    if origin is not None:
        try:
            names.append(urlsplit(origin).netloc if origin != "null" else "")
        except ValueError:
            return False
    for name in names:
        host, _ = tornado.httputil.split_host_and_port(name.lower())
        if host.strip("[]") not in host_names:
            return False
    return True


class Handler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, preview: Preview, host_names: tuple[str, ...] | None) -> None:
        self.preview = preview
        self.host_names = host_names

    def prepare(self) -> None:
        if not allowed(self.request, self.host_names):
            raise tornado.web.HTTPError(403)

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def compute_etag(self) -> None:
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 405:
            self.set_header("Allow", "GET, HEAD")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")

    def send(self, data: bytes, content_type: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Length", str(len(data)))
        if self.request.method != "HEAD":
            self.write(data)
        self.finish()


class StatusHandler(Handler):
    def get(self) -> None:
        preview = self.preview
        status = {"ok": not preview.problems, "problems": list(preview.problems), "builds": preview.builds}
        self.send(json.dumps(status).encode("utf-8"), "application/json")

    head = get


class ScriptHandler(Handler):
    def get(self) -> None:
        self.send(LIVERELOAD_JS, "application/javascript; charset=utf-8")

    head = get


class SiteHandler(Handler):
    """Files of the last good build, looked up by name in memory; nothing is read from disk."""

    def get(self) -> None:
        preview = self.preview
        raw = self.request.path  # as sent: still percent-encoded
        base = preview.base_path  # percent-encoded too, with upper-case hex digits
        normal = _ESCAPE.sub(lambda match: match[0].upper(), raw)  # the same length as `raw`
        if not normal.startswith(base):
            if normal in ("/", base.rstrip("/")):
                self.redirect(base)
                return
            raise tornado.web.HTTPError(404)
        name = site_path(raw[len(base):])
        if name is None:
            raise tornado.web.HTTPError(400)
        files = preview.files
        if not files:
            self.send(self.inject(NOT_BUILT), "text/html; charset=utf-8", 503)
        elif name in files:
            self.send(self.inject(files[name]) if name.endswith(".html") else files[name], content_type(name))
        elif f"{name}/index.html" in files:
            self.redirect(raw + "/")
        else:
            self.send(self.inject(files.get("404.html", b"<!doctype html><title>Not found</title><h1>Not found</h1>")),
                      "text/html; charset=utf-8", 404)

    head = get

    def inject(self, page: bytes) -> bytes:
        """The page with the preview script before </head> (at the end if it has none)."""
        script = (CLIENT % {"status": STATUS_URL, "broken": "true" if self.preview.problems else "false"}).encode("utf-8")
        match = _HEAD_END.search(page)
        at = match.start() if match else len(page)
        return page[:at] + script + page[at:]


_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def encoded_path(path: str) -> str:
    """A URL path as a browser sends it: non-ASCII and reserved characters percent-encoded once
    (`/briefing-ñ/` -> `/briefing-%C3%B1/`), whether or not site.yaml wrote them encoded."""
    return quote(unquote(path), safe="/!$&'()*+,;=:@-._~")


def site_path(encoded: str) -> str | None:
    """The site file a request path names (`index.html` for a folder), or None if it is no clean relative path.

    Decoded exactly once; `..`, `.`, empty segments, backslashes, NUL bytes and absolute paths are
    refused, however they were encoded (a doubly encoded `%252e` decodes to `%2e`, which names no file).
    """
    try:
        name = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return None
    segments = name.split("/")
    if segments[-1] == "":
        segments[-1] = "index.html"
    if any(s in ("", ".", "..") or "\\" in s or "\x00" in s for s in segments):
        return None
    return "/".join(segments)


def content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in ("application/json", "application/javascript") else kind


class BrowserSocket(LiveReloadHandler):
    """livereload's protocol handler (the hello/info handshake); only pages of this server may
    connect, under the same rule as every page (`allowed`), and a message that is not the
    protocol's is ignored without a word."""

    def initialize(self, host_names: tuple[str, ...] | None = None, **_: Any) -> None:
        self.host_names = host_names

    def prepare(self) -> None:
        if not allowed(self.request, self.host_names):
            raise tornado.web.HTTPError(403)

    def check_origin(self, origin: str) -> bool:
        try:
            return urlsplit(origin).netloc.lower() == self.request.host.lower()
        except ValueError:
            return False

    def on_message(self, message: str | bytes) -> None:
        try:
            decoded = json.loads(message)
        except (ValueError, TypeError, RecursionError):  # not JSON, not text
            return
        if isinstance(decoded, dict) and decoded.get("command") in ("hello", "info") and isinstance(decoded.get("url", ""), str):
            super().on_message(json.dumps({"command": decoded["command"], **({"url": decoded["url"]} if "url" in decoded else {})}))


def make_app(preview: Preview, host_names: tuple[str, ...] | None) -> tornado.web.Application:
    options = {"preview": preview, "host_names": host_names}
    return tornado.web.Application([
        (r"/livereload", BrowserSocket, {"host_names": host_names}),
        (r"/livereload\.js", ScriptHandler, options),
        (re.escape(STATUS_URL), StatusHandler, options),
        (r"/.*", SiteHandler, options),
    ], compress_response=False, log_function=log_failure, websocket_max_message_size=64 * 1024)


def log_failure(handler: tornado.web.RequestHandler) -> None:
    """Requests are not logged; our own failures are (with their traceback, by Tornado)."""
    if handler.get_status() >= 500:
        say(f"{handler.get_status()} {handler.request.method} {handler.request.uri}", error=True)


# -- the command ------------------------------------------------------------------------------
def run(config: Config, args: argparse.Namespace) -> int:
    host, port = args.host, args.port
    if host not in LOOPBACK:
        say(f"warning: serving on {host}: anyone who can reach this machine can read the preview; "
            "leave out --host to serve on 127.0.0.1 only", error=True)
    try:
        sockets = tornado.netutil.bind_sockets(port, address=host)
    except OSError as exc:
        return cannot_listen(host, port, exc)
    # The server keeps whole sites in memory: the cyclic collector would rescan them many times
    # during each rebuild (about a third of a 1,000-page rebuild). It runs when the preview is idle.
    collecting = gc.isenabled()
    gc.disable()
    stop = Stop()
    previous_handlers = {number: signal.signal(number, stop.signal) for number in (signal.SIGINT, signal.SIGTERM)}
    watcher: InputWatcher | None = None
    try:
        preview = Preview(config, args)
        if not args.quiet:
            say(f"building {config.root} ...")
        # The first build may fork workers across the cores, so it runs before any thread starts
        # (the watcher's); what is saved meanwhile shows in the inputs' digests.
        before = snapshot(config, args)
        preview.rebuild("start", jobs=os.cpu_count() or 1)
        watcher = InputWatcher(config.root, Path(args.config).name, preview.changed)
        watcher.start()
        if snapshot(config, args) != before:
            preview.missed = True
        if not stop.requested:
            asyncio.run(serve(preview, sockets, stop, host_names=LOOPBACK if host in LOOPBACK else None))
    except KeyboardInterrupt:  # Ctrl-C pressed twice: stop without waiting for the build in progress
        pass
    finally:
        if watcher is not None:
            watcher.stop()
        for sock in sockets:
            sock.close()
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
        gc.unfreeze()  # what collect() froze
        if collecting:
            gc.enable()
    if not args.quiet:
        say("stopped")
    return 0


def snapshot(config: Config, args: argparse.Namespace) -> tuple[str, Inputs]:
    """Digests of site.yaml and of every input file: equal snapshots, nothing saved in between."""
    return file_digest(Path(args.config)), read_inputs(config, Memo())


async def serve(preview: Preview, sockets: list[socket.socket], stop: Stop, host_names: tuple[str, ...] | None) -> None:
    loop = asyncio.get_running_loop()
    preview.loop = loop
    stop.attach(loop)
    server = PreviewHTTPServer(make_app(preview, host_names), max_connections=connection_limit(),
                               idle_connection_timeout=HEADER_TIMEOUT, max_body_size=MAX_BODY)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    shown = preview.args.host if ":" not in preview.args.host else f"[{preview.args.host}]"
    url = f"http://{shown}:{port}{preview.base_path}"
    say(f"Serving on {url} (Ctrl-C to stop)")
    if preview.args.open:
        webbrowser.open(url)
    if preview.missed:  # saved while the first build ran
        preview._changed("changes during the first build")
    try:
        assert stop.event is not None
        await stop.event.wait()
    finally:
        preview.loop = None
        for timer in (preview.timer, preview.collector):
            if timer is not None:
                timer.cancel()
        server.stop()
        for waiter in list(LiveReloadHandler.waiters):
            waiter.close()
        LiveReloadHandler.waiters.clear()
        try:
            await asyncio.wait_for(server.close_all_connections(), timeout=2)
        except asyncio.TimeoutError:  # a connection that will not close is dropped with the process
            pass


class PreviewHTTPServer(HTTPServer):
    """Tornado's HTTP server, keeping at most `max_connections` connections open: beyond that, the
    oldest is closed. Connections left open on purpose (a slowloris flood) can then neither use up
    the process's file descriptors (Tornado would spin on the failing accept) nor lock the author
    out; each is dropped anyway if its request headers take longer than HEADER_TIMEOUT."""

    def initialize(self, *args: Any, max_connections: int, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(*args, **kwargs)
        self.max_connections = max_connections
        self.streams: collections.deque[IOStream] = collections.deque()

    def handle_stream(self, stream: IOStream, address: tuple) -> None:
        self.streams = collections.deque(open_stream for open_stream in self.streams if not open_stream.closed())
        while len(self.streams) >= self.max_connections:
            self.streams.popleft().close()
        self.streams.append(stream)
        super().handle_stream(stream, address)


def connection_limit() -> int:
    """Half the file descriptors this process may open (the rest for the watcher, pipes and files), at most 1,000."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 256
    return 1000 if soft == resource.RLIM_INFINITY else max(16, min(1000, soft // 2))


class Stop:
    """Ctrl-C (or SIGTERM) once: stop after the build in progress, if any. Twice: stop now."""

    def __init__(self) -> None:
        self.requested = False
        self.event: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()
        if self.requested:
            self.event.set()

    def signal(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.loop is not None and self.event is not None:
            self.loop.call_soon_threadsafe(self.event.set)


def cannot_listen(host: str, port: int, exc: OSError) -> int:
    if exc.errno == errno.EADDRINUSE:
        say(f"cannot serve on {host}:{port}: the port is already in use (is another preview running?); "
            f"choose another with --port, e.g. --port {port + 1}", error=True)
    elif exc.errno == errno.EACCES:
        say(f"cannot serve on {host}:{port}: permission denied; choose a port above 1023 with --port", error=True)
    else:
        say(f"cannot serve on {host}:{port}: {exc.strerror or exc}; check --host and --port", error=True)
    return 1
