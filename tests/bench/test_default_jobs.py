"""`unison-bench default --jobs`: suites run in worker processes give the same audio and the same
numbers as everything in one process, and the report's media drawn ahead in the workers are the
ones the report shows."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.default import Job, worker_count

REPO = Path(__file__).resolve().parents[2]
SUITES = "editing,super_resolution,timed_clap"


def test_worker_count():
    jobs = [Job("a", "oracle", "oracle"), Job("a", "x", "x"), Job("b", "oracle", "oracle")]
    assert worker_count(1, jobs) == 1
    assert worker_count(8, jobs) == 2  # never more workers than suites
    assert 1 <= worker_count(None, jobs) <= 2


def _default(out: Path, jobs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("UNISON_BENCH_TESTSETS", "UNISON_CHECKPOINT")}
    env.update(HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "bench.cli", "default", "--limit", "1", "--suites", SUITES,
                           "--jobs", str(jobs), "--out", str(out), "--no-progress"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads((out / "default.json").read_text())


def _values(record: dict) -> dict:
    out = {}
    for job in record["jobs"]:
        res = json.loads(Path(job["results"]).read_text())
        for key, cell in res["metrics"].items():
            out[(job["suite"], job["label"], key)] = (cell["value"], cell["unavailable"])
        for f in sorted((Path(job["results"]).parent / "audio").glob("*.wav")):
            out[(job["suite"], job["label"], f.name)] = f.read_bytes()
    return out


@pytest.mark.e2e
def test_workers_give_the_numbers_of_one_process(tmp_path):
    # separate output folders: each builds its test sets, generates and extracts on its own
    one = _default(tmp_path / "one", 1)
    two = _default(tmp_path / "two", 2)
    assert [j["status"] for j in one["jobs"]] == ["ok"] * len(one["jobs"])
    assert [(j["suite"], j["label"]) for j in one["jobs"]] == [(j["suite"], j["label"]) for j in two["jobs"]]
    a, b = _values(one), _values(two)
    assert a.keys() == b.keys() and any(isinstance(v, bytes) for v in a.values())
    assert {k for k in a if a[k] != b[k]} == set()
    # the workers drew each suite's media ahead; the report read them back and shows the same page
    log = (tmp_path / "two" / "log.txt").read_text()
    assert log.count("report media drawn") == len(SUITES.split(","))
    html_one = (tmp_path / "one" / "report" / "index.html").read_text()
    html_two = (tmp_path / "two" / "report" / "index.html").read_text()
    strip = lambda h: h.replace(str(tmp_path / "one"), "OUT").replace(str(tmp_path / "two"), "OUT")  # noqa: E731
    assert strip(html_one).count("data:audio/ogg") == strip(html_two).count("data:audio/ogg") > 0
