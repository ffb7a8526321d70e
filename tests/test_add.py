"""`build.py add`: web pages and PDFs become seeds with their originals kept, cited, and built with --strict."""
from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from briefing import fetch
from briefing.cli import main
from tests import make_docs
from tests.conftest import ROOT, make_site


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    """The mini site, with the working folder set to it (as a user runs `python build.py add`)."""
    folder = make_site(tmp_path)
    monkeypatch.chdir(folder)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def docs(tmp_path: Path) -> dict[str, Path]:
    return make_docs.write_all(tmp_path / "incoming")


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.seen.append(dict(self.headers))
        status, headers, body = self.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers and not headers.get("X-Stream"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 (a free port): `base = server({path: (status, headers, body)})`."""
    started = []

    def start(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> str:
        handler = type("Handler", (_Handler,), {"routes": routes, "seen": []})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        start.handler = handler
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def entry(site: Path, source_id: str) -> dict:
    sources = yaml.safe_load((site / "site.yaml").read_text(encoding="utf-8"))["sources"]
    return next(s for s in sources if s["id"] == source_id)


def cite(site: Path, *citations: str) -> None:
    with open(site / "content" / "alpha.md", "a", encoding="utf-8") as page:
        for citation in citations:
            page.write(f"\nA claim that rests on it {citation}.\n")


def build_strict(site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--strict"], capture_output=True, text=True, cwd=site)


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in [site / "site.yaml", *sorted((site / "seeds").iterdir())]}


# ---- a web page by path ---------------------------------------------------------------------------------


def test_add_html_file_keeps_the_article_and_what_the_page_states(site, docs, capsys):
    before = (site / "site.yaml").read_text(encoding="utf-8")
    assert main(["add", str(docs["article.html"])]) == 0
    out = capsys.readouterr().out
    assert "added `article`: seeds/article.txt, original kept as seeds/article.original.html; site.yaml:19" in out
    seed = (site / "seeds" / "article.txt").read_text(encoding="utf-8")
    # windows-1252 read as the page declares it: curly quotes, apostrophe, accent.
    assert "the café owners’ association" in seed and "“disappointing but not final”" in seed
    assert "The negotiators met for a third day" in seed
    for boilerplate in make_docs.BOILERPLATE:
        assert boilerplate not in seed
    assert (site / "seeds" / "article.original.html").read_bytes() == docs["article.html"].read_bytes()
    source = entry(site, "article")
    assert source == {
        "id": "article", "file": "article.txt", "title": "Harbour talks stall", "author": "Jane Marlow",
        "publisher": "The Coastal Ledger", "date": "2024-03-05", "url": "https://ledger.example/2024/harbour-talks",
        "original": "article.original.html", "sha256": hashlib.sha256(docs["article.html"].read_bytes()).hexdigest(),
        "extractor": source["extractor"], "retrieved": source["retrieved"], "charset": "cp1252",
    }
    assert source["extractor"].startswith("trafilatura ")
    import datetime as dt
    assert str(source["retrieved"]) == dt.date.today().isoformat()
    # Every byte of site.yaml that was there stays: the entry is appended after the last source.
    after = (site / "site.yaml").read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before):].startswith("  - id: article\n    file: article.txt\n")


def test_cited_page_builds_strict_links_into_the_original_and_never_publishes_it(site, docs):
    assert main(["add", str(docs["article.html"]), "--id", "ledger"]) == 0
    cite(site, '[@ledger "disappointing but not final"]', '[@ledger "the port" n=1]')
    result = build_strict(site)
    assert result.returncode == 0, result.stderr
    page = (site / "output" / "sources" / "ledger.html").read_text(encoding="utf-8")
    assert "https://ledger.example/2024/harbour-talks#:~:text=disappointing%20but%20not%20final" in page
    # "the port" occurs three times to a browser (which ignores case): the words around it single it out.
    assert 'harbour-talks#:~:text=in-,the%20port,-city"' in page
    assert "Provenance" in page and "ledger.original.html" in page and "trafilatura" in page
    published = [p.name for p in (site / "output").rglob("*")]
    assert not [name for name in published if ".original." in name]
    assert sorted(p.name for p in (site / "output" / "sources" / "files").iterdir()) == ["essay.txt", "ledger.txt", "wire.txt"]


def test_utf8_page_and_a_name_that_makes_the_id(site, docs):
    assert main(["add", str(docs["article-utf8.html"])]) == 0
    assert entry(site, "article-utf8")["charset"] == "utf-8"
    assert "the café owners’ association" in (site / "seeds" / "article-utf8.txt").read_text(encoding="utf-8")


# ---- PDFs -----------------------------------------------------------------------------------------------


def test_add_pdf_file_cites_across_a_line_wrap_and_builds_strict(site, docs, capsys):
    assert main(["add", str(docs["report.pdf"]), "--id", "review"]) == 0
    assert "left out: date, url" in capsys.readouterr().out
    seed = (site / "seeds" / "review.txt").read_text(encoding="utf-8")
    assert "container\ninspections rose sharply" in seed  # the line wraps as the PDF has them
    assert "\n\f\n" in seed  # the pages
    source = entry(site, "review")
    assert source["title"] == "Port Security Review 2024" and source["author"] == "Harbour Authority"
    assert source["paragraphs"] == "blank-lines" and source["extractor"].startswith("pypdf ")
    assert "charset" not in source and "date" not in source
    # Typed as a reader sees them, across line wraps, in each paragraph, and on the second page.
    cite(site, '[@review "container inspections rose sharply in the second half of the year"]',
         '[@review "the scanners were moved to the northern quay"]', '[@review "recommendations of the review"]')
    result = build_strict(site)
    assert result.returncode == 0, result.stderr
    assert not list((site / "output").rglob("*.pdf"))


def test_quote_across_the_pdf_paragraph_gap_fails(site, docs):
    assert main(["add", str(docs["report.pdf"]), "--id", "review"]) == 0
    cite(site, '[@review "stayed the same. A second paragraph"]')
    result = build_strict(site)
    assert result.returncode == 1
    assert "the quote runs across a paragraph break in the source" in result.stderr


# ---- by URL from a local server -------------------------------------------------------------------------


def test_add_html_by_url_honours_the_http_charset_and_records_the_address(site, server):
    # The page declares no charset itself; only the HTTP header says windows-1252.
    body = make_docs.article_html("windows-1252", in_meta=False)
    base = server({"/old": (301, {"Location": "/news/harbour-talks.html"}, b""),
                   "/news/harbour-talks.html": (200, {"Content-Type": "text/html; charset=windows-1252"}, body)})
    assert main(["add", base + "/old"]) == 0
    source = entry(site, "harbour-talks")
    assert source["url"] == base + "/news/harbour-talks.html"  # where it was fetched from, after the redirect
    assert source["charset"] == "cp1252"
    assert "the café owners’ association" in (site / "seeds" / "harbour-talks.txt").read_text(encoding="utf-8")
    assert server.handler.seen[0]["User-Agent"].startswith("briefing-add/")
    cite(site, '[@harbour-talks "left without a deal on fishing quotas"]')
    assert build_strict(site).returncode == 0
    page = (site / "output" / "sources" / "harbour-talks.html").read_text(encoding="utf-8")
    assert f'href="{base}/news/harbour-talks.html#:~:text=left%20without%20a%20deal%20on%20fishing%20quotas"' in page


def test_add_pdf_by_url(site, server):
    base = server({"/files/review.pdf": (200, {"Content-Type": "application/pdf"}, make_docs.report_pdf())})
    assert main(["add", base + "/files/review.pdf"]) == 0
    source = entry(site, "review")
    assert source["url"] == base + "/files/review.pdf" and source["original"] == "review.original.pdf"
    cite(site, '[@review "while staffing levels stayed the same"]', '[@review "recommendations of the review"]')
    assert build_strict(site).returncode == 0
    page = (site / "output" / "sources" / "review.html").read_text(encoding="utf-8")
    assert f'href="{base}/files/review.pdf#page=1"' in page and f'href="{base}/files/review.pdf#page=2"' in page


def test_an_index_page_gets_an_id_that_is_not_reserved(site, server):
    base = server({"/news/index.html": (200, {"Content-Type": "text/html"}, make_docs.article_html("utf-8"))})
    assert main(["add", base + "/news/index.html"]) == 0
    assert entry(site, "index-page")["file"] == "index-page.txt"


def test_text_file_is_its_own_seed(site, tmp_path):
    notes = tmp_path / "Field Notes.md"
    notes.write_text("# Field notes\n\nThe ferry left at dawn.\n", encoding="utf-8")
    assert main(["add", str(notes)]) == 0
    assert (site / "seeds" / "field-notes.md").read_bytes() == notes.read_bytes()
    source = entry(site, "field-notes")
    assert source["title"] == "[Untitled: Field Notes.md]"
    assert "original" not in source and "sha256" not in source and "retrieved" in source


# ---- errors: one line, exit 1, nothing written ----------------------------------------------------------


def fails(site: Path, capsys, args: list[str]) -> str:
    before = snapshot(site)
    assert main(["add", *args]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert snapshot(site) == before
    assert not [p for p in site.iterdir() if p.name.startswith(".site.yaml.")]
    return lines[0]


def test_scanned_pdf(site, docs, capsys):
    assert fails(site, capsys, [str(docs["scanned.pdf"])]) == \
        "add: scanned.pdf: no text found: it looks scanned; run OCR, e.g. ocrmypdf, and add the result"


def test_encrypted_pdf(site, docs, capsys):
    assert fails(site, capsys, [str(docs["locked.pdf"])]) == \
        "add: locked.pdf: the PDF is encrypted with a password; save an unencrypted copy (e.g. qpdf --decrypt) and add that"


def test_damaged_pdf(site, tmp_path, capsys):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a PDF body\n")
    assert fails(site, capsys, [str(broken)]).startswith("add: broken.pdf: not a readable PDF (")


def test_html_without_main_text(site, docs, capsys):
    assert fails(site, capsys, [str(docs["menu.html"])]) == (
        "add: menu.html: no main text found in the page (only navigation, scripts or nothing); "
        "save the article's text as a .txt file and add that")


def test_existing_id(site, docs, capsys):
    assert fails(site, capsys, [str(docs["article.html"]), "--id", "wire"]) == \
        "add: source id `wire` is already in site.yaml (line 7); choose another id with --id"


def test_existing_file_name(site, docs, capsys):
    (site / "seeds" / "article.original.html").write_text("left from before")
    assert fails(site, capsys, [str(docs["article.html"])]) == \
        "add: seeds/article.original.html already exists; choose another id with --id, or remove the file"


def test_file_name_listed_in_site_yaml(site, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("Another document.\n")
    assert fails(site, capsys, [str(notes), "--id", "essay"]) == \
        "add: source id `essay` is already in site.yaml (line 15); choose another id with --id"
    text = (site / "site.yaml").read_text().replace("file: essay.txt", "file: guide.txt")
    (site / "site.yaml").write_text(text)  # listed, though not (yet) in seeds/
    assert fails(site, capsys, [str(notes), "--id", "guide"]) == \
        "add: seeds/guide.txt is already in site.yaml (line 16); choose another id with --id"


def test_bad_id(site, docs, capsys):
    assert fails(site, capsys, [str(docs["article.html"]), "--id", "Bad Id"]) == (
        "add: the id 'Bad Id' must be lower-case letters, digits, - or _, starting with a letter or digit; choose one with --id")


def test_missing_file(site, capsys):
    assert fails(site, capsys, ["nowhere/report.pdf"]) == "add: nowhere/report.pdf does not exist; check the path"


def test_folder_is_not_a_file(site, tmp_path, capsys):
    (tmp_path / "folder.html").mkdir()
    assert fails(site, capsys, [str(tmp_path / "folder.html")]) == f"add: {tmp_path / 'folder.html'} is not a file; give the path of the document to add"


def test_oversized_file(site, tmp_path, capsys):
    big = tmp_path / "big.pdf"
    with open(big, "wb") as file:
        file.truncate(fetch.MAX_BYTES + 1)  # sparse: nothing is read
    assert fails(site, capsys, [str(big)]) == \
        f"add: {big} is 20,000,001 bytes, over the limit of 20,000,000 bytes; add a shorter extract as .txt"


def test_unknown_kind(site, tmp_path, capsys):
    memo = tmp_path / "memo.docx"
    memo.write_bytes(b"PK")
    assert fails(site, capsys, [str(memo)]) == f"add: {memo} is not .html, .htm, .pdf, .txt or .md; save the document as one of these and add that"


def test_text_not_utf8(site, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_bytes("café\n".encode("cp1252"))
    assert fails(site, capsys, [str(notes)]) == "add: notes.txt: not valid UTF-8 (byte 0xe9 at offset 3); re-save it as UTF-8 and add it again"


def test_url_errors(site, server, capsys):
    base = server({"/notes.txt": (200, {"Content-Type": "text/plain"}, b"plain"),
                   "/to-ftp": (302, {"Location": "ftp://127.0.0.1/file.pdf"}, b""),
                   "/huge.pdf": (200, {"Content-Type": "application/pdf", "Content-Length": str(fetch.MAX_BYTES + 1)}, b"")})
    assert fails(site, capsys, [base + "/notes.txt"]) == \
        f"add: {base}/notes.txt is text/plain, not HTML or PDF; only web pages and PDFs can be added from an address"
    assert fails(site, capsys, [base + "/to-ftp"]) == \
        f"add: {base}/to-ftp redirects to ftp://127.0.0.1/file.pdf, which is not an http(s) address; save the document and add the file"
    assert fails(site, capsys, [base + "/huge.pdf"]) == \
        f"add: {base}/huge.pdf is 20,000,001 bytes, over the limit of 20,000,000 bytes; save it and add a shorter extract as .txt"
    assert fails(site, capsys, [base + "/gone.html"]) == \
        f"add: {base}/gone.html answered HTTP 404 Not Found; check the address, or save the document and add the file"
    assert fails(site, capsys, ["ftp://127.0.0.1/report.pdf"]) == \
        "add: ftp://127.0.0.1/report.pdf is not an http(s) address; give a web address or a file path"


def test_url_body_over_the_limit_without_a_length(site, server, capsys, monkeypatch):
    monkeypatch.setattr(fetch, "MAX_BYTES", 1000)
    base = server({"/long.html": (200, {"Content-Type": "text/html", "X-Stream": "1", "Connection": "close"}, b"<p>word</p>" * 200)})
    assert fails(site, capsys, [base + "/long.html"]) == \
        f"add: {base}/long.html is over the limit of 1,000 bytes; save it and add a shorter extract as .txt"


def test_url_refused(site, capsys):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens once it is closed
    assert fails(site, capsys, [f"http://127.0.0.1:{port}/a.html"]) == (
        f"add: cannot fetch http://127.0.0.1:{port}/a.html ([Errno 111] Connection refused); "
        "check the address and the network, or save the document and add the file")


def test_url_time_out(site, capsys, monkeypatch):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    monkeypatch.setattr(fetch, "TIMEOUT", 0.5)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow.html"
        assert fails(site, capsys, [url]) == \
            f"add: {url} did not answer within 0.5 seconds; try again later, or save the document and add the file"
    finally:
        listener.close()


def test_nothing_to_add(site, capsys):
    assert fails(site, capsys, []) == \
        "add: nothing to add; give a file path or an http(s) address (python build.py add report.pdf), or --refresh ID"


def test_the_command_itself_exits_1_with_one_line(site, docs):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "add", str(docs["scanned.pdf"])], capture_output=True, text=True, cwd=site)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "add: scanned.pdf: no text found: it looks scanned; run OCR, e.g. ocrmypdf, and add the result\n"


def test_help_lists_add():
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], capture_output=True, text=True)
    assert "add" in result.stdout and "PDF" in result.stdout


# ---- the build checks the kept original -----------------------------------------------------------------


def test_build_warns_when_the_original_changed_or_is_missing(site, docs):
    assert main(["add", str(docs["article.html"])]) == 0
    assert build_strict(site).returncode == 0
    line = next(n for n, text in enumerate((site / "site.yaml").read_text().splitlines(), 1) if text.strip().startswith("sha256:"))
    original = site / "seeds" / "article.original.html"
    original.write_bytes(original.read_bytes().replace(b"third day", b"fourth day"))
    result = build_strict(site)
    assert result.returncode == 1
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    recorded = entry(site, "article")["sha256"]
    assert result.stderr.splitlines()[0] == (
        f"site.yaml:{line}: warning: seeds/article.original.html, the original of `article`, has changed since it was added "
        f"(SHA-256 {digest[:12]}…, site.yaml has {recorded[:12]}…); restore it, or check the seed with `python build.py add --refresh article`")
    original.unlink()
    result = build_strict(site)
    assert result.stderr.splitlines()[0] == (
        f"site.yaml:{line}: warning: seeds/article.original.html, the original of `article`, is missing; "
        "restore it (git checkout seeds/), or remove `original:` and `sha256:`")


# ---- --refresh --------------------------------------------------------------------------------------------


def test_refresh_lists_the_citations_that_would_break_and_writes_only_when_told(site, docs, capsys):
    assert main(["add", str(docs["article.html"])]) == 0
    seed = site / "seeds" / "article.txt"
    # The seed as an earlier extractor made it: a sentence the installed one no longer gives.
    seed.write_text(seed.read_text(encoding="utf-8") + "Reporting by the harbour desk.\n", encoding="utf-8")
    cite(site, '[@article "Reporting by the harbour desk"]', '[@article "left without a deal"]')
    assert build_strict(site).returncode == 0
    capsys.readouterr()
    before = snapshot(site)

    assert main(["add", "--refresh", "article"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("makes a different text (1 line(s) differ) from seeds/article.original.html than seeds/article.txt holds")
    assert out[1].startswith('  content/alpha.md:') and '"Reporting by the harbour desk" would no longer match: quote not found' in out[1]
    assert out[2] == "  1 citation(s) would no longer match"
    assert out[3] == "nothing changed; to replace seeds/article.txt, run: python build.py add --refresh article --write"
    assert snapshot(site) == before

    assert main(["add", "--refresh", "article", "--write"]) == 0
    assert "fix the citations listed above before building" in capsys.readouterr().out
    assert "Reporting by the harbour desk" not in seed.read_text(encoding="utf-8")
    assert (site / "site.yaml").read_bytes() == before["site.yaml"]  # the original and the extractor are as recorded
    result = build_strict(site)
    assert result.returncode == 1 and "quote not found in seeds/article.txt" in result.stderr

    assert main(["add", "--refresh", "article"]) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_refresh_after_the_original_changed_updates_its_sha256(site, docs, capsys):
    assert main(["add", str(docs["article.html"])]) == 0
    original = site / "seeds" / "article.original.html"
    original.write_bytes(original.read_bytes().replace(b"fishing quotas", b"fishing rights"))
    cite(site, '[@article "a deal on fishing quotas"]')
    assert main(["add", "--refresh", "article"]) == 0
    assert '"a deal on fishing quotas" would no longer match' in capsys.readouterr().out
    assert main(["add", "--refresh", "article", "--write"]) == 0
    assert entry(site, "article")["sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    assert "fishing rights" in (site / "seeds" / "article.txt").read_text(encoding="utf-8")


def test_refresh_errors(site, capsys):
    assert fails(site, capsys, ["--refresh", "nope"]) == "add: there is no source `nope` in site.yaml; known ids are wire, essay"
    assert fails(site, capsys, ["--refresh", "wire"]) == \
        "add: source `wire` has no kept original (`original:` in site.yaml); only sources added from HTML or PDF can be refreshed"


# ---- stage functions on in-memory values ------------------------------------------------------------------


def _source(url: str | None = "https://example.org/a?b=1#top"):
    from briefing.config import SourceConfig
    from briefing.errors import Location

    return SourceConfig(id="s", file="s.txt", title="S", author=None, publisher=None, date=None, url=url, kind=None,
                        perspective=None, furniture=(), paragraphs="lines", location=Location("site.yaml", 1))


def test_text_fragment_unique_words_alone():
    from briefing.provenance import text_fragment_url

    text = "Prices rose in May.\nThe co-operative, “Nord & Sons”, said so.\n"
    start = text.index("The co")
    end = text.index(" said")
    assert text_fragment_url(_source(), text, start, end) == (
        "https://example.org/a?b=1#:~:text=The%20co%2Doperative%2C%20%E2%80%9CNord%20%26%20Sons%E2%80%9D%2C")
    assert text_fragment_url(_source(None), text, start, end) is None


def test_text_fragment_repeated_words_get_prefix_and_suffix():
    from briefing.provenance import text_fragment_url

    text = "the deal was signed.\nThey said THE DEAL was off,\nand the deal was signed again."
    first = text.index("the deal")
    assert text_fragment_url(_source(), text, first, first + 8).endswith("#:~:text=the%20deal,-was%20signed.")
    second = text.index("THE DEAL")
    assert text_fragment_url(_source(), text, second, second + 8).endswith("#:~:text=said-,THE%20DEAL,-was")
    third = text.index("the deal", second)
    assert text_fragment_url(_source(), text, third, third + 8).endswith("#:~:text=and-,the%20deal,-was")


def _sources_node(text: str):
    node = yaml.compose(text)
    return next(v for k, v in node.value if k.value == "sources")


def test_insert_source_keeps_every_other_byte():
    from briefing.add import insert_source

    text = ("# The site\r\ntitle: T   # a comment\r\nsources:\r\n"
            "    -   id: a\r\n        file: a.txt\r\n        furniture:\r\n          - \"x\"\r\n          - 4\r\n"
            "    # the end of the sources\r\n\r\ntopics: [alpha]\r\n")
    new, line = insert_source(text, _sources_node(text), {"id": "b", "file": "b.txt", "title": 'Say "hi": #1'})
    assert line == 9
    assert new == text.replace("    # the end", "    -   id: b\r\n        file: b.txt\r\n        title: \"Say \\\"hi\\\": #1\"\r\n    # the end")
    assert yaml.safe_load(new)["sources"][1] == {"id": "b", "file": "b.txt", "title": 'Say "hi": #1'}


def test_insert_source_into_an_empty_list():
    from briefing.add import insert_source

    text = "title: T\nsources: []   # none yet\ntopics: []\n"
    new, line = insert_source(text, _sources_node(text), {"id": "b", "file": "b.txt"})
    assert new == "title: T\nsources:\n  - id: b\n    file: b.txt   # none yet\ntopics: []\n" and line == 3
    assert yaml.safe_load(new)["sources"] == [{"id": "b", "file": "b.txt"}]


def test_insert_source_after_a_last_entry_without_a_newline():
    from briefing.add import insert_source

    text = "title: T\nsources:\n- id: a\n  file: a.txt\n  title: |\n    A title\n    on two lines"
    new, line = insert_source(text, _sources_node(text), {"id": "b", "file": "b.txt", "title": "B"})
    assert new == text + '\n- id: b\n  file: b.txt\n  title: "B"\n' and line == 8


def test_provenance_keys_are_checked(mini):
    from briefing.config import load_config
    from briefing.errors import BuildError

    text = (mini / "site.yaml").read_text()
    (mini / "site.yaml").write_text(text.replace("    kind: commentary\n", "    kind: commentary\n    original: essay.original.html\n"
                                                 "    sha256: ABC\n    retrieved: yesterday\n"))
    with pytest.raises(BuildError) as raised:
        load_config(mini / "site.yaml")
    assert [str(p) for p in raised.value.problems] == [
        "site.yaml:20: `sha256` must be 64 lower-case hex digits (the kept original's SHA-256)",
        "site.yaml:21: `retrieved` must be a date YYYY-MM-DD, got 'yesterday'",
    ]


# ---- in a browser: the excerpt's link opens the original at the words ------------------------------------


def test_in_the_original_link_scrolls_chromium_to_the_words(site, server, static_server, browser):
    filler = "".join(f"<p>Paragraph {n} of the background section, which repeats what earlier reports said.</p>" for n in range(150))
    body = make_docs.article_html("utf-8").replace(b"<main><article>", b"<main><article>" + filler.encode())
    base = server({"/harbour.html": (200, {"Content-Type": "text/html; charset=utf-8"}, body)})
    assert main(["add", base + "/harbour.html"]) == 0
    cite(site, '[@harbour "disappointing but not final"]')
    assert build_strict(site).returncode == 0
    page = browser.new_page()
    try:
        page.goto(static_server(site / "output") + "sources/harbour.html")
        page.locator("details.cited-quotes", has=page.locator("a.in-original")).first.locator("summary").click()  # the quotes are folded
        with page.expect_navigation():
            page.click("a.in-original")
        page.wait_for_function("window.scrollY > 0", timeout=5000)
        top = page.evaluate("""() => { const p = [...document.querySelectorAll('p')].find(p => p.textContent.includes('disappointing'));
                                       return p.getBoundingClientRect().top; }""")
        assert 0 <= top < page.viewport_size["height"]
    finally:
        page.close()


def test_a_changed_url_changes_the_links_into_the_original_on_the_next_build(site, docs):
    assert main(["add", str(docs["article.html"])]) == 0
    cite(site, '[@article "disappointing but not final"]')
    assert build_strict(site).returncode == 0
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text.replace("https://ledger.example/2024/harbour-talks", "https://ledger.example/moved"), encoding="utf-8")
    assert build_strict(site).returncode == 0
    page = (site / "output" / "sources" / "article.html").read_text(encoding="utf-8")
    assert 'href="https://ledger.example/moved#:~:text=disappointing' in page and "2024/harbour-talks#" not in page


def test_charset_labels_read_as_a_browser_reads_them():
    from briefing.extract import html_charset

    http_equiv = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    assert html_charset(http_equiv) == "windows-1252"  # 0x92 is an apostrophe, as in every browser
    assert html_charset(http_equiv, declared="utf-8") == "utf-8"  # the HTTP header wins
    assert html_charset(b"\xef\xbb\xbf<meta charset=windows-1252>") == "utf-8"  # and a byte-order mark wins over both
    assert html_charset(b"<p>no declaration</p>") == "utf-8"
    assert html_charset(b"<meta charset=no-such-thing>") == "utf-8"


def test_extraction_is_the_same_on_any_day():
    from briefing.extract import extract_html

    # A date later than today is kept: no bound is taken from the clock.
    page = make_docs.article_html("utf-8").replace(b"2024-03-05T09:00:00Z", b"2031-05-05T09:00:00Z")
    first, second = extract_html(page), extract_html(page)
    assert first == second and first.date == "2031-05-05"
