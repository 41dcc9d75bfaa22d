"""MS-CLAP 2023 through msclap's own CLAPWrapper: a checkpoint in its published layout
({"model": state_dict} of msclap's CLAP: the real HTSAT, a tiny GPT-2 text model) loaded from
the weights resolver, GPT-2 from a temporary Hugging Face cache (subprocess, HF_HUB_OFFLINE=1:
the hub cache location is fixed when huggingface_hub is imported)."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.extractors.msclap_ext import MSClapExtractor, check_layout, fit_duration, seeded_random

REPO_ROOT = Path(__file__).resolve().parents[3]


def make_tiny_gpt2(hub: Path, work: Path) -> None:
    from transformers import GPT2Config, GPT2Model, GPT2Tokenizer
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    vocab = {t: i for i, t in enumerate(list(bytes_to_unicode().values()) + ["<|endoftext|>"])}
    src = work / "gpt2"
    src.mkdir()
    (src / "vocab.json").write_text(json.dumps(vocab))
    (src / "merges.txt").write_text("#version: 0.2\n")
    GPT2Tokenizer(str(src / "vocab.json"), str(src / "merges.txt")).save_pretrained(src)
    # n_embd 768: msclap's text projection is built for config_2023's transformer_embed_dim.
    GPT2Model(GPT2Config(vocab_size=len(vocab), n_embd=768, n_layer=1, n_head=4, n_positions=80)).save_pretrained(src)
    snap = hub / "models--gpt2" / "snapshots" / "0"
    snap.mkdir(parents=True)
    for f in src.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    (hub / "models--gpt2" / "refs").mkdir()
    (hub / "models--gpt2" / "refs" / "main").write_text("0")


SCRIPT = textwrap.dedent("""
    import json, sys, random
    import numpy as np, torch
    from bench.extractors.msclap_ext import MSClapExtractor, fit_duration, seeded_random
    from msclap.models.clap import CLAP
    from msclap.CLAPWrapper import CLAPWrapper

    out = {}
    ext = MSClapExtractor()
    out["before"] = ext.available()
    torch.manual_seed(0)
    import argparse, pathlib, yaml, msclap
    cfg = (pathlib.Path(msclap.__file__).parent / "configs" / "config_2023.yml").read_text()
    args = argparse.Namespace(**yaml.safe_load(cfg))
    src = CLAP(audioenc_name=args.audioenc_name, sample_rate=args.sampling_rate, window_size=args.window_size,
               hop_size=args.hop_size, mel_bins=args.mel_bins, fmin=args.fmin, fmax=args.fmax,
               classes_num=args.num_classes, out_emb=args.out_emb, text_model=args.text_model,
               transformer_embed_dim=args.transformer_embed_dim, d_proj=args.d_proj).eval()
    torch.save({"model": src.state_dict()}, sys.argv[1])
    out["after"] = ext.available()
    out["sha"] = ext.signature()["weights_sha256"]
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(3 * 44100).astype(np.float32) * 0.1, rng.standard_normal(9 * 44100).astype(np.float32) * 0.1]
    caps = ["a dog barks", "rain on a roof"]
    feats = ext.extract(waves, caps)
    # The reference: msclap's own wrapper on the same file, its preprocess_text / model calls.
    ref = CLAPWrapper(model_fp=sys.argv[1], version="2023")
    with torch.no_grad():
        ref_t = ref.get_text_embeddings(caps).numpy()
        with seeded_random(0):
            x = fit_duration(waves[1])
        ref_a = src.audio_encoder(x.reshape(1, -1))[0].numpy()
    out["shapes"] = [list(feats[0]["audio_embedding"].shape), list(feats[0]["text_embedding"].shape)]
    out["text_err"] = float(np.abs(feats[1]["text_embedding"] - ref_t[1]).max())
    out["audio_err"] = float(np.abs(feats[1]["audio_embedding"] - ref_a[0]).max())
    out["repeat_err"] = float(np.abs(ext.extract(waves[1:], caps[1:])[0]["audio_embedding"] - feats[1]["audio_embedding"]).max())
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.e2e  # builds msclap's real-size HTSAT (+ tiny GPT-2), saves and loads it
def test_msclap_loads_through_its_wrapper_offline(tmp_path):
    if importlib.util.find_spec("msclap") is None:
        pytest.skip("msclap is not installed")
    hub = tmp_path / "hf" / "hub"
    make_tiny_gpt2(hub, tmp_path)
    wdir = tmp_path / "weights" / "msclap-2023"
    wdir.mkdir(parents=True)
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "UNISON_WEIGHTS_DIR": str(tmp_path / "weights"),
           "UNISON_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("UNISON_MSCLAP_2023", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(wdir / "CLAP_weights_2023.pth")], env=env,
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT")]
    assert line, proc.stderr[-3000:]
    out = json.loads(line[0][len("RESULT"):])
    assert out["before"].startswith("unavailable:") and "CLAP_weights_2023.pth" in out["before"]
    assert out["after"] is None and len(out["sha"]) == 64
    assert out["shapes"] == [[1024], [1024]]
    assert out["text_err"] < 1e-5 and out["audio_err"] < 1e-5  # the saved weights were loaded
    assert out["repeat_err"] == 0.0  # the > 7 s crop is seeded


def test_duration_rule_and_wrong_layout(tmp_path, monkeypatch):
    x = np.arange(3 * 44100, dtype=np.float32)
    y = fit_duration(x)
    assert y.shape == (7 * 44100,) and float(y[3 * 44100]) == 0.0  # repeated from the start
    long = np.arange(9 * 44100, dtype=np.float32)
    with seeded_random(0):
        a = fit_duration(long)
    with seeded_random(0):
        b = fit_duration(long)
    assert torch.equal(a, b) and a.shape == (7 * 44100,)
    net = torch.nn.Linear(2, 2)
    bad = tmp_path / "bad.pth"
    torch.save({"model": {"weight": torch.zeros(2, 2)}}, bad)
    with pytest.raises(ValueError, match="lacks 1 model keys"):
        check_layout(bad, net)
    monkeypatch.delenv("UNISON_MSCLAP_2023", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = MSClapExtractor().available()
    assert reason.startswith("unavailable:") and "CLAP_weights_2023.pth" in reason
