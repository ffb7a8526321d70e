"""Edit-to-browser latency of `python build.py serve`: a page's Markdown is saved (atomically, as
editors do), and the clock stops when Chromium shows the page with the new text.

    python -m benchmarks.serve_latency                # the default briefing and a 1,000-page site
    python -m benchmarks.serve_latency --pages 200    # a smaller synthetic site
    python -m benchmarks.serve_latency --edits 5 --no-synthetic

For each site: a copy in a temporary folder is served by a real `serve` process; a headless
Chromium opens one page; then, 20 times, one sentence of that page's Markdown is changed. The
latency is from just after the rename to the first animation frame drawn with the new text in
the page, whether the page was reloaded or its body swapped (both read from this machine's wall
clock). Prints the median and the worst, and the server's own rebuild times.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import make_site

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
# Stamps, in the page, the first frame drawn once the expected text is in the document: after a
# reload (DOMContentLoaded) or after the preview swapped in a new <body> (a mutation).
SHOWN = """
(() => {
  const stamp = () => {
    const expected = sessionStorage.getItem("expected");
    if (expected && !window.shownAt && document.body && document.body.textContent.includes(expected)) {
      window.shownAt = -1;
      requestAnimationFrame(() => { window.shownAt = Date.now(); });
    }
  };
  document.addEventListener("DOMContentLoaded", stamp);
  new MutationObserver(records => {
    if (records.some(r => [...r.addedNodes].some(n => n.nodeName === "BODY"))) stamp();
  }).observe(document, {childList: true, subtree: true});
})();
"""
CONNECTED = "window.LiveReload && window.LiveReload.connector && window.LiveReload.connector.protocol >= 7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def save(path: Path, text: str) -> None:
    """As an editor saves: write a temporary file beside it, then rename it over the page."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def start_server(site: Path, port: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--config", str(site / "site.yaml"), "--port", str(port)],
                              cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert server.stdout is not None
    for line in server.stdout:
        match = re.search(r"Serving on (\S+)", line)
        if match:
            return server, match.group(1)
    raise RuntimeError(f"the server stopped before serving (exit status {server.wait()})")


def measure(browser, site: Path, page_name: str, edits: int) -> tuple[list[float], list[float]]:
    """Latencies (ms) of `edits` saves of content/<page_name>.md, and the server's rebuild times (ms)."""
    markdown = site / "content" / f"{page_name}.md"
    save(markdown, markdown.read_text(encoding="utf-8").rstrip("\n") + "\n\nRevision marker r0.\n")
    server, url = start_server(site, free_port())
    rebuilds: list[float] = []
    try:
        context = browser.new_context()
        context.add_init_script(SHOWN)
        page = context.new_page()
        page.goto(url + f"{page_name}.html")
        latencies = []
        for number in range(1, edits + 1):
            page.wait_for_function(CONNECTED)  # the reloaded page has its live-reload socket again
            expected = f"Revision marker r{number}."
            page.evaluate("expected => { sessionStorage.setItem('expected', expected); window.shownAt = 0; }", expected)
            text = markdown.read_text(encoding="utf-8")
            save(markdown, text.replace(f"Revision marker r{number - 1}.", expected))
            saved = time.time() * 1000
            page.wait_for_function("window.shownAt > 0", timeout=120_000)
            latencies.append(page.evaluate("window.shownAt") - saved)
        context.close()
    finally:
        server.send_signal(2)
        output, _ = server.communicate(timeout=60)
        rebuilds = [float(ms) for ms in re.findall(r"rebuilt in (\d+) ms", output)]
    return latencies, rebuilds


def report(name: str, pages: int, latencies: list[float], rebuilds: list[float]) -> None:
    print(f"{name:<28} {pages:>6} pages   edit-to-browser median {statistics.median(latencies):7.0f} ms, "
          f"worst {max(latencies):7.0f} ms   (rebuild median {statistics.median(rebuilds) if rebuilds else float('nan'):.0f} ms, "
          f"{len(latencies)} edits)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--pages", type=int, default=1000, help="pages of the synthetic site (default 1000)")
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--no-synthetic", action="store_true", help="only the default briefing")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        default = Path(tmp) / "default"
        default.mkdir()
        for name in ("site.yaml", "seeds", "content", "templates"):
            (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, default / name)
        latencies, rebuilds = measure(browser, default, "treaty", args.edits)
        report("default briefing", len(list((default / "content").glob("*.md"))), latencies, rebuilds)
        if not args.no_synthetic:
            synthetic = make_site(Path(tmp) / "synthetic", pages=args.pages, sources=args.sources)
            latencies, rebuilds = measure(browser, synthetic, "page-0500" if args.pages > 500 else "page-0000", args.edits)
            report(f"synthetic, {args.sources} sources", args.pages + 1, latencies, rebuilds)
        browser.close()


if __name__ == "__main__":
    main()
