"""Lighthouse scores of the default briefing: the home page, a topic, the discrepancies page, a source
page and the 404 page, as a phone (mobile) and a laptop (desktop), in all four categories.

    python -m benchmarks.lighthouse                 # prints one line per page and form factor
    python -m benchmarks.lighthouse --json          # one JSON object: {"mobile": {"index.html": {...}}, ...}

Needs `npm ci` in tests/tools/ (lighthouse 12.2.3) and Debian's Chromium (CHROME_PATH, default
/usr/bin/chromium). The site is built into a temporary folder and served on 127.0.0.1, text gzipped as GitHub Pages serves it.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import io
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.config import load_config  # noqa: E402
from briefing.pipeline import build  # noqa: E402

LIGHTHOUSE = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "lighthouse"
PAGES = ["index.html", "treaty.html", "discrepancies.html", "sources/hur.html", "404.html"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves text gzipped when the browser accepts it, as GitHub Pages does."""

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        kind = self.guess_type(str(path))
        if not (path.is_file() and "gzip" in self.headers.get("Accept-Encoding", "") and kind.startswith(("text/", "application/javascript", "application/json", "image/svg"))):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def audit(url: str, form_factor: str, chrome: str) -> dict:
    """One Lighthouse run: {category: score 0-100, "failed": [audit ids below 1 that count],
    "benchmark_index": this machine's CPU power as the run measured it (Lighthouse's BenchmarkIndex;
    it warns that scores suffer below 1000)}."""
    preset = ["--preset=desktop"] if form_factor == "desktop" else ["--form-factor=mobile"]
    result = subprocess.run([str(LIGHTHOUSE), url, "--output=json", "--quiet", f"--chrome-flags={CHROME_FLAGS}",
                             f"--only-categories={','.join(CATEGORIES)}", *preset],
                            capture_output=True, text=True, env={**os.environ, "CHROME_PATH": chrome}, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    scores = {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    failed = sorted({ref["id"] for name in CATEGORIES for ref in report["categories"][name]["auditRefs"]
                     if ref["weight"] > 0 and (report["audits"][ref["id"]]["score"] is not None) and report["audits"][ref["id"]]["score"] < 1})
    return {**scores, "failed": failed, "benchmark_index": report["environment"]["benchmarkIndex"]}


def measure(pages: list[str] = PAGES, form_factors: tuple[str, ...] = ("mobile", "desktop"), chrome: str | None = None) -> dict:
    chrome = chrome or os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        build(load_config(ROOT / "site.yaml", output_dir=out))
        server, base = serve(out)
        try:
            return {factor: {page: audit(base + page, factor, chrome) for page in pages} for factor in form_factors}
        finally:
            server.shutdown()
            server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = measure()
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for factor, pages in results.items():
        for page, scores in pages.items():
            figures = "  ".join(f"{name} {scores[name]:3d}" for name in CATEGORIES)
            print(f"{factor:7s}  {page:22s}  {figures}  BenchmarkIndex {scores['benchmark_index']:.0f}"
                  + (f"  below 1: {', '.join(scores['failed'])}" if scores["failed"] else ""))


if __name__ == "__main__":
    main()
