"""Toy builder, systems, extractors and metrics for the bench framework's tests.

They are cheap but real: the extractor computes RMS / spectra from the audio it is given, the
metrics compare them, so a wrong pipeline gives a wrong number. Counters (one line per call,
appended to files named by environment variables) let tests prove what was (re)computed.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import soundfile as sf

from bench.extractors.base import Extractor
from bench.item import Item
from bench.metrics.base import Metric, MetricResult
from bench.systems.base import Generated, System
from unison.core.weights import MissingWeightsError

SR = 16000
TOY_SUITE_YAML = """\
name: toy_tones
version: "1"
task: t2a
description: Sine tones for the framework's tests.
builder: bench_toys:build_tones
seed: 3
scales:
  mini: {n: 6, seconds: 0.5}
  paper: {n: 12, seconds: 0.5}
generation: {seconds: 0.5, steps: 4, cfg: 1.0}
metrics: [rmsdiff@toy, meanrms@toy]
subsets: [low, high]
validation: {duration_tolerance: 0.05, sample_rate: 16000}
"""


def _count(env: str, what: str) -> None:
    path = os.environ.get(env)
    if path:
        with open(path, "a") as f:
            f.write(what + "\n")


def build_tones(params: dict, out) -> None:
    n, seconds = int(params["n"]), float(params["seconds"])
    for k in range(n):
        item_id = f"tone{k:03d}"
        rng = out.rng(item_id)
        freq = float(rng.uniform(200, 2000))
        amp = float(rng.uniform(0.2, 0.8))
        t = np.arange(int(seconds * SR)) / SR
        wave = amp * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
        rel = out.add_audio(f"target/{item_id}", wave, SR)
        out.add_item(Item(id=item_id, task="t2a", instruction=f"a {freq:.0f} Hz tone", seconds=seconds,
                          seed=out.item_seed(item_id), target=rel, caption=f"a {freq:.0f} Hz tone",
                          subset="low" if freq < 1000 else "high"))


class SlowOracle(System):
    """Returns the target after a pause, yielding each item as it is done (as real systems do);
    counts the items it starts (TOY_GEN_COUNTER). Items per call: TOY_GEN_BATCH (default 1)."""

    name = "toy_slow"

    def __init__(self):
        self.batch_size = int(os.environ.get("TOY_GEN_BATCH", "1"))

    def signature(self) -> dict[str, Any]:
        return {"system": self.name}

    def generate(self, items: list[Item], root: Path) -> Iterator[Generated]:
        for it in items:
            _count("TOY_GEN_COUNTER", it.id)
            time.sleep(float(os.environ.get("TOY_GEN_SLEEP", "0")))
            wave, sr = sf.read(str(Path(root) / it.target), dtype="float32")
            yield Generated(wave, sr)


class BadSystem(System):
    """Item k of the toy suite gets: 0 ok, 1 NaN, 2 silence, 3 wrong duration, 4 raises, 5 wrong rate."""

    name = "toy_bad"
    batch_size = 3

    def signature(self) -> dict[str, Any]:
        return {"system": self.name}

    def generate(self, items: list[Item], root: Path) -> list[Generated]:
        out = []
        for it in items:
            wave, sr = sf.read(str(Path(root) / it.target), dtype="float32")
            k = int(it.id[-3:]) % 6
            if k == 1:
                wave = wave.copy()
                wave[10] = np.nan
            elif k == 2:
                wave = np.zeros_like(wave)
            elif k == 3:
                wave = np.concatenate([wave, wave])
            elif k == 4:
                raise RuntimeError(f"toy failure on {it.id}")
            elif k == 5:
                wave, sr = wave[::2].copy(), sr // 2  # right duration, but a rate the suite forbids
            out.append(Generated(wave, sr))
        return out


class RmsExtractor(Extractor):
    """Per-clip RMS (scaled by ``gain``) and a coarse magnitude spectrum. Counts calls (TOY_EXT_COUNTER)."""

    name = "toy_rms"
    sample_rate = 8000
    batch_size = 1

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def signature(self) -> dict[str, Any]:
        return {"name": self.name, "gain": self.gain}

    def extract(self, waves, sides):
        out = []
        for w in waves:
            time.sleep(float(os.environ.get("TOY_EXT_SLEEP", "0")))
            assert w.dtype == np.float32 and w.ndim == 1
            _count("TOY_EXT_COUNTER", f"{self.name}:{len(w)}")
            spec = np.abs(np.fft.rfft(w, n=256)).astype(np.float32)
            out.append({"rms": float(self.gain * np.sqrt(np.mean(w.astype(np.float64) ** 2))), "spec": spec,
                        "n": len(w)})
        return out


class PeakExtractor(Extractor):
    name = "toy_peak"
    sample_rate = 16000
    batch_size = 4

    def signature(self) -> dict[str, Any]:
        return {"name": self.name}

    def extract(self, waves, sides):
        _count("TOY_PEAK_COUNTER", str(len(waves)))
        return [{"peak": np.array([np.max(np.abs(w))], dtype=np.float32)} for w in waves]


class NoWeightsExtractor(Extractor):
    name = "toy_noweights"

    def signature(self) -> dict[str, Any]:
        return {"name": self.name}

    def available(self) -> str | None:
        return "weights 'toy-model' not found (set UNISON_WEIGHTS_TOY_MODEL)"

    def extract(self, waves, sides):
        raise AssertionError("must not be called when unavailable")


class RaisingWeightsExtractor(NoWeightsExtractor):
    name = "toy_raising"

    def available(self) -> str | None:
        return None

    def extract(self, waves, sides):
        raise MissingWeightsError("weights 'toy-raise' (model.bin) not found. Looked in: nowhere")


class RmsDiff(Metric):
    """Per item |rms(gen) - rms(target)| (0 for the oracle)."""

    name, variant, version, higher_is_better = "rmsdiff", "toy", "1", False
    needs = {"gen": "toy_rms", "target": "toy_rms"}

    def score(self, items, feats):
        per = [None if g is None or t is None else abs(g["rms"] - t["rms"])
               for g, t in zip(feats["gen"], feats["target"])]
        ok = [v for v in per if v is not None]
        return MetricResult(value=float(np.mean(ok)) if ok else None, n=len(ok), per_item=per)


class MeanRms(Metric):
    """Set-level: mean RMS of the generated clips."""

    name, variant, version, higher_is_better = "meanrms", "toy", "1", True
    needs = {"gen": "toy_rms"}

    def score(self, items, feats):
        ok = [f["rms"] for f in feats["gen"] if f is not None]
        return MetricResult(value=float(np.mean(ok)) if ok else None, n=len(ok))


class Peak(Metric):
    name, variant, version, higher_is_better = "peak", "toy", "1", True
    needs = {"gen": "toy_peak"}

    def score(self, items, feats):
        per = [None if f is None else float(f["peak"][0]) for f in feats["gen"]]
        ok = [v for v in per if v is not None]
        return MetricResult(value=float(np.mean(ok)), n=len(ok), per_item=per)


class NeedsWeights(Metric):
    name, variant, version = "needsw", "toy", "1"
    needs = {"gen": "toy_noweights"}

    def score(self, items, feats):
        raise AssertionError("must not be scored")


class RaisesWeights(Metric):
    name, variant, version = "raisesw", "toy", "1"
    needs = {"gen": "toy_raising"}

    def score(self, items, feats):
        raise AssertionError("must not be scored")


SYSTEMS = {"toy_slow": SlowOracle, "toy_bad": BadSystem}
EXTRACTORS = {"toy_rms": lambda: RmsExtractor(float(os.environ.get("TOY_GAIN", "1.0"))),
              "toy_peak": PeakExtractor, "toy_noweights": NoWeightsExtractor, "toy_raising": RaisingWeightsExtractor}
METRICS = {"rmsdiff@toy": RmsDiff, "meanrms@toy": MeanRms, "peak@toy": Peak, "needsw@toy": NeedsWeights,
           "raisesw@toy": RaisesWeights}


def register(setitem=None) -> None:
    """Add the toys to the catalogs (``setitem`` = monkeypatch.setitem in tests, so it is undone)."""
    import bench.extractors.catalog as ec
    import bench.metrics.catalog as mc
    import bench.systems.catalog as sc

    def put(d, k, v):
        (setitem or (lambda dd, kk, vv: dd.__setitem__(kk, vv)))(d, k, v)

    for k, v in SYSTEMS.items():
        put(sc.SYSTEMS, k, v)
    for k, v in EXTRACTORS.items():
        put(ec.EXTRACTORS, k, v)
    for k, v in METRICS.items():
        put(mc.METRICS, k, v)
    from bench import registry

    for r in (registry.SYSTEMS, registry.METRICS, registry.EXTRACTORS):
        r.clear()


def write_suite(folder: Path, text: str = TOY_SUITE_YAML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "toy_tones.yaml"
    p.write_text(text)
    return p
