"""An Atom feed of the site's dated pages (part of rendering: a pure function of the settings and pages)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable

from .config import Config
from .content import Page


def atom_feed(config: Config, pages: Iterable[Page]) -> bytes:
    """The feed's bytes: the same pages give the same bytes (no clock is read)."""
    from feedgen.feed import FeedGenerator  # here: a build that makes no feed does not load it (nor lxml)

    dated = sorted((p for p in pages if p.updated), key=lambda p: (p.updated, p.url), reverse=True)
    feed = FeedGenerator()
    feed.id(_id(config, "index.html"))
    feed.title(_text(config.title))
    if config.description:
        feed.subtitle(_text(config.description))
    feed.link(href=_address(config, "index.html"), rel="alternate")
    feed.link(href=_address(config, "feed.xml"), rel="self")
    feed.language(config.language)
    feed.updated(_midnight(dated[0].updated) if dated else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    for page in reversed(dated):  # feedgen puts each new entry first
        entry = feed.add_entry()
        entry.id(_id(config, page.url))
        entry.title(_text(page.title))
        entry.link(href=_address(config, page.url), rel="alternate")
        entry.updated(_midnight(page.updated))
        entry.summary(_text(page.summary or page.title))
        entry.author(name=_text(config.title))
    return feed.atom_str(pretty=True)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Text as XML 1.0 can hold it: control characters (a title may carry one, escaped in YAML) dropped."""
    return _NOT_XML.sub("", value)


def _address(config: Config, url: str) -> str:
    """The page's full address under base_url, or its address relative to the feed."""
    path = "" if url == "index.html" else url
    return config.base_url + path if config.base_url else (path or "./")


def _id(config: Config, url: str) -> str:
    """A permanent id: the page's address when the site has one, else a name-based UUID of title and page."""
    if config.base_url:
        return _address(config, url)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"briefing:{config.title}:{url}").urn


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
