import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import bench_toys
from bench.item import Item
from bench.spec import load_spec
from bench.testset import ManifestError, TestSet, TestSetWriter, build_testset, safe_relpath

HERE = Path(__file__).parent


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_is_deterministic_and_content_hashed(tmp_path):
    spec = load_spec(bench_toys.write_suite(tmp_path / "suites"))
    a = build_testset(spec, "mini", tmp_path / "a")
    b = build_testset(spec, "mini", tmp_path / "b")
    assert a.hash == b.hash and a.root.name == b.root.name == f"mini-{a.hash[:16]}"
    assert tree_digest(a.root) == tree_digest(b.root)  # byte-identical directories
    assert [it.id for it in a.items] == sorted(it.id for it in a.items) and len(a.items) == 6
    # manifest rows are canonical JSON; audio is PCM_16
    first = (a.root / "manifest.jsonl").read_text().splitlines()[0]
    assert first == json.dumps(json.loads(first), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert sf.info(str(a.root / a.items[0].target)).subtype == "PCM_16"
    # per-item seeds differ and come from the suite seed
    assert len({it.seed for it in a.items}) == len(a.items)
    # a rebuild request reuses the built directory; verification recomputes the same hash
    assert build_testset(spec, "mini", tmp_path / "a").root == a.root
    assert TestSet.load(a.root, verify=True).hash == a.hash


def test_same_bytes_in_a_fresh_process(tmp_path):
    """Another interpreter (other hash seed) builds the same bytes: nothing depends on process state."""
    suite = bench_toys.write_suite(tmp_path / "suites")
    here = build_testset(load_spec(suite), "mini", tmp_path / "here")
    code = ("import sys; from bench.spec import load_spec; from bench.testset import build_testset; "
            f"print(build_testset(load_spec({str(suite)!r}), 'mini', {str(tmp_path / 'there')!r}).hash)")
    env = dict(os.environ, PYTHONPATH=str(HERE), PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == here.hash
    there = tmp_path / "there" / "toy_tones" / here.root.name
    assert tree_digest(there) == tree_digest(here.root)


def test_seed_and_params_change_the_hash(tmp_path):
    spec = load_spec(bench_toys.write_suite(tmp_path / "s1"))
    other = load_spec(bench_toys.write_suite(tmp_path / "s2", bench_toys.TOY_SUITE_YAML.replace("seed: 3", "seed: 4")))
    a = build_testset(spec, "mini", tmp_path / "t")
    b = build_testset(other, "mini", tmp_path / "t")
    c = build_testset(spec, "paper", tmp_path / "t")
    assert len({a.hash, b.hash, c.hash}) == 3 and len(c.items) == 12


def test_modified_test_set_is_detected(tmp_path):
    spec = load_spec(bench_toys.write_suite(tmp_path / "suites"))
    ts = build_testset(spec, "mini", tmp_path / "t")
    wav = ts.root / ts.items[0].target
    data, sr = sf.read(str(wav), dtype="int16")
    data[0] += 1
    sf.write(str(wav), data, sr, subtype="PCM_16")
    with pytest.raises(ManifestError, match="differs from the recorded"):
        TestSet.load(ts.root, verify=True)


@pytest.mark.parametrize("bad", ["../x.wav", "audio/../../x.wav", "/etc/passwd", "C:/x.wav", "a\\b.wav",
                                 "audio//x.wav", "./x.wav"])
def test_paths_escaping_the_root_are_refused(bad):
    with pytest.raises(ManifestError):
        safe_relpath(bad, "test")


def test_manifest_with_escaping_path_is_refused(tmp_path):
    root = tmp_path / "ts"
    (root / "audio").mkdir(parents=True)
    (tmp_path / "secret.wav").write_bytes(b"x")
    row = {"id": "a", "task": "t2a", "instruction": "x", "seconds": 1.0, "seed": 1, "target": "../secret.wav"}
    (root / "manifest.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ManifestError, match=r"contains '\.\.'"):
        TestSet.load(root)
    row["target"] = str(tmp_path / "secret.wav")
    (root / "manifest.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ManifestError, match="absolute"):
        TestSet.load(root)


def test_writer_refuses_bad_input(tmp_path):
    w = TestSetWriter(tmp_path, "toy", 0)
    with pytest.raises(ManifestError):
        w.add_audio("../evil", np.zeros(10), 16000)
    with pytest.raises(ValueError, match="NaN"):
        w.add_audio("nan", np.array([0.0, np.nan]), 16000)
    rel = w.add_audio("ok", np.full(100, 0.5), 16000)
    assert rel == "audio/ok.wav"
    with pytest.raises(ManifestError, match="was not written with add_audio"):
        w.add_item(Item(id="x", task="t2a", instruction="", seconds=1, seed=0, target="audio/other.wav"))
    w.add_item(Item(id="x", task="t2a", instruction="", seconds=1, seed=0, target=rel))
    with pytest.raises(ManifestError, match="added twice"):
        w.add_item(Item(id="x", task="t2a", instruction="", seconds=1, seed=0))
    # PCM_16 quantisation is ours: 0.5 -> round(0.5 * 32767) = 16384
    assert int(sf.read(str(tmp_path / rel), dtype="int16")[0][0]) == 16384


@pytest.mark.bad_input
def test_symlink_escaping_the_test_set_is_refused_unless_its_folder_is_an_allowed_data_root(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_DATA_ROOT", raising=False)
    root, outside = tmp_path / "ts", tmp_path / "elsewhere"
    (root / "audio").mkdir(parents=True)
    outside.mkdir()
    sf.write(outside / "secret.wav", np.zeros(160, np.float32), 16000)
    (root / "audio" / "x.wav").symlink_to(outside / "secret.wav")
    row = {"id": "a", "task": "t2a", "instruction": "x", "seconds": 1.0, "seed": 1, "target": "audio/x.wav"}
    (root / "manifest.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ManifestError) as e:
        TestSet.load(root)
    msg = str(e.value)
    assert "line 1" in msg and "field 'target'" in msg and "audio/x.wav" in msg and str(outside / "secret.wav") in msg
    assert "UNISON_DATA_ROOT=DIR" in msg and "--data-root" not in msg  # bench has no such option: the variable
    monkeypatch.setenv("UNISON_DATA_ROOT", str(outside))
    ts = TestSet.load(root)
    assert ts.path("audio/x.wav") == (outside / "secret.wav").resolve()
