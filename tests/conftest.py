import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))


def make_site(tmp_path: Path, fixture: str = "mini") -> Path:
    """A copy of a fixture site, with the project's own templates, in a temporary folder."""
    site = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, site)
    shutil.copytree(ROOT / "templates", site / "templates")
    return site


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return make_site(tmp_path)


@pytest.fixture
def root() -> Path:
    return ROOT
