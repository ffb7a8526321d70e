"""Cold build of a site as a whole process (interpreter start-up included): prints median, best and worst.

    python benchmarks/cold_build.py [--config site.yaml] [--runs 20]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "site.yaml")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    timings = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            out = Path(tmp) / f"site{run}"  # a new folder each time: nothing reused between runs
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "build.py"), "--config", str(args.config), "--output", str(out), "--quiet"], check=True)
            timings.append(time.perf_counter() - started)
    print(f"cold build of {args.config.name}, whole process, {args.runs} runs: "
          f"median {statistics.median(timings) * 1000:.0f} ms, best {min(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
