"""Small web pages and PDFs for the tests of `build.py add`, made at test time (PDFs with fpdf2).

Run as `python -m tests.make_docs FOLDER` to write them all into FOLDER and look at them.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

FIXED_DATE = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)

# A news page in windows-1252 (curly quotes, an apostrophe and an accented letter outside ASCII)
# with navigation, a header, an aside and a footer around the article, and its metadata in meta tags.
ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head>{charset_meta}
<title>Harbour talks stall | The Coastal Ledger</title>
<meta property="og:title" content="Harbour talks stall">
<meta name="author" content="Jane Marlow">
<meta property="og:site_name" content="The Coastal Ledger">
<meta property="article:published_time" content="2024-03-05T09:00:00Z">
<link rel="canonical" href="https://ledger.example/2024/harbour-talks">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news menu</a></li><li><a href="/sport">Sport section</a></li></ul></nav>
<header><p>Subscribe to our newsletter for the morning briefing</p></header>
<main><article>
<h1>Harbour talks stall</h1>
<p>The negotiators met for a third day in the port city but left without a deal on fishing quotas, according to officials present at the talks.</p>
<p>A spokesman said the café owners’ association had asked for a delay. The mayor called the result “disappointing but not final”.</p>
<p>Talks are expected to resume next month once both delegations have consulted their governments on the remaining points of difference.</p>
<p>The port city has hosted three rounds of talks this year, and the port authority said it would host the next round as well.</p>
</article></main>
<aside><p>Related: ten things to do in the harbour this weekend</p></aside>
<footer><p>Copyright 2024 The Coastal Ledger. All rights reserved.</p></footer>
</body></html>
"""

BOILERPLATE = ("World news menu", "Sport section", "Subscribe to our newsletter", "ten things to do", "All rights reserved")

NO_TEXT_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Menu</title></head>
<body><nav><a href="/">Home</a> <a href="/a">About</a></nav><script>var x = 1;</script></body></html>
"""

REPORT_PARAGRAPHS = (
    "The review found that container inspections rose sharply in the second half of the year, while staffing levels stayed the same.",
    "A second paragraph notes that the scanners were moved to the northern quay in May and that waiting times fell by a third.",
)
REPORT_PAGE_TWO = "Page two begins here with the recommendations of the review for the coming year."


def article_html(charset: str | None = "windows-1252", in_meta: bool = True) -> bytes:
    """The news page encoded in `charset`, declaring it in a <meta charset> when `in_meta`."""
    meta = f'<meta charset="{charset}">' if charset and in_meta else ""
    return ARTICLE_HTML.format(charset_meta=meta).encode(charset or "utf-8")


def report_pdf(title: str | None = "Port Security Review 2024", author: str | None = "Harbour Authority",
               user_password: str | None = None) -> bytes:
    """A two-page PDF whose paragraphs wrap over several lines (a narrow column), with a gap between them."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)  # the same bytes on every run
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for paragraph in REPORT_PARAGRAPHS:
        pdf.multi_cell(80, 6, paragraph)
        pdf.ln(6)
    pdf.add_page()
    pdf.multi_cell(80, 6, REPORT_PAGE_TWO)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF holding only a picture of a page, as a scanner makes it: no text layer."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    pdf.add_page()
    pdf.image(Image.new("L", (60, 80), color=200), x=10, y=10, w=60)
    return bytes(pdf.output())


def write_all(folder: Path) -> dict[str, Path]:
    """Every document above, written into `folder`; by name."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "article.html": article_html(),
        "article-utf8.html": article_html("utf-8"),
        "menu.html": NO_TEXT_HTML.encode(),
        "report.pdf": report_pdf(),
        "scanned.pdf": scanned_pdf(),
        "locked.pdf": report_pdf(user_password="secret"),
    }
    paths = {}
    for name, data in documents.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs-for-tests")).values():
        print(path)
