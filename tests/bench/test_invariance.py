"""`unison-bench invariance`: the same items at several batch sizes and thread counts."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import broken_results
from bench.cli import main as bench_main
from bench.invariance import compare
from unison.core.audio import write_float_wav

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "checkpoints" / "tiny" / "unison-tiny.safetensors"


def _run(folder: Path, waves: dict[str, np.ndarray], value: float = 10.0) -> Path:
    results = broken_results.write_valid(folder, value=value)
    for item_id, wave in waves.items():
        write_float_wav(folder / "audio" / f"{item_id}.wav", wave, 16000)
    return results


def test_compare_finds_a_one_ulp_difference(tmp_path):
    wave = np.linspace(-0.5, 0.5, 1600, dtype=np.float32)
    nudged = wave.copy()
    nudged[800] = np.nextafter(nudged[800], np.float32(1))
    runs = {"a": _run(tmp_path / "a", {"x": wave, "y": wave}), "b": _run(tmp_path / "b", {"x": wave, "y": wave})}
    text, same = compare(runs)
    assert same and "| b | 2/2 | 0 |" in text
    runs["c"] = _run(tmp_path / "c", {"x": wave, "y": nudged}, value=10.5)
    text, same = compare(runs)
    assert not same and "| c | 1/2 |" in text and "10.5" in text


def test_bad_lists_are_usage_errors(capsys):
    assert bench_main(["invariance", "editing", "--system", "oracle", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err


@pytest.mark.e2e
def test_tiny_unison_is_identical_across_batch_sizes_and_thread_counts(tmp_path, capsys):
    """The committed tiny checkpoint on two editing items: batch 1 and 2, one thread and the machine's own."""
    threads = sorted({1, os.cpu_count() or 1})
    rc = bench_main(["invariance", "editing", "--system", f"unison:{TINY}", "--system-arg", f"llm.cache_dir={tmp_path / 'llm'}",
                     "--limit", "2", "--metrics", "lsd@ssr-eval,fd@yamnet-16k", "--batch-sizes", "1,2",
                     "--threads", ",".join(map(str, threads)), "--out", str(tmp_path / "runs"),
                     "--testsets", str(tmp_path / "testsets"), "--cache", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.count("| 2/2 | 0 |") == 2 * len(threads) and "identical" in out
