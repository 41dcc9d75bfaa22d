"""External adapters can only be checked on their unavailable path here (no diffusers / f5-tts
weights offline); the runner then marks every cell unavailable with the reason."""
import importlib.util
import json
from types import SimpleNamespace

import pytest

import bench_toys
from bench.registry import create_system
from bench.registry import create_system
from bench.run import RunOptions, run
from bench.spec import load_spec
from bench.systems.external import AudioLDM2System, F5TTSSystem, StableAudioOpenSystem


@pytest.mark.parametrize("name", ["audioldm2", "stable-audio-open", "f5-tts"])
def test_missing_package_or_weights_is_a_reason(name, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    s = create_system(name)
    reason = s.available()
    assert reason and ("not installed" in reason or "no local weights" in reason)
    sig = s.signature()
    assert sig["weights"] is None and sig["steps"] > 0 and "item_seed" in sig["seed_rule"]


def test_installed_package_without_weights_names_the_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: SimpleNamespace(name=n) if n in ("diffusers", "f5_tts") else real(n, *a))
    assert "cvssp/audioldm2-large" in AudioLDM2System().available()
    assert "stable-audio-open-1.0" in StableAudioOpenSystem().available()
    assert "does not exist" in AudioLDM2System(weights=str(tmp_path / "nope")).available()
    local = tmp_path / "sao"
    local.mkdir()
    assert StableAudioOpenSystem(weights=str(local)).available() is None  # package "there" + local folder
    ckpt = tmp_path / "f5" / "model.safetensors"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"x")
    assert "vocab.txt" in F5TTSSystem(weights=str(ckpt)).available()
    (ckpt.parent / "vocab.txt").write_text("a\n")
    assert "vocos" in F5TTSSystem(weights=str(ckpt)).available()
    assert F5TTSSystem(weights=str(ckpt), vocoder=str(local)).available() is None


def test_runner_marks_every_cell_unavailable(tmp_path, monkeypatch):
    bench_toys.register(monkeypatch.setitem)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    spec = load_spec(bench_toys.write_suite(tmp_path / "suites"))
    args = {"weights": str(tmp_path / "missing")}
    rep = run(RunOptions(suite=spec, system=create_system("audioldm2", args), system_name="audioldm2", system_args=args,
                         out=tmp_path / "runs", testsets_dir=tmp_path / "ts", progress=False))
    cells = rep.results["metrics"]
    assert cells and all(c["value"] is None and c["unavailable"].startswith("system audioldm2: ") for c in cells.values())
    assert rep.results["system"]["args"] == {"weights": str(tmp_path / "missing")}
    rows = [json.loads(x) for x in (rep.results_path.parent / "samples.jsonl").read_text().splitlines()]
    assert rows and all(r["status"] == "failed" and r["error"].startswith("unavailable: ") for r in rows)
    assert rep.generated == 0
