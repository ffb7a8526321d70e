"""The error catalogue: each broken input gets its exact message, exit 1, and output/ untouched."""
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_site
from tests.error_cases import CASES

CATALOGUE = ROOT / "docs" / "errors.md"


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_error_case(tmp_path, case):
    site = make_site(tmp_path)
    command = [sys.executable, str(ROOT / "build.py"), "--config", str(site / "site.yaml")]
    assert subprocess.run(command, capture_output=True, cwd=site).returncode == 0
    before = tree_hash(site / "output")
    case.breaks(site)
    result = subprocess.run(command + list(case.args), capture_output=True, text=True, cwd=site)
    expected = [line.replace("{site}", str(site.resolve())) for line in case.expected]
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected
    assert re.fullmatch(r"build failed: \d+ problem\(s\); the previous output was left as it was", lines[-1])
    assert tree_hash(site / "output") == before
    assert not [p for p in site.iterdir() if p.name.startswith(".output.")], "a staging folder was left behind"


def test_catalogue_documents_every_case():
    text = CATALOGUE.read_text(encoding="utf-8")
    missing = [case.name for case in CASES if f"### {case.name}" not in text]
    assert missing == []
    for case in CASES:
        for line in case.expected:
            message = line.split(": ", 1)[1].replace("{site}", "/path/to/project")
            assert message.split(";")[0] in text, f"{case.name}: message not in docs/errors.md"
