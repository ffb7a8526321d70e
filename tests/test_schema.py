"""Generated from the schemas: every declared key of site.yaml, of a source and of front matter is
fed every kind of YAML value, and the build answers with located problems or a site, never a
traceback. A key declared later is covered without a line here."""
import re

import pytest

from briefing.config import SITE_SCHEMA, SOURCE_SCHEMA, load_config
from briefing.content import FRONT_MATTER_SCHEMA
from briefing.errors import BuildError
from briefing.pipeline import build
from tests.conftest import make_site

VALUES = {
    "bool": "true",
    "yaml 1.1 bool": "no",
    "int": "42",
    "huge int": "1" * 5000,
    "float": "1.5",
    "date": "2024-01-02",
    "invalid date": "2024-02-30",
    "invalid time": "2024-02-02 25:00:00",
    "null": "~",
    "list": "[a, b]",
    "mapping": "{a: 1}",
    "unknown tag": "!foo x",
    "bad !!int": "!!int abc",
    "bad !!float": "!!float x",
    "bad !!bool": "!!bool maybe",
    "python tag": "!!python/object:os.system x",
    "recursive alias": "&d [*d]",
    "lone surrogate": '"\\ud800"',
    "control character escape": '"a\\x01b"',
    "1 MB string": '"' + "x" * 1_000_000 + '"',
}

MINI_SITE = "title: Mini\nlanguage: en\ntopics: [alpha, beta]\n"
MINI_SOURCES = "sources:\n  - id: wire\n    file: wire.txt\n    title: Wire\n  - id: essay\n    file: essay.txt\n    title: Essay\n"
CASES = ([("site", key.name, kind) for key in SITE_SCHEMA.keys for kind in VALUES]
         + [("source", key.name, kind) for key in SOURCE_SCHEMA.keys for kind in VALUES]
         + [("front matter", key.name, kind) for key in FRONT_MATTER_SCHEMA.keys for kind in VALUES])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("schema"))


def _site_yaml(where: str, key: str, value: str) -> tuple[str, int]:
    """site.yaml with `key: value` set at the site's top level or in the second source; the line it is on."""
    lines = (MINI_SITE + MINI_SOURCES).splitlines()
    if where == "site":
        lines = [line for line in lines if not line.startswith(f"{key}:")]
        if key == "sources":
            lines = lines[:3]
        lines.insert(1, f"{key}: {value}")
        return "\n".join(lines) + "\n", 2
    lines = [line for line in lines if not (lines.index(line) >= 7 and line.strip().startswith(f"{key}:"))]
    lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n", len(lines)


def _assert_located(exc: BuildError, path: str, line: int) -> None:
    for problem in exc.problems:
        assert problem.location.path == path and problem.location.line is not None, str(problem)
        assert "\n" not in str(problem)
        assert len(str(problem)) < 400, str(problem)[:400]
    assert any(p.location.line == line for p in exc.problems), [str(p) for p in exc.problems]


@pytest.mark.parametrize("where,key,kind", CASES, ids=[f"{w}-{k}-{v}" for w, k, v in CASES])
def test_every_key_takes_every_yaml_value_without_a_traceback(site, where, key, kind):
    value = VALUES[kind]
    if where == "front matter":
        original = (site / "content" / "beta.md").read_text(encoding="utf-8")
        body = original.split("---\n", 2)[2]
        meta = "title: Beta\n" if key != "title" else ""
        (site / "content" / "beta.md").write_text(f"---\n{meta}{key}: {value}\n---\n{body}", encoding="utf-8")
        config_text, line, path = MINI_SITE + MINI_SOURCES, 2 + bool(meta), "content/beta.md"
    else:
        original = None
        (config_text, line), path = _site_yaml(where, key, value), "site.yaml"
    (site / "site.yaml").write_text(config_text, encoding="utf-8")
    try:
        config = load_config(site / "site.yaml")
        build(config, write=False)
    except BuildError as exc:
        _assert_located(exc, path, line)
    finally:
        if original is not None:
            (site / "content" / "beta.md").write_text(original, encoding="utf-8")


def _problems(site, config_text: str, front: str | None = None) -> list[str]:
    (site / "site.yaml").write_text(config_text, encoding="utf-8")
    page = site / "content" / "beta.md"
    original = page.read_text(encoding="utf-8")
    if front is not None:
        page.write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")
    try:
        build(load_config(site / "site.yaml"), write=False)
    except BuildError as exc:
        return [str(p) for p in exc.problems]
    finally:
        page.write_text(original, encoding="utf-8")
    return []


def test_named_messages(site):
    text = MINI_SITE.replace("title: Mini", "title: no") + MINI_SOURCES.replace("title: Essay", "title: Essay\n    url: \"https://[oops/x\"")
    assert _problems(site, text) == [
        'site.yaml:1: `title`: `no` was read as false; quote it: "no"',
        "site.yaml:11: a source `url` must be an http:// or https:// address, got 'https://[oops/x'",
    ]
    front = "title: Beta\nupdated: 2024-02-30\norder: " + "9" * 5000 + "\nsummary: !foo x\n"
    assert _problems(site, MINI_SITE + MINI_SOURCES, front) == [
        "content/beta.md:3: `updated` must be a date (YYYY-MM-DD); '2024-02-30' is not a real date or time",
        "content/beta.md:4: `order` must be a whole number; the number has 5000 digits, too many to be meant",
        "content/beta.md:5: `summary` must be a string; the tag `!foo` is not one this file may use; remove it",
    ]


def test_a_source_date_is_text_as_written(site):
    text = MINI_SITE + MINI_SOURCES.replace("title: Essay", "title: Essay\n    date: 2024-13-01")
    (site / "site.yaml").write_text(text, encoding="utf-8")
    config = load_config(site / "site.yaml")
    assert config.sources[1].date == "2024-13-01"


@pytest.mark.parametrize("written,stored", [("en-gb", "en-GB"), ("iw", "he"), ("ja", "ja"), ("sr-latn-rs", "sr-Latn-RS")])
def test_language_tags_are_stored_normalised(site, written, stored):
    text = MINI_SITE.replace("language: en", f"language: {written}") + MINI_SOURCES.replace("title: Essay", f"title: Essay\n    language: {written}")
    (site / "site.yaml").write_text(text, encoding="utf-8")
    config = load_config(site / "site.yaml")
    assert (config.language, config.sources[1].language, config.sources[0].language) == (stored, stored, None)


def test_invalid_language_tags_suggest_one(site):
    text = MINI_SITE.replace("language: en", "language: jp") + MINI_SOURCES.replace("title: Essay", "title: Essay\n    language: English")
    text += "  - id: third\n    file: wire.txt\n    title: T\n    language: qqq-zz-\n"
    problems = _problems(site, text)
    assert problems[:2] == [
        "site.yaml:2: `jp` is not a language tag; did you mean `ja` (Japanese)?",
        "site.yaml:11: `English` is not a language tag; did you mean `en` (English)?",
    ]
    assert "site.yaml:15: `qqq-zz-` is not a language tag; use a tag such as en, en-GB, fr or ja (see the IANA language subtag registry)" in problems


def test_every_schema_key_is_documented_in_the_readme(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    for schema in (SITE_SCHEMA, SOURCE_SCHEMA, FRONT_MATTER_SCHEMA):
        for key in schema.names:
            assert re.search(rf"^\| `{key}`|, `{key}`", readme, re.M), key
