"""What the outputs read of the linked site, as digests: the ground of their dependency keys.

`model_digests` computes them from plain data alone (the pages' records, the link stage's
skeleton, the sources' paragraphs), never from a page's body, so they are one unit of the memo
("digests", kept by `python build.py` too) under `Site.key`, which digests exactly that: a prose
edit leaves them as they were, and no page needs to be read to know which outputs changed.
"""
from __future__ import annotations

import bisect
from typing import Any

from .link import Site
from .memo import Memo, fingerprint
from .sources import Source
from .urls import page_slug, page_url


def model_digests(site: Site, settings: str, memo: Memo) -> dict[str, Any]:
    """{"shown": {"menu", "home_title", "topics"}, "site": {part: digest}, "pages": {page name: {"citations", "sourcing", "parts", "cited", "judged"}}, "sources": {source id:
    {"stats", "summary", "citations", "paragraphs"}}}: each digest a str (memo.fingerprint), each
    "stats" the plain figures a source's summary shows. `settings` is inputs.Inputs.config. Four
    parts are units of `memo`, so that no seed or unchanged page's record is read again: the
    digests of a group of pages ("page digests", by the group's pages and the link stage's key),
    a source's ("source digests", by its bytes, its excerpts and what it shows of the pages citing it),
    the digest of a page's quoted words ("quoted", by its citations' sources, their digests and
    places), and a source's figures that its paragraphs give ("source stats", by the settings,
    the seed's digest and where its excerpts start)."""
    skeleton = site.skeleton
    order = skeleton.order
    by_id = {source.id: source for source in site.sources}
    urls = {name: page_url(name) for name in order}
    pages: dict[str, dict[str, str]] = {}
    records: dict[str, dict[str, Any]] = {}  # what the rest reads of each page's record
    linked = set(order)
    for unit in site.groups:  # a unit per group of pages, by its pages' bytes and the link stage's key
        names = [name for name, _ in unit[1] if name in linked]
        found = memo.get("page digests", (unit, skeleton.key), lambda names=names: _page_digests(site, names, by_id, urls, memo),
                         keeps=("quoted",))
        for name, (digests, shown) in found.items():
            pages[name], records[name] = digests, shown
    raw = skeleton.data["by_source"]
    shown = {name: (name, site.positions[name], pages[name]["cited"]) for name in order}  # what a source's page shows of a page citing it
    sources = {}
    for source in site.sources:  # a unit per source, by its bytes, its excerpts and what it shows of the pages citing it
        text = raw.get(source.id, "")
        citing = tuple(map(shown.__getitem__, skeleton.citing_pages(source.id)))
        sources[source.id] = memo.get("source digests", (settings, source.id, source.sha256, text, citing),
                                      lambda source=source: _source_unit(source, settings, skeleton.excerpts_of(source.id), memo, records,
                                                                         site.positions, urls), keeps=("source stats",))
    slugs = {name: page_slug(name) for name in order}
    by_slug = {slug: name for name, slug in slugs.items()}

    def summary(name: str) -> tuple:
        return (records[name]["title"], records[name]["summary"], urls[name], records[name]["count"])

    home = by_slug.get("index")
    menu = [by_slug[slug] for slug in (*site.config.topics, *site.config.pages) if slug in by_slug]
    dated = [(urls[n], records[n]["title"], records[n]["summary"], records[n]["updated"]) for n in order if records[n]["updated"]]
    return {
        "shown": {  # what every page shows of others: the menu, the home page's title, the topics in site.yaml's order
            "menu": [[records[name]["menu_title"], urls[name]] for name in menu],
            "home_title": records[home]["title"] if home else None,
            "topics": [[by_slug[slug], records[by_slug[slug]]["title"], urls[by_slug[slug]]]
                       for slug in site.config.topics if slug in by_slug],
        },
        "site": {
            "config": settings,
            "pages": fingerprint({slugs[name]: urls[name] for name in order}),
            "nav": fingerprint([(records[name]["menu_title"], urls[name]) for name in menu]),
            "home_title": fingerprint(records[home]["title"] if home else None),
            # what previous / next links show: the topics' titles and addresses
            "topic_links": fingerprint(sorted((slugs[name], records[name]["title"]) for name in site.topic_names)),
            "topics": fingerprint([summary(name) for name in site.topic_names]),
            "others": fingerprint([summary(name) for name in site.other_names]),
            "sources": fingerprint([(source.id, source.sha256, sources[source.id]["stats"]) for source in site.sources]),
            "sitemap": fingerprint([(urls[name], records[name]["updated"]) for name in order], [s.url for s in site.sources], home is None),
            "feed": fingerprint(dated),
            "citations": fingerprint({urls[name]: pages[name]["citations"] for name in order},
                                     {sid: sources[sid]["citations"] for sid in skeleton.cited_sources()}),
        },
        "pages": pages,
        "sources": sources,
    }


