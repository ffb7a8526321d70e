"""Hostile content is inert: payloads in Markdown, front matter, site.yaml and seed text never run."""
import pytest

from briefing.config import load_config
from briefing.pipeline import build
from tests.htmltools import parse

PAYLOADS = [
    "<script>window.__pwned = (window.__pwned || 0) + 1; alert('x')</script>",
    "<img src=x onerror=\"window.__pwned=1;alert('img')\">",
    "<svg onload=\"window.__pwned=1\"></svg>",
    "<a href=\"javascript:window.__pwned=1\">click</a>",
    "<iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
    "\"><script>window.__pwned=1</script>",
]


@pytest.fixture
def hostile(mini, static_server):
    joined = " ".join(PAYLOADS)
    essay = mini / "seeds" / "essay.txt"
    essay.write_text(essay.read_text(encoding="utf-8") + joined + "\n", encoding="utf-8")
    (mini / "content" / "beta.md").write_text(
        "---\n"
        f"title: 'Beta <script>window.__pwned=1</script>'\n"
        f"summary: '<img src=x onerror=window.__pwned=1>'\n"
        "---\n"
        f"{joined}\n\n"
        "[link](javascript:window.__pwned=1) [data](data:text/html,<script>parent.__pwned=1</script>)\n\n"
        "<div onclick=\"window.__pwned=1\">block html</div>\n\n"
        f'Quoting the payload [@essay "{PAYLOADS[0]}"; @essay "{PAYLOADS[1].replace(chr(34), chr(92) + chr(34))}"].\n',
        encoding="utf-8")
    site_yaml = mini / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace('title: "An essay"', "title: \"An essay <script>window.__pwned=1</script>\""))
    build(load_config(site_yaml))
    return static_server(mini / "output"), mini / "output"


def test_no_payload_runs_in_chromium(browser, hostile):
    base, output = hostile
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    assert "beta.html" in pages and "sources/essay.html" in pages
    for name in pages:
        page.goto(base + name)
        page.wait_for_load_state("load")
        # hover and focus everything, as a reader would
        for link in page.locator("a").all()[:60]:
            link.focus()
            if link.is_visible():
                link.hover(timeout=10000, force=True)
        assert page.evaluate("window.__pwned === undefined"), name
    assert dialogs == []
    for name in pages:
        doc = parse((output / name).read_text(encoding="utf-8"))
        own = ("assets/reader.js", "assets/search.js", "pagefind/pagefind-ui.js")  # the site's own scripts, from its own folders
        assert [tag for tag, attrs in doc.tags if tag in ("script", "iframe", "svg", "img")
                and not (tag == "script" and (attrs.get("src") or "").endswith(own))] == [], name
        assert [a for _, attrs in doc.tags for a in attrs if a.startswith("on")] == [], name
        assert [url for _, url in doc.links if url.lower().startswith(("javascript:", "data:"))] == [], name
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in (output / "sources" / "essay.html").read_text(encoding="utf-8")
    page.close()


# -- a hostile repository: cloning and building it must be as safe as opening a document ------------
def _git(cwd, *args):
    import subprocess

    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin",
                        "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@example.org", "GIT_COMMITTER_NAME": "x",
                        "GIT_COMMITTER_EMAIL": "x@example.org", "HOME": str(cwd)})


def test_a_hostile_repository_reads_nothing_outside_publishes_nothing_and_runs_no_code(mini, tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    outside = tmp_path / "outside"
    (outside / "docs").mkdir(parents=True)
    os.mkfifo(outside / "docs" / "passwd")  # reading it would hang the build: proof that nothing reads it
    (outside / "secret.css").write_text("SECRET-OUTSIDE", encoding="utf-8")
    ran = tmp_path / "code-ran"
    # The author's repository: seeds/ a link outside, an HTML seed, an asset linked outside, a template running code.
    (mini / "seeds" / "essay.txt").rename(mini / "seeds" / "essay.html")
    html_seed = mini / "seeds" / "essay.html"
    html_seed.write_text(html_seed.read_text(encoding="utf-8") + "<script>window.__pwned = 1</script>\n", encoding="utf-8")
    config = mini / "site.yaml"
    config.write_text(config.read_text().replace("file: essay.txt", "file: essay.html")
                      + "  - id: passwd\n    file: passwd\n    title: Passwords\n")
    shutil.move(str(mini / "seeds"), str(mini / "real-seeds"))
    os.symlink(outside / "docs", mini / "seeds")
    os.symlink(outside / "secret.css", mini / "templates" / "assets" / "secret.css")
    page = mini / "templates" / "page.html"
    page.write_text(page.read_text().replace("{% block main %}", "{% block main %}{{ cycler.__init__.__globals__.os.system('touch "
                                                                  + str(ran) + "') }}", 1))
    _git(mini, "init", "-q")
    _git(mini, "add", "--all")
    _git(mini, "commit", "-q", "-m", "A briefing")
    checkout = tmp_path / "checkout"
    _git(tmp_path, "clone", "-q", str(mini), str(checkout))
    assert (checkout / "seeds").is_symlink() and (checkout / "templates" / "assets" / "secret.css").is_symlink()

    def build_checkout() -> list[str]:
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(checkout / "site.yaml")],
                                capture_output=True, text=True, cwd=checkout, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        return result.stderr.splitlines()[:-1]

    assert build_checkout() == [f"seeds/: the folder is a link to {outside / 'docs'}, outside the project; make seeds/ a folder of its own"]
    # The reader replaces the linked folder by the repository's real one: the next link is refused.
    (checkout / "seeds").unlink()
    shutil.copytree(checkout / "real-seeds", checkout / "seeds")
    (checkout / "site.yaml").write_text((checkout / "site.yaml").read_text().split("  - id: passwd")[0])
    assert build_checkout() == ["templates/assets/secret.css: this is a link to a file outside the project; copy the file itself here"]
    # Then the template's code does not run; it is a located problem.
    (checkout / "templates" / "assets" / "secret.css").unlink()
    assert build_checkout() == [
        "templates/page.html:6: access to attribute '__init__' of 'type' object is unsafe.; a template may only print the values it is given (see README: templates)"]
    assert not ran.exists()
    assert not (checkout / "output").exists()
    # Without the template's code, the site builds, and the HTML seed is published as text only.
    shutil.copy(ROOT / "templates" / "page.html", checkout / "templates" / "page.html")
    assert subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(checkout / "site.yaml"), "--quiet"],
                          cwd=checkout, timeout=60).returncode == 0
    published = sorted(p.relative_to(checkout / "output").as_posix() for p in (checkout / "output").rglob("*") if p.is_file())
    assert "sources/files/essay.html.txt" in published and "sources/files/essay.html" not in published
    assert not any(b"SECRET-OUTSIDE" in (checkout / "output" / name).read_bytes() for name in published)
    assert not ran.exists()
