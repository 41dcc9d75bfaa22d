"""Kill a run with a real signal mid-way, restart it: nothing finished is recomputed, nothing is lost."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bench_toys
from bench.spec import load_spec
from bench.testset import build_testset

HERE = Path(__file__).parent
REPO = HERE.parents[1]  # the checkout under test, ahead of any installed copy

SCRIPT = """
import logging
import sys
logging.basicConfig(level=logging.INFO)
from pathlib import Path
import bench_toys
bench_toys.register()
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.spec import load_spec
work = Path(sys.argv[1])
run(RunOptions(suite=load_spec(work / "suites" / "toy_tones.yaml"), system=create_system("toy_slow"), out=work / "runs",
               testsets_dir=work / "testsets", progress=False))
"""


def _lines(p: Path) -> list[str]:
    return p.read_text().splitlines() if p.exists() else []


def _start(work: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(work / "run.py"), str(work)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(cond, proc, timeout=60.0):
    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() - t0 < timeout, "run did not reach the kill point"
        time.sleep(0.02)


def _setup(tmp_path: Path, **sleeps) -> tuple[Path, dict]:
    work = tmp_path / "work"
    bench_toys.write_suite(work / "suites", bench_toys.TOY_SUITE_YAML.replace("n: 6,", "n: 10,"))
    (work / "run.py").write_text(SCRIPT)
    # built here so the subprocesses start fast (they find it by its spec hash)
    build_testset(load_spec(work / "suites" / "toy_tones.yaml"), "mini", work / "testsets")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(REPO)]), TOY_GEN_COUNTER=str(work / "gen.count"),
               TOY_EXT_COUNTER=str(work / "ext.count"), **sleeps)
    return work, env


def _strip(res: dict) -> dict:
    res = dict(res)
    res.pop("created")
    return res


def _uninterrupted(tmp_path: Path) -> tuple[dict, dict[str, bytes]]:
    work, env = _setup(tmp_path / "clean")
    proc = _start(work, env)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    run = work / "runs" / "toy_tones" / "toy_slow" / "0"
    return json.loads((run / "results.json").read_text()), {p.name: p.read_bytes() for p in (run / "audio").glob("*.wav")}


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_kill_mid_batch_then_resume(tmp_path, sig):
    """Batches of 4: a kill in the middle of one loses only the item in flight; the resumed run's
    results and audio bytes equal an uninterrupted run's."""
    work, env = _setup(tmp_path / "killed", TOY_GEN_SLEEP="0.25", TOY_GEN_BATCH="4")
    audio = work / "runs" / "toy_tones" / "toy_slow" / "0" / "audio"
    proc = _start(work, env)
    _wait_for(lambda: len(list(audio.glob("*.json"))) >= 6, proc)  # inside the second batch of 4
    proc.send_signal(sig)
    proc.wait(timeout=30)
    finished = sorted(p.stem for p in audio.glob("tone*.json"))
    started = _lines(work / "gen.count")
    assert 6 <= len(finished) < 10 and not (audio.parent / "results.json").exists()
    assert len(started) - len(finished) <= 1, "more than the item in flight was lost"

    env["TOY_GEN_SLEEP"] = "0"
    done = _start(work, env)
    assert done.wait(timeout=120) == 0, done.stderr.read().decode()
    assert "already generated (resumed from disk)" in done.stderr.read().decode()
    new = _lines(work / "gen.count")[len(started):]
    assert not set(new) & set(finished), "finished items were generated again"
    assert sorted(new) == sorted(set(f"tone{k:03d}" for k in range(10)) - set(finished))
    res = json.loads((audio.parent / "results.json").read_text())
    assert res["metrics"]["rmsdiff@toy"]["n"] == 10 and res["metrics"]["rmsdiff@toy"]["n_failed"] == 0

    clean_res, clean_audio = _uninterrupted(tmp_path)
    assert _strip(res)["metrics"] == _strip(clean_res)["metrics"]
    assert {p.name: p.read_bytes() for p in audio.glob("*.wav")} == clean_audio

    # a third run recomputes nothing and gives the same results
    gen = _lines(work / "gen.count")
    ext_before = len(_lines(work / "ext.count"))
    again = _start(work, env)
    assert again.wait(timeout=120) == 0
    assert len(_lines(work / "gen.count")) == len(gen) and len(_lines(work / "ext.count")) == ext_before
    assert _strip(json.loads((audio.parent / "results.json").read_text())) == _strip(res)


def test_kill_during_extraction_then_resume(tmp_path):
    work, env = _setup(tmp_path, TOY_EXT_SLEEP="0.2")
    cache = work / "runs" / ".cache" / "features"
    proc = _start(work, env)
    _wait_for(lambda: len(_lines(work / "ext.count")) >= 5, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    cached = len([p for p in cache.rglob("*.npz")])
    ext_before = len(_lines(work / "ext.count"))
    assert 0 < cached < 20 and ext_before >= cached
    gen_before = len(_lines(work / "gen.count"))

    env["TOY_EXT_SLEEP"] = "0"
    done = _start(work, env)
    assert done.wait(timeout=120) == 0, done.stderr.read().decode()
    # generation was complete before the kill; extraction redoes only what was not cached
    assert len(_lines(work / "gen.count")) == gen_before == 10
    assert len(_lines(work / "ext.count")) - ext_before == 20 - cached  # 10 gen + 10 target clips
    res = json.loads((work / "runs" / "toy_tones" / "toy_slow" / "0" / "results.json").read_text())
    assert res["metrics"]["rmsdiff@toy"]["value"] == pytest.approx(0.0, abs=1e-9)