def _page_digests(site: Site, names: list[str], by_id: dict[str, Source], urls: dict[str, str], memo: Memo) -> dict[str, list]:
    """{page name: [{"citations", "sourcing", "parts", "cited", "judged"}, what the other digests read of its record]} for some pages."""
    found = {}
    for name in names:
        record, cites = site.records[name], site.skeleton.cites(name)
        unit = tuple((sid, by_id[sid].sha256, start, end, anchor) for sid, start, end, anchor, _ in cites)
        # the quotes' words themselves (a seed edit that moves no quote changes none)
        citations = memo.get("quoted", unit, lambda: fingerprint([(sid, start, end, anchor, by_id[sid].text[start:end])
                                                                  for sid, _, start, end, anchor in unit]))
        claims = [record["citations"][use][6] for *_, use in cites]
        tradecraft = [[citation[7] for citation in record["citations"]], [judgment[:-1] for judgment in record["judgments"]]]
        sourcing = fingerprint(citations, claims, tradecraft)
        # what the page's parts of citations.json, annotations.jsonld and the Corroboration page read (the seeds: words around quotes)
        parts = fingerprint(urls[name], record["title"], sourcing, [u[1] for u in unit])
        shown = {field: record[field] for field in ("title", "summary", "menu_title", "updated")}
        cited = fingerprint(urls[name], record["title"], record["menu_title"], claims)  # what a page citing a source shows of it
        judged = parts if record["judgments"] else ""  # what the table of judgments reads of the page
        found[name] = [{"citations": citations, "sourcing": sourcing, "parts": parts, "cited": cited, "judged": judged},
                       {**shown, "claims": claims, "count": len(cites)}]
    return found


def _source_unit(source: Source, settings: str, excerpts: list, memo: Memo, records: dict[str, dict[str, Any]], position: dict[str, int],
                 urls: dict[str, str]) -> dict[str, Any]:
    """A source's digests ("source digests"): its figures (those its paragraphs give are a unit of
    their own, "source stats", so that no seed is read again) and the digests of what its page shows: its
    citations in page order, then in each page's order (the claims, their pages, the excerpts)."""
    unit = (settings, source.id, source.sha256, tuple(start for start, *_ in excerpts))
    figures = {"claims": sum(len(entry[3]) for entry in excerpts), **memo.get("source stats", unit, lambda: _paragraph_stats(source, excerpts))}
    shown = []
    for start, end, anchor, citing in excerpts:
        for name, number in citing:
            record = records[name]
            claim = record["claims"][number - 1]
            shown.append((position[name], number, urls[name], record["title"], record["menu_title"], claim, start, end, anchor))
    shown.sort(key=lambda entry: entry[:2])
    citations = fingerprint([entry[1:] for entry in shown])
    return {"stats": figures, "summary": fingerprint(source.id, source.sha256, figures), "citations": citations,
            "paragraphs": fingerprint(source.sha256, citations)}


def _paragraph_stats(source: Source, excerpts: list) -> dict[str, Any]:
    """The figures of a source's summary that its paragraphs give: how many (but furniture), how many of them are cited."""
    article = [p for p in source.paragraphs if not p.furniture]
    starts = [paragraph.start for paragraph in source.paragraphs]
    cited = {source.paragraphs[bisect.bisect_right(starts, start) - 1].index for start, *_ in excerpts}
    count = sum(p.index in cited for p in article)
    share = count / len(article) if article else 0.0
    return {"paragraphs": len(article), "cited_paragraphs": count, "share": share, "percent": round(share * 100)}

