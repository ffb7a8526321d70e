"""Small HTML reading helpers for tests (standard library only)."""
from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.open_ids: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.errors: list[str] = []
        self.title = ""
        self._in_title = False
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append((tag, attributes[name]))
        element_id = attributes.get("id")
        if element_id:
            self.ids.append(element_id)
        collector = element_id or attributes.get("data-of")  # a split excerpt's later parts count as its text
        if collector:
            self.text_by_id.setdefault(collector, [])
        if tag in VOID:
            return
        self.stack.append((tag, collector))
        if collector:
            self.open_ids.append(collector)
        if tag == "title":
            self._in_title = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {[t for t, _ in self.stack[-3:]]})")
            return
        _, element_id = self.stack.pop()
        if element_id:
            self.open_ids.remove(element_id)
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        for element_id in self.open_ids:
            self.text_by_id[element_id].append(data)
        if self._in_title:
            self.title += data


def parse(html: str) -> _Doc:
    doc = _Doc()
    doc.feed(html)
    doc.close()
    if doc.stack:
        doc.errors.append(f"unclosed elements: {[t for t, _ in doc.stack]}")
    return doc


def text_of(doc: _Doc, element_id: str) -> str | None:
    parts = doc.text_by_id.get(element_id)
    return None if parts is None else "".join(parts)
