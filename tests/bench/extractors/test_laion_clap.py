"""LAION-CLAP adapter. laion-clap reads roberta-base / bert-base-uncased / facebook/bart-base from
the HF cache at import and construction, so the test saves tiny ones (save_pretrained) in a
temporary hub-cache layout and runs the extractor in a subprocess with HF_HUB_OFFLINE=1 (the hub
cache location is fixed when huggingface_hub is imported, so it cannot be switched in-process)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.extractors.laion_clap import VARIANTS, LaionClapExtractor, clap_state_dict

REPO_ROOT = Path(__file__).resolve().parents[3]


def _put_in_hub_cache(hub: Path, repo: str, src: Path) -> None:
    base = hub / ("models--" + repo.replace("/", "--"))
    snap = base / "snapshots" / "0"
    snap.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        shutil.copy(f, snap / f.name)
    (base / "refs").mkdir(exist_ok=True)
    (base / "refs" / "main").write_text("0")


def make_tiny_text_models(hub: Path, work: Path) -> None:
    from transformers import BertTokenizer, RobertaConfig, RobertaModel, RobertaTokenizer
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {t: i for i, t in enumerate(specials + list(bytes_to_unicode().values()))}
    bpe = work / "bpe"
    bpe.mkdir()
    (bpe / "vocab.json").write_text(json.dumps(vocab))
    (bpe / "merges.txt").write_text("#version: 0.2\n")
    rob = work / "roberta"
    RobertaTokenizer(str(bpe / "vocab.json"), str(bpe / "merges.txt")).save_pretrained(rob)
    cfg = RobertaConfig(vocab_size=len(vocab), hidden_size=768, num_hidden_layers=1, num_attention_heads=12,
                        intermediate_size=64, max_position_embeddings=80, type_vocab_size=1, pad_token_id=1)
    RobertaModel(cfg).save_pretrained(rob)
    _put_in_hub_cache(hub, "roberta-base", rob)
    _put_in_hub_cache(hub, "facebook/bart-base", bpe)  # BartTokenizer reads the same two files
    bert = work / "bert"
    bert.mkdir()
    (bert / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghij")))
    BertTokenizer(str(bert / "vocab.txt")).save_pretrained(bert)
    _put_in_hub_cache(hub, "bert-base-uncased", bert)


SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np, torch
    from bench.extractors.laion_clap import VARIANTS, LaionClapExtractor, seeded_numpy, weight_spec
    import laion_clap

    out = {}
    variant = sys.argv[2]
    ext = LaionClapExtractor(variant)
    out["before"] = ext.available()
    # A CLAP checkpoint in laion-clap's training format: {"state_dict": {"module." + key: ...}, "epoch": ...}.
    torch.manual_seed(0)
    src = laion_clap.CLAP_Module(enable_fusion=False, amodel=VARIANTS[variant]["amodel"], device="cpu")
    sd = {"module." + k: v for k, v in src.model.state_dict().items()}
    sd["module.text_branch.embeddings.position_ids"] = torch.arange(80)[None]
    torch.save({"epoch": 15, "state_dict": sd}, sys.argv[1])
    out["after"] = ext.available()
    out["sha"] = ext.signature()["weights_sha256"]
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(3 * 48000).astype(np.float32) * 0.1, rng.standard_normal(11 * 48000).astype(np.float32) * 0.1]
    caps = ["a dog barks", "rain on a roof"]
    feats = ext.extract(waves, caps)
    src.eval()
    with torch.no_grad():
        ref_t = src.get_text_embedding(caps)
        with seeded_numpy(0):
            ref_a = src.get_audio_embedding_from_data([waves[1]])
    out["shapes"] = [list(feats[0]["audio_embedding"].shape), list(feats[0]["text_embedding"].shape)]
    out["text_err"] = float(np.abs(feats[1]["text_embedding"] - ref_t[1]).max())
    out["audio_err"] = float(np.abs(feats[1]["audio_embedding"] - ref_a[0]).max())
    out["repeat_err"] = float(np.abs(ext.extract(waves[1:], caps[1:])[0]["audio_embedding"] - feats[1]["audio_embedding"]).max())
    out["norm"] = float(np.linalg.norm(feats[0]["audio_embedding"]))
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.e2e  # builds a real-size HTSAT (+ tiny RoBERTa) and saves/loads it: ~45 s CPU (tiny), more (base)
@pytest.mark.parametrize("variant", ["630k", "music-speech"])  # HTSAT-tiny; HTSAT-base (the paper protocol's)
def test_clap_loads_offline_in_hub_cache(tmp_path, variant):
    if importlib.util.find_spec("laion_clap") is None:  # (importing it here would need the HF files)
        pytest.skip("laion-clap is not installed")
    hub = tmp_path / "hf" / "hub"
    make_tiny_text_models(hub, tmp_path)
    filename = VARIANTS[variant]["filename"]
    weights_dir = tmp_path / "weights" / f"laion-clap-{variant}"
    weights_dir.mkdir(parents=True)
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "UNISON_WEIGHTS_DIR": str(tmp_path / "weights"),
           "UNISON_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(weights_dir / filename), variant], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT")]
    assert line, proc.stderr[-3000:]
    out = json.loads(line[0][len("RESULT"):])
    assert out["before"].startswith("unavailable:") and filename in out["before"]
    assert out["after"] is None and len(out["sha"]) == 64
    assert out["shapes"] == [[512], [512]]
    assert out["text_err"] < 1e-5 and out["audio_err"] < 1e-5  # loaded weights = the saved ones
    assert out["repeat_err"] < 1e-6  # the >10 s random crop is seeded
    assert abs(out["norm"] - 1) < 1e-4


def test_missing_hf_files_reported(tmp_path, monkeypatch):
    # The checkpoint exists, the roberta files do not (in the default test environment's HF cache).
    ckpt = tmp_path / "w" / "laion-clap-630k" / "630k-audioset-best.pt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"x")
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path / "w"))
    import bench.extractors.laion_clap as mod

    monkeypatch.setattr(mod, "missing_hf_files", lambda: ["roberta-base/config.json"])
    reason = LaionClapExtractor("630k").available()
    assert reason.startswith("unavailable:") and "roberta-base/config.json" in reason


def test_state_dict_handling(tmp_path):
    import torch

    p = tmp_path / "c.pt"
    torch.save({"state_dict": {"module.audio_branch.x": torch.ones(1), "module.text_branch.embeddings.position_ids": torch.arange(3)}}, p)
    assert list(clap_state_dict(p)) == ["audio_branch.x"]
    torch.save({"state_dict": {"foo": torch.ones(1)}}, p)
    with pytest.raises(ValueError, match="audio_branch"):
        clap_state_dict(p)
    with pytest.raises(ValueError, match="unknown LAION-CLAP variant"):
        LaionClapExtractor("nope")
