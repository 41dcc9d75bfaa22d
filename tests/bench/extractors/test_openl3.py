"""OpenL3 (stable-audio-metrics' FD_openl3) against the reference's own code: random real-size
weights written by Keras's ``save_weights`` (Keras's HDF5 layout, batch-norm statistics random
too), gzipped under the published file name, found by the weights resolver and loaded here; the
reference side (openl3_keras_ref.py, its own process: TensorFlow + tf-keras + kapre 0.3.7) loads
the same .h5 with Keras's ``load_weights`` and embeds the same windows of a REAL recording (a
LibriVox utterance) through kapre's own mel layer."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.extractors import openl3_ext
from unison.core.audio import read_mono

CLIP = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")
REF = Path(__file__).with_name("openl3_keras_ref.py")


def _has(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def openl3_windows(wave: np.ndarray) -> np.ndarray:
    """openl3 core's framing written the other way round: librosa.util.frame (which openl3 copies)
    over the centred audio padded to a whole number of hops."""
    import librosa

    x = np.concatenate([np.zeros(24000, np.float32), wave.astype(np.float32)])
    extra = 48000 - x.size if x.size < 48000 else int(np.ceil((x.size - 48000) / 24000)) * 24000 - (x.size - 48000)
    x = np.pad(x, (0, extra))
    return librosa.util.frame(x, frame_length=48000, hop_length=24000, axis=0)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    if not (_has("tensorflow") and _has("tf_keras") and _has("kapre")):
        pytest.skip("the reference needs tensorflow-cpu, tf-keras and kapre (the conformance extra)")
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} missing")
    d = tmp_path_factory.mktemp("openl3")
    wave = openl3_ext.peak_normalize(read_mono(CLIP, 48000)[0])  # 7.1 s
    np.save(d / "windows.npy", openl3_windows(wave))
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    proc = subprocess.run([sys.executable, str(REF), str(d / "windows.npy"), str(d), "0"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return d


@pytest.fixture
def published(reference, tmp_path, monkeypatch):
    """The Keras .h5 gzipped under the published name in $UNISON_WEIGHTS_DIR/<spec name>/."""
    spec = openl3_ext.WEIGHTS["music"]
    d = tmp_path / spec.name
    d.mkdir()
    (d / spec.filename).write_bytes(gzip.compress((reference / "weights.h5").read_bytes()))
    monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path / "cache"))
    return d / spec.filename


@pytest.mark.conformance
def test_windows_follow_openl3_framing():
    for n in (1, 100, 23999, 24000, 24001, 48000, 340800, 480000):
        wave = np.random.default_rng(n).normal(size=n).astype(np.float32)
        ours = openl3_ext.windows(wave)
        np.testing.assert_array_equal(ours, openl3_windows(wave))
    assert openl3_ext.windows(np.ones(480000, np.float32)).shape == (20, 48000)  # 10 s -> 20 windows
    assert openl3_ext.windows(np.ones(340800, np.float32)).shape == (15, 48000)


@pytest.mark.conformance
def test_front_end_matches_kapre(reference):
    win = np.load(reference / "windows.npy")
    ref = np.load(reference / "mel.npy")
    with torch.inference_mode():
        ours = openl3_ext.MelFrontEnd()(torch.from_numpy(win))[:, 0].numpy()
    assert ours.shape == ref.shape == (len(win), 256, 199)
    assert ref.max() == 0.0 and ref.min() == -80.0
    diff = np.abs(ours - ref)
    # Above the floor both are float32 STFTs of the same frames; near -80 dB (tiny magnitudes in the
    # zero-padded windows) TensorFlow's and torch's float32 round-off differ (both by ~1.5 dB from
    # a float64 STFT there).
    assert diff[ref > -60].max() < 0.05
    assert np.mean(diff > 0.1) < 0.02 and diff.max() < 3.0


@pytest.mark.conformance
def test_loads_published_file_and_matches_keras(reference, published):
    ext = openl3_ext.build_music()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    assert ext.name == "openl3-mel256-music-512-48k-mono" and ext.sample_rate == 48000
    x = read_mono(CLIP, 48000)[0]
    feats = ext.extract([x, 0.1 * x], [None, None])
    ref = np.load(reference / "emb.npy")
    got = feats[0]["frames"]
    assert got.shape == ref.shape == (15, 512)
    # The network alone (the reference's mel as input) agrees to float32 round-off...
    model = ext.model
    with torch.inference_mode():
        y = model.bn0(torch.from_numpy(np.load(reference / "mel.npy"))[:, None])
        for k, conv in enumerate(model.convs):
            y = conv(y)
            if k < 7:
                y = torch.relu(model.bns[k](y))
                y = torch.nn.functional.max_pool2d(y, 2, 2) if k % 2 else y
        net_only = y.amax(dim=(2, 3)).numpy()
    scale = np.abs(ref).max(axis=1, keepdims=True)
    assert np.max(np.abs(net_only - ref) / scale) < 2e-5
    # ...and the whole pipeline to what the front end's floor round-off leaves.
    assert np.max(np.abs(got - ref) / scale) < 2e-3
    # Peak normalisation to -1 dBFS: a quieter copy gives the same windows (to the last bit or so;
    # the floor round-off above then moves the embeddings as much as it does against Keras).
    assert np.abs(openl3_ext.peak_normalize(x)).max() == pytest.approx(10 ** (-1 / 20), rel=1e-6)
    np.testing.assert_allclose(openl3_ext.peak_normalize(0.1 * x), openl3_ext.peak_normalize(x), rtol=1e-6, atol=1e-7)
    assert np.max(np.abs(feats[1]["frames"] - got) / scale) < 5e-3


@pytest.mark.conformance
def test_fd_pools_window_embeddings_like_stable_audio_metrics(reference, published):
    import scipy.linalg

    from bench.item import Item
    from bench.metrics import field

    ext = openl3_ext.build_music()
    x = read_mono(CLIP, 48000)[0]
    clips = [x[: 48000 * 3], x[48000 * 2: 48000 * 5], x[48000 * 4:], x[::-1].copy()]
    feats = ext.extract(clips, [None] * 4)
    items = [Item(id=f"i{k}", task="t2a", instruction="", seconds=3.0, seed=0, target="t.wav") for k in range(2)]
    metric = field.fd_openl3_music()
    assert metric.key == "fd@openl3-mel256-music-512-48k-mono" and metric.paper_protocol
    res = metric.score(items, {"gen": feats[:2], "target": feats[2:]})
    gen = np.concatenate([f["frames"] for f in feats[:2]])
    ref = np.concatenate([f["frames"] for f in feats[2:]])
    assert res.extra["n_gen_vectors"] == len(gen) == 12 and res.extra["dim"] == 512
    # stable-audio-metrics' calculate_embd_statistics + calculate_frechet_distance (scipy sqrtm).
    mu1, s1 = gen.astype(np.float64).mean(0), np.cov(gen.astype(np.float64), rowvar=False)
    mu2, s2 = ref.astype(np.float64).mean(0), np.cov(ref.astype(np.float64), rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expect = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    assert res.value == pytest.approx(expect, rel=1e-4)


@pytest.mark.bad_input
def test_corrupt_truncated_and_foreign_files_are_one_line_errors(tmp_path, monkeypatch):
    import h5py

    bad = tmp_path / "openl3_audio_mel256_music.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))  # an HDF5 signature, then nothing
    with pytest.raises(ValueError, match=f"OpenL3: {bad} is not a readable HDF5 file") as err:
        openl3_ext.load_openl3(bad)
    assert "\n" not in str(err.value)
    gz = tmp_path / "truncated.h5.gz"
    with h5py.File(tmp_path / "whole.h5", "w") as f:
        f["x"] = np.arange(20000.0)
    packed = gzip.compress((tmp_path / "whole.h5").read_bytes())
    gz.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=f"OpenL3: cannot gunzip {gz}") as err:
        openl3_ext.load_openl3(gz)
    assert "\n" not in str(err.value)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        g = f.create_group("dense")
        g.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        g["dense/kernel:0"] = np.zeros((4, 2), np.float32)
        g["dense/bias:0"] = np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="not openl3's mel256 audio network"):
        openl3_ext.load_openl3(other)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="not a Keras weights file"):
        openl3_ext.load_openl3(plain)
    spec = openl3_ext.WEIGHTS["env"]
    monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = openl3_ext.build_env().available()
    assert reason.startswith("unavailable:") and spec.filename in reason and spec.env_var in reason
