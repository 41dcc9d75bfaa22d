"""Run the conformance tier and print its table of measured differences (Markdown).

    python3 scripts/conformance_table.py            # the README's "Conformance" table

Each row is written by a test (tests/bench/conformance) that asserted it; the exit code is pytest's.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "conformance.md"
        env = {**os.environ, "CONFORMANCE_TABLE": str(table)}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance",
                               "tests/bench/conformance"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not table.is_file():
            sys.stderr.write(proc.stdout)
            return proc.returncode or 1
        sys.stdout.write(table.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
