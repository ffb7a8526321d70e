"""Before loading: turn an original document (HTML, PDF, text) into a seed's text and the metadata it states.

Used by `python build.py add`, never by a build. The same original and the same installed
extractor always give the same text: no deduplication across documents, no date bound taken
from the clock.
"""
from __future__ import annotations

import codecs
import html
import io
import re
from dataclasses import dataclass
from importlib.metadata import version
from urllib.parse import urlsplit

# What each kind of original is, by its file name's ending; `add` keeps the original under
# `<id>.original.<ending>`, which site.yaml never lists as a seed, so it is never published.
KINDS = {".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".txt": "text", ".md": "text"}
ORIGINAL_ENDINGS = {"html": "html", "pdf": "pdf"}

# htmldate rejects dates later than `max_date`, which it takes from the clock by default: a fixed
# bound keeps the result the same on any day. Only the markup is searched (no guessing from the URL).
DATE_PARAMS = {"extensive_search": False, "original_date": True, "max_date": "2999-12-31", "url": ""}

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# The WHATWG Encoding Standard reads these labels as windows-1252, as every browser does.
_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819", "ibm819", "iso-ir-100"}


class ExtractError(ValueError):
    """The document gives no usable text; the message says why and what to do (one line)."""


@dataclass(frozen=True)
class Extracted:
    """A seed's text made from an original, and only the metadata the original itself states."""

    text: str  # the seed: UTF-8 text ending in a newline
    extractor: str | None  # "trafilatura 2.3.1", "pypdf 7.1.1"; None for text kept as it is
    charset: str | None  # the encoding an HTML original was read in (so --refresh reads it alike)
    title: str | None = None
    author: str | None = None
    publisher: str | None = None  # the site name the page states
    date: str | None = None  # YYYY-MM-DD, as the page's markup states it
    url: str | None = None  # the canonical address the page states


def kind_of(name: str) -> str | None:
    """"html", "pdf" or "text" for a file name by its ending (case-insensitive); None for any other."""
    for ending, kind in KINDS.items():
        if name.lower().endswith(ending):
            return kind
    return None


def extract(kind: str, data: bytes, charset: str | None = None) -> Extracted:
    """The seed for an original of a kind ("html", "pdf", "text") given as its bytes.

    `charset` is the encoding declared outside the document (an HTTP Content-Type header), which
    wins over the page's own declaration. Raises ExtractError when there is no text to keep.
    """
    if kind == "html":
        return extract_html(data, charset)
    if kind == "pdf":
        return extract_pdf(data)
    return extract_text(data)


def extract_text(data: bytes) -> Extracted:
    """A .txt or .md original kept as it is: it must be UTF-8 (as any seed) and not empty."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8 and add it again") from None
    if "\x00" in text:
        raise ExtractError("it contains a NUL byte, so it is binary, not text; save the document as UTF-8 text")
    if not text.strip():
        raise ExtractError("it is empty; a seed must contain the document's text")
    return Extracted(text, None, None)


def html_charset(data: bytes, declared: str | None = None) -> str:
    """The encoding to read an HTML page in, as a browser would: a byte-order mark, else the
    charset declared outside the page (HTTP), else the page's own <meta> in its first 4096 bytes,
    else UTF-8. Labels are Python codec names; latin-1 and ASCII labels read as windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for label in (declared, *(m.decode("ascii") for m in _META_CHARSET.findall(data[:4096])[:1])):
        if not label:
            continue
        label = label.strip().lower()
        if label in _AS_WINDOWS_1252:
            return "windows-1252"
        try:
            return codecs.lookup(label).name if label not in ("utf8", "utf-8") else "utf-8"
        except LookupError:
            continue
    return "utf-8"


def extract_html(data: bytes, charset: str | None = None) -> Extracted:
    """The main text of an HTML page (navigation, footers and asides left out) with trafilatura,
    one paragraph per line, and the title, author, site name, date and canonical URL its markup states."""
    import trafilatura

    encoding = html_charset(data, charset)
    try:
        page = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ExtractError(f"not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start}), "
                           "the encoding the page declares; save it in the encoding it declares, or fix its <meta charset>") from None
    page = page.lstrip("\ufeff")
    tree = trafilatura.load_html(page)
    text = None
    if tree is not None:
        text = trafilatura.extract(tree, output_format="txt", include_comments=False, include_tables=True,
                                   deduplicate=False, with_metadata=False, date_extraction_params=dict(DATE_PARAMS))
    if not text or not text.strip() or _only_navigation(text, trafilatura.load_html(page)):  # extract() prunes the tree it gets
        raise ExtractError("no main text found in the page (only navigation, scripts or nothing); "
                           "save the article's text as a .txt file and add that")
    metadata = _html_metadata(page)
    return Extracted(_tidy(text), f"trafilatura {version('trafilatura')}", encoding, **metadata)


def _only_navigation(text: str, tree: object) -> bool:
    """Whether every line trafilatura kept is link text or lies in the page's navigation, header,
    footer or aside: it falls back to those when a page has no article at all."""
    chrome = " ".join(" ".join(element.text_content().split())
                      for element in tree.iter("a", "nav", "header", "footer", "aside"))  # type: ignore[attr-defined]
    return all(" ".join(line.split()) in chrome for line in text.splitlines() if line.strip())


def _html_metadata(page: str) -> dict[str, str | None]:
    """What the page's markup states: trafilatura's reading of its meta tags, JSON-LD, <title>
    and bylines. Where trafilatura would fill a gap from the URL (a site name made from the host
    name, a date from the path) the value is left out: a value is kept only where the page holds it."""
    import htmldate
    from trafilatura import extract_metadata, load_html

    found = extract_metadata(load_html(page), default_url=None, date_config=dict(DATE_PARAMS))
    date = htmldate.find_date(load_html(page), **DATE_PARAMS)  # `url: ""`: never a date read off an address
    url = found.url if found.url and urlsplit(found.url).scheme in ("http", "https") and found.url in page else None
    return {
        "title": _stated(found.title, page),
        "author": _stated(found.author, page),
        "publisher": _stated(found.sitename, page),
        "date": date if date and _stated_date(date, page) else None,
        "url": url,
    }


def _stated(value: str | None, page: str) -> str | None:
    """The value if the page's text holds it (trafilatura capitalises or invents some), else None."""
    if not value or not value.strip():
        return None
    value = " ".join(value.split())
    flat = " ".join(html.unescape(page).split())
    return value if value in flat else None


def _stated_date(date: str, page: str) -> bool:
    """Whether the page holds the year of a date htmldate found (it never invents one from a
    bounded search, but a cheap check keeps a stray clock-made date out)."""
    return date[:4] in page


def extract_pdf(data: bytes) -> Extracted:
    """The text layer of a PDF with pypdf: each page's lines as the PDF lays them out (a blank line
    where the page leaves a gap between paragraphs), pages
    separated by a form feed on a line of its own; the title and author from its information
    dictionary. Raises ExtractError for an encrypted PDF, a damaged one, or one with no text layer."""
    import pypdf
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (PyPdfError, NotImplementedError):
                opened = 0
            if not opened:
                raise ExtractError("the PDF is encrypted with a password; save an unencrypted copy (e.g. qpdf --decrypt) and add that")
        # Layout mode keeps the vertical gaps between paragraphs as blank lines.
        pages = [(page.extract_text(extraction_mode="layout") or "") for page in reader.pages]
        info = reader.metadata
    except ExtractError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ExtractError(f"not a readable PDF ({exc}); open it in a PDF viewer, save a fresh copy and add that") from None
    pages = [_dedent(page.replace("\x00", "")) for page in pages]
    if not any(page.strip() for page in pages):
        raise ExtractError("no text found: it looks scanned; run OCR, e.g. ocrmypdf, and add the result")
    text = "\n\f\n".join(pages) + "\n"
    title = _info(info, "/Title")
    author = _info(info, "/Author")
    return Extracted(text, f"pypdf {version('pypdf')}", None, title=title, author=author)


def _dedent(page: str) -> str:
    """A page's lines without trailing white space, the margin they all share, or blank lines at either end."""
    lines = [line.rstrip() for line in page.splitlines()]
    margin = min((len(line) - len(line.lstrip()) for line in lines if line), default=0)
    return "\n".join(line[margin:] for line in lines).strip("\n")


def _info(info: object, key: str) -> str | None:
    try:
        value = info.get(key) if info is not None else None  # type: ignore[attr-defined]
    except Exception:  # a damaged information dictionary states nothing
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    return " ".join(value.split())


def _tidy(text: str) -> str:
    """Lines without trailing white space, ending in one newline."""
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"
