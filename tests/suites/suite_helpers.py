"""Helpers for the suite tests: build a suite's mini test set (twice, for determinism) and read
its stored audio as the int16 samples the files hold."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from bench.registry import load_suite
from bench.testset import TestSet, build_testset

_BUILT: dict[str, tuple[TestSet, TestSet]] = {}


def build_twice(suite: str, base: Path) -> tuple[TestSet, TestSet]:
    """Build the mini test set into two separate folders (memoised per session)."""
    if suite not in _BUILT:
        spec = load_suite(suite)
        _BUILT[suite] = (build_testset(spec, "mini", base / "a"), build_testset(spec, "mini", base / "b"))
    return _BUILT[suite]


def pcm(ts: TestSet, rel: str) -> np.ndarray:
    """The stored samples as int64 (exact arithmetic on PCM_16 values)."""
    data, _ = sf.read(str(ts.path(rel)), dtype="int16")
    return data.astype(np.int64)


def wave(ts: TestSet, rel: str) -> tuple[np.ndarray, int]:
    data, sr = sf.read(str(ts.path(rel)), dtype="float64")
    return data, sr


def assert_deterministic(pair: tuple[TestSet, TestSet]) -> None:
    a, b = pair
    assert a.root != b.root
    assert a.hash == b.hash
    assert (a.root / "manifest.jsonl").read_bytes() == (b.root / "manifest.jsonl").read_bytes()


def assert_common(ts: TestSet, n_min: int = 10, n_max: int = 50) -> None:
    """Mini-scale contract: 10-50 items, 16 kHz PCM_16, target length == item.seconds."""
    assert n_min <= len(ts.items) <= n_max
    for it in ts.items:
        assert 4.0 <= it.seconds <= 7.0, it.id
        for rel in (it.target, it.source, it.reference):
            if rel is None:
                continue
            info = sf.info(str(ts.path(rel)))
            assert info.samplerate == 16000 and info.subtype == "PCM_16", (it.id, rel)
        if it.target is not None:
            assert abs(sf.info(str(ts.path(it.target))).duration - it.seconds) < 1e-3, it.id
