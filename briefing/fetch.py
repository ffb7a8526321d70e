"""Before loading: fetch one web page or PDF for `python build.py add URL`, politely and within limits."""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

USER_AGENT = "briefing-add/1.0 (static briefing generator; fetches one document when a user adds it as a source)"
TIMEOUT = 30  # seconds, for connecting and for each read
MAX_BYTES = 20_000_000  # the largest original `add` accepts, from the web or from a file
CONTENT_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}


class FetchError(ValueError):
    """The address gave no document to add; the message says why and what to do (one line)."""


@dataclass(frozen=True)
class Fetched:
    data: bytes  # the body, at most MAX_BYTES
    url: str  # where it was fetched from in the end, after redirects
    kind: str  # "html" or "pdf"
    charset: str | None  # the charset the Content-Type header declares


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) addresses only (urllib alone would follow one to ftp)."""

    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"{req.full_url} redirects to {newurl}, which is not an http(s) address; save the document and add the file")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str) -> Fetched:
    """GET `url` (http or https) with a clear User-Agent and a TIMEOUT-second time-out, following
    up to 5 redirects between http(s) addresses. Raises FetchError for another scheme, a network
    or HTTP error, a content type other than HTML or PDF, or a body over MAX_BYTES."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise FetchError(f"{url} is not an http(s) address; give a web address or a file path")
    opener = urllib.request.build_opener(_Redirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/xhtml+xml, application/pdf"})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            final = response.geturl()
            if urlsplit(final).scheme not in ("http", "https"):
                raise FetchError(f"{url} ended at {final}, which is not an http(s) address; save the document and add the file")
            header = Message()
            header["content-type"] = response.headers.get("Content-Type", "")
            content_type = header.get_content_type()
            kind = CONTENT_TYPES.get(content_type)
            if kind is None:
                raise FetchError(f"{final} is {content_type}, not HTML or PDF; only web pages and PDFs can be added from an address")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_BYTES:
                raise FetchError(f"{final} is {int(length):,} bytes, over the limit of {MAX_BYTES:,} bytes; save it and add a shorter extract as .txt")
            data = response.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise FetchError(f"{final} is over the limit of {MAX_BYTES:,} bytes; save it and add a shorter extract as .txt")
            return Fetched(data, final, kind, header.get_param("charset"))  # type: ignore[arg-type]
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code} {exc.reason}; check the address, or save the document and add the file") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchError(f"{url} did not answer within {TIMEOUT} seconds; try again later, or save the document and add the file") from None
        raise FetchError(f"cannot fetch {url} ({exc.reason}); check the address and the network, or save the document and add the file") from None
    except TimeoutError:
        raise FetchError(f"{url} did not answer within {TIMEOUT} seconds; try again later, or save the document and add the file") from None
    except OSError as exc:
        raise FetchError(f"cannot fetch {url} ({exc}); check the address and the network, or save the document and add the file") from None
