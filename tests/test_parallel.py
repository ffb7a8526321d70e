"""Rendering across processes gives the same bytes as rendering in one, and the same errors."""
import pytest

from briefing import render
from briefing.config import load_config
from briefing.errors import BuildError
from briefing.pipeline import build


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(render, "PARALLEL_MINIMUM", 2)


def test_two_processes_make_the_same_files_as_one(mini, tmp_path, parallel):
    one = build(load_config(mini / "site.yaml", output_dir=tmp_path / "one"), jobs=1)
    two = build(load_config(mini / "site.yaml", output_dir=tmp_path / "two"), jobs=2)
    assert two.files == one.files and len(two.rendering.rendered) == len(two.files)


def test_a_template_error_in_a_worker_is_reported_with_its_line(mini, parallel):
    (mini / "templates" / "page.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{{ page.nope.deeper }}\n{% endblock %}\n")
    with pytest.raises(BuildError) as info:
        build(load_config(mini / "site.yaml"), jobs=2)
    assert str(info.value.problems[0]).startswith("templates/page.html:3: ")
