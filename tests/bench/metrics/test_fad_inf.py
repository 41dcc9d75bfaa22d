"""FAD-inf / FD-inf against fadtk's own ``score_inf`` on YAMNet embeddings of REAL recordings
(tuxpaint stamp sounds): same seed stream, same schedule, same fit."""
from __future__ import annotations

import numpy as np
import pytest

from bench.extractors.yamnet import SAMPLE_RATE, YAMNet
from bench.item import Item
from bench.metrics import fad_inf as FI
from bench.metrics.catalog import METRICS
from bench.metrics.frechet import frechet_distance_samples

GEN = ["household/vacuum_cleaner.ogg", "household/toilet.ogg", "animals/birds/duck.ogg",
       "animals/birds/rooster.ogg", "hobbies/music/string/violin.ogg", "animals/insects/bee.ogg"]
REF = ["animals/mammals/dogs/dog.ogg", "household/Washing-machine.ogg", "animals/birds/duck.ogg",
       "hobbies/music/string/violin.ogg", "household/vacuum_cleaner.ogg", "animals/insects/bee.ogg"]


@pytest.fixture(scope="module")
def feats(clips):
    yam = YAMNet()
    if yam.available():
        pytest.skip(yam.available())
    gen = yam.extract([clips.tuxpaint(r, SAMPLE_RATE) for r in GEN], [None] * len(GEN))
    # The "reference" side is a different, partly overlapping set, cut to its first 3 s so that
    # the two sides differ in content and length.
    ref = yam.extract([clips.tuxpaint(r, SAMPLE_RATE)[: 3 * SAMPLE_RATE] for r in REF], [None] * len(REF))
    # A Fréchet distance at D = 1024 costs seconds on a 2-core machine (fadtk's scipy sqrtm + eig +
    # inv even more), and FAD-inf computes 25 of them per side; the recipe under test (schedule,
    # draws, fit) does not depend on D, so the tests use the real embeddings projected on their
    # first 48 principal axes (fitted on the reference frames).
    r_all = np.concatenate([f["frames"] for f in ref]).astype(np.float64)
    axes = np.linalg.svd(r_all - r_all.mean(0), full_matrices=False)[2][:48].T  # (1024, 48)
    proj = lambda f: {k: (np.asarray(f[k], np.float64) @ axes) for k in ("frames", "embedding")}  # noqa: E731
    return [proj(f) for f in gen], [proj(f) for f in ref]


def _items(n):
    return [Item(id=f"i{k}", task="t2a", instruction="", seconds=3.0, seed=0, target="t.wav") for k in range(n)]


def test_matches_fadtk_score_inf(feats, tmp_path):
    from fadtk.fad import FrechetAudioDistance

    gen, ref = feats
    for key, fkey in (("fad-inf@yamnet-16k", "frames"), ("fd-inf@yamnet-16k", "embedding")):
        metric = FI.FADInf("yamnet-16k") if key.startswith("fad") else FI.FDInf("yamnet-16k")
        res = metric.score(_items(len(GEN)), {"gen": gen, "target": ref})
        rows = [np.atleast_2d(f[fkey]).astype(np.float64) for f in gen]
        ref_rows = np.concatenate([np.atleast_2d(f[fkey]) for f in ref]).astype(np.float64)

        class _ML:  # fadtk's ModelLoader is only asked for its name when nothing is loaded
            name = "yamnet"

        np.savez(tmp_path / "base.npz", **{"yamnet.mu": ref_rows.mean(0), "yamnet.cov": np.cov(ref_rows, rowvar=False)})
        files = []
        for k, r in enumerate(rows):
            files.append(tmp_path / f"{fkey}{k}.npy")
            np.save(files[-1], r)
        fad = FrechetAudioDistance.__new__(FrechetAudioDistance)  # skip __init__: it looks for a sox binary
        fad.ml, fad.audio_load_worker = _ML(), 1
        np.random.seed(0)
        theirs = fad.score_inf(str(tmp_path / "base.npz"), files, steps=25, min_n=500)
        ns = [p[0] for p in theirs.points]
        assert ns == [p[0] for p in res.extra["points"]] == [int(v) for v in np.linspace(500, sum(map(len, rows)), 25)]
        # Each FD(n): same subset (same RandomState stream); fadtk's eig-based sqrt vs our eigh-based one.
        np.testing.assert_allclose([p[1] for p in res.extra["points"]], [p[1] for p in theirs.points], rtol=1e-6)
        assert res.value == pytest.approx(float(np.real(theirs.score)), rel=1e-6, abs=1e-6), key
        assert res.extra["slope"] == pytest.approx(float(np.real(theirs.slope)), rel=1e-5)
        assert "n_below_min" in res.extra  # a few dozen real frames: fewer than fadtk's 500


def test_fad_inf_is_below_plain_fad_and_seeded(feats):
    gen, ref = feats
    metric = FI.FADInf("yamnet-16k")
    a = metric.score(_items(len(GEN)), {"gen": gen, "target": ref})
    b = metric.score(_items(len(GEN)), {"gen": gen, "target": ref})
    assert a.value == b.value  # fixed seed: reproducible
    g = np.concatenate([f["frames"] for f in gen])
    r = np.concatenate([f["frames"] for f in ref])
    plain = frechet_distance_samples(g, r)
    # The 1/n bias is positive: extrapolating to n -> inf lowers the distance.
    assert a.extra["slope"] > 0 and a.value < max(p[1] for p in a.extra["points"])
    assert np.isfinite(plain)


def test_one_inf_variant_per_frechet_variant():
    frechet = [k for k, v in METRICS.items() if v.startswith("bench.metrics.frechet:f")]
    for key in frechet:
        name, _, variant = key.partition("@")
        assert f"{name}-inf@{variant}" in METRICS, key
    unavailable = FI.fad_inf_vggish()
    assert unavailable.needs == {"gen": "vggish", "target": "vggish"} and unavailable.paper_protocol
