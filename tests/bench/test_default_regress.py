"""The CPU CI's mini regression: the embedded default at --limit 2, gated by `unison-bench regress`
against the committed baseline (bench/baselines/default-limit2)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main as bench_main

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "bench" / "baselines" / "default-limit2"
TOLERANCES = REPO / "bench" / "regress_configs" / "cpu_mini.yaml"


@pytest.mark.e2e
def test_embedded_default_has_no_regression(tmp_path):
    baselines = sorted(BASELINE.glob("*/*/*/results.json"))
    assert len(baselines) >= 8, f"expected a committed baseline per suite under {BASELINE}"
    runs = tmp_path / "runs"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "bench.cli", "default", "--limit", "2", "--out", str(runs),
                           "--report", str(tmp_path / "report")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    failures = []
    for base in baselines:
        rel = base.parent.relative_to(BASELINE)
        summary = tmp_path / "regress" / f"{str(rel).replace('/', '_')}.md"
        summary.parent.mkdir(exist_ok=True)
        rc = bench_main(["regress", "--baseline", str(base), "--results", str(runs / rel / "results.json"),
                         "--tolerances", str(TOLERANCES), "--summary", str(summary)])
        if rc != 0:
            failures.append(f"{rel}: exit {rc}\n{summary.read_text() if summary.exists() else ''}")
    assert not failures, "\n\n".join(failures)
