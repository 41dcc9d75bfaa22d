import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.cache import Clip, ExtractorFeatureCache, decode_features, encode_features, signature_hash
import bench_toys
from unison.core.files import sha256_file


def _clips(tmp_path: Path, n: int = 3) -> list[Clip]:
    out = []
    for k in range(n):
        p = tmp_path / f"c{k}.wav"
        t = np.arange(8000) / 16000
        sf.write(str(p), (0.1 * (k + 1) * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, subtype="FLOAT")
        out.append(Clip(path=p, audio_sha=sha256_file(p)))
    return out


def _count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_encode_roundtrip():
    feats = {"emb": np.arange(6, dtype=np.float32).reshape(2, 3), "rms": np.float32(0.5), "text": "hi",
             "ops": {"S": 1, "D": [0, 2]}}
    back = decode_features(encode_features(feats, "t"))
    assert np.array_equal(back["emb"], feats["emb"]) and back["emb"].dtype == np.float32
    assert back["rms"] == 0.5 and back["text"] == "hi" and back["ops"] == {"S": 1, "D": [0, 2]}
    with pytest.raises(TypeError, match="object array"):
        encode_features({"x": np.array([object()])}, "t")


def test_hits_are_keyed_by_content_not_path(tmp_path, monkeypatch):
    counter = tmp_path / "count"
    monkeypatch.setenv("TOY_EXT_COUNTER", str(counter))
    clips = _clips(tmp_path)
    cache = ExtractorFeatureCache(tmp_path / "cache")
    ext = bench_toys.RmsExtractor()
    first = cache.extract(ext, clips, progress=False)
    assert _count(counter) == 3
    # the same bytes under another name and folder: all hits
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    clips2 = [Clip(path=shutil.copy(c.path, moved / f"renamed{k}.wav"), audio_sha=c.audio_sha) for k, c in enumerate(clips)]
    second = ExtractorFeatureCache(tmp_path / "cache").extract(ext, clips2, progress=False)
    assert _count(counter) == 3
    assert [f["rms"] for f in first] == [f["rms"] for f in second]
    # one file per entry, sharded by key prefix
    entries = [p for p in (tmp_path / "cache").rglob("*.npz")]
    assert len(entries) == 3 and all(p.parent.name == p.name[:2] for p in entries)


def test_changing_one_setting_invalidates_only_that_extractor(tmp_path, monkeypatch):
    rms_counter, peak_counter = tmp_path / "rms", tmp_path / "peak"
    monkeypatch.setenv("TOY_EXT_COUNTER", str(rms_counter))
    monkeypatch.setenv("TOY_PEAK_COUNTER", str(peak_counter))
    clips = _clips(tmp_path)
    cache = ExtractorFeatureCache(tmp_path / "cache")
    rms1 = cache.extract(bench_toys.RmsExtractor(gain=1.0), clips, progress=False)
    cache.extract(bench_toys.PeakExtractor(), clips, progress=False)
    assert _count(rms_counter) == 3 and sum(map(int, peak_counter.read_text().split())) == 3
    # gain is part of the signature -> new keys for toy_rms only
    assert signature_hash(bench_toys.RmsExtractor(gain=2.0)) != signature_hash(bench_toys.RmsExtractor(gain=1.0))
    rms2 = cache.extract(bench_toys.RmsExtractor(gain=2.0), clips, progress=False)
    cache.extract(bench_toys.PeakExtractor(), clips, progress=False)
    assert _count(rms_counter) == 6
    assert sum(map(int, peak_counter.read_text().split())) == 3  # untouched
    assert [2 * a["rms"] for a in rms1] == pytest.approx([b["rms"] for b in rms2])
    # going back to the old setting reuses its entries
    cache.extract(bench_toys.RmsExtractor(gain=1.0), clips, progress=False)
    assert _count(rms_counter) == 6


def test_side_input_is_part_of_the_key_and_misses_are_batched(tmp_path, monkeypatch):
    peak_counter = tmp_path / "peak"
    monkeypatch.setenv("TOY_PEAK_COUNTER", str(peak_counter))
    clips = _clips(tmp_path, 6)
    cache = ExtractorFeatureCache(tmp_path / "cache")
    ext = bench_toys.PeakExtractor()  # batch_size 4
    cache.extract(ext, clips[:2], progress=False)
    cache.extract(ext, clips, progress=False)  # 4 misses -> one batch of 4
    assert peak_counter.read_text().split() == ["2", "4"]
    cache.extract(ext, [Clip(c.path, c.audio_sha, side="en") for c in clips[:1]], progress=False)
    assert peak_counter.read_text().split() == ["2", "4", "1"]
    assert cache.stats["toy_peak"].hits == 2 and cache.stats["toy_peak"].misses == 7
