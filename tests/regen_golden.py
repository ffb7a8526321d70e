"""Regenerate the expected output of the fixture site, on purpose: `python -m tests.regen_golden`.

Run it after a deliberate change to templates or rendering, then review `git diff tests/golden`.
"""
import shutil
import tempfile
from pathlib import Path

from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import make_site

GOLDEN = Path(__file__).resolve().parent / "golden" / "mini"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp))
        build(load_config(site / "site.yaml", output_dir=site / "output"))
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(site / "output", GOLDEN)
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
