import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))


def make_site(tmp_path: Path, fixture: str = "mini") -> Path:
    """A copy of a fixture site, with the project's own templates, in a temporary folder."""
    site = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, site)
    shutil.copytree(ROOT / "templates", site / "templates")
    return site


@pytest.fixture(scope="session")
def default_site(tmp_path_factory) -> Path:
    """The default briefing, built once for the tests that only read it (pages, layout, a11y)."""
    from briefing.config import load_config
    from briefing.pipeline import build

    out = tmp_path_factory.mktemp("default-site") / "site"
    build(load_config(ROOT / "site.yaml", output_dir=out))
    return out


@pytest.fixture
def base(default_site: Path, static_server) -> str:
    """The default briefing served over HTTP on 127.0.0.1."""
    return static_server(default_site)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return make_site(tmp_path)


@pytest.fixture
def root() -> Path:
    return ROOT


def chromium_executable() -> str:
    """Debian's Chromium; a missing browser skips locally but fails where BRIEFING_REQUIRE_BROWSER=1 (CI)."""
    import os

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("BRIEFING_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (BRIEFING_REQUIRE_BROWSER=1) but is not installed")
        pytest.skip("Chromium is not installed; ./scripts/test.sh installs it")
    return path


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-quic", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright (Debian's binary, never a downloaded one)."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _QuietHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def static_server():
    """Serve folders over real HTTP on 127.0.0.1: `base = static_server(folder)`."""
    import functools
    import http.server
    import threading

    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
