"""The bench script runs (quick mode: its figures are not asserted; a shared CI machine makes them noise)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "verify_bench.py"


def test_the_bench_runs_and_prints_its_three_figures() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "us/call" in line]
    assert [line.split("  ")[1].strip() for line in lines] == [
        "first-seen token: Verifier.verify",
        "cached token: Verifier.verify",
        "TokenClient.get_token (cached)",
    ]
