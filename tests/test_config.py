"""site.yaml: typed, validated once; every problem names site.yaml:LINE."""
from pathlib import Path

import pytest

from briefing.config import SOURCE_KEYS, load_config
from briefing.errors import BuildError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "seeds" / "a.txt").write_text("Some text.\n", encoding="utf-8")
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(BuildError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


GOOD = """title: T
sources:
  - id: a
    file: a.txt
    title: A
"""


def test_minimal_config_loads_with_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.title == "T"
    assert config.language == "en"
    assert config.base_url == ""
    assert config.base_path == "/"
    assert config.output_dir == (tmp_path / "output").resolve()
    assert [s.id for s in config.sources] == ["a"]
    assert config.sources[0].paragraphs == "lines"


def test_base_url_gets_trailing_slash_and_path(tmp_path):
    config = load_config(write(tmp_path, GOOD + 'base_url: "https://u.github.io/repo"\n'))
    assert config.base_url == "https://u.github.io/repo/"
    assert config.base_path == "/repo/"


def test_base_url_override_from_cli(tmp_path):
    config = load_config(write(tmp_path, GOOD), base_url="https://x.org/sub/")
    assert config.base_path == "/sub/"


def test_unknown_key_names_its_line(tmp_path):
    assert problems(write(tmp_path, GOOD + "colour: blue\n")) == [
        "site.yaml:6: unknown key `colour`; allowed keys are title, description, language, base_url, allow_html, topics, pages, domain, search, paginate, sources"
    ]


def test_missing_title_and_wrong_types(tmp_path):
    text = "allow_html: maybe\ntopics: treaty\nsources:\n  - id: a\n    file: a.txt\n    title: A\n"
    assert problems(write(tmp_path, text)) == [
        "site.yaml:1: missing required key `title` in site.yaml",
        "site.yaml:1: `allow_html` must be true or false, got 'maybe'",
        "site.yaml:2: `topics` must be a list",
    ]


def test_missing_source_file_and_unknown_source_key(tmp_path):
    text = "title: T\nsources:\n  - id: a\n    file: missing.txt\n    title: A\n    editor: X\n"
    assert problems(write(tmp_path, text)) == [
        "site.yaml:4: source file seeds/missing.txt does not exist; copy the document into seeds/ or fix the name",
        "site.yaml:6: unknown key `editor` in a source; allowed keys are " + ", ".join(SOURCE_KEYS),
    ]


def test_source_missing_title_and_bad_id(tmp_path):
    text = "title: T\nsources:\n  - id: Bad Id\n    file: a.txt\n"
    assert problems(write(tmp_path, text)) == [
        "site.yaml:3: missing required key `title` in a source",
        "site.yaml:3: source id 'Bad Id' must be lower-case letters, digits, - or _, starting with a letter or digit",
    ]


def test_yaml_syntax_error_names_line(tmp_path):
    lines = problems(write(tmp_path, "title: T\nsources: [\n  - id: a\n"))
    assert len(lines) == 1 and lines[0].startswith("site.yaml:3: invalid YAML:")


def test_duplicate_key_is_an_error(tmp_path):
    assert problems(write(tmp_path, GOOD + "title: U\n")) == ["site.yaml:6: site.yaml: duplicate key `title`; keep only one"]


def test_file_must_not_be_a_path(tmp_path):
    text = "title: T\nsources:\n  - id: a\n    file: ../site.yaml\n    title: A\n"
    assert problems(write(tmp_path, text)) == ["site.yaml:4: `file` must be a file name inside seeds/, not a path: '../site.yaml'"]


def test_bad_base_url(tmp_path):
    assert problems(write(tmp_path, GOOD + "base_url: example.org\n")) == [
        "site.yaml:6: base_url must be an absolute http(s) URL such as https://user.github.io/repo/, got 'example.org'"
    ]


def test_missing_config_file(tmp_path):
    lines = problems(tmp_path / "nope.yaml")
    assert lines == [f"{tmp_path / 'nope.yaml'}: no site configuration here; create site.yaml or pass --config PATH"]


def test_the_same_text_read_again_still_checks_its_seeds(tmp_path):
    path = write(tmp_path, GOOD + "  - id: b\n    file: b.txt\n    title: B\n")
    (tmp_path / "seeds" / "b.txt").write_text("More text.\n", encoding="utf-8")
    first = load_config(path)
    assert load_config(path) is first  # not parsed again (the preview reads site.yaml before every rebuild)
    (tmp_path / "seeds" / "b.txt").unlink()
    (tmp_path / "seeds" / "a.txt").unlink()
    (tmp_path / "seeds" / "a.txt").symlink_to(tmp_path / "site.yaml")
    assert problems(path) == [
        "site.yaml:4: seeds/a.txt is a link to a file outside seeds/; copy the document itself into seeds/",
        "site.yaml:7: source file seeds/b.txt does not exist; copy the document into seeds/ or fix the name",
    ]
