"""paraformer-zh adapter: the zhconv post-processing, weights resolution, funasr error paths, and a
tiny SeACo-Paraformer in the published directory layout loaded and run through funasr offline."""
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from paraformer_tiny import CHARS, LFR_M, N_MELS, TOKENS, save_tiny_paraformer

from bench.extractors.paraformer import ParaformerZhExtractor, to_simplified


def test_traditional_to_simplified():
    assert to_simplified("這是繁體中文，說話。") == "这是繁体中文，说话。"
    assert to_simplified("hello 123") == "hello 123"


def test_missing_weights_is_unavailable(tmp_path, monkeypatch):
    pytest.importorskip("funasr")
    monkeypatch.delenv("UNISON_PARAFORMER_ZH", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    reason = ParaformerZhExtractor().available()
    assert reason.startswith("unavailable:") and "model.pt" in reason and "paraformer-zh" in reason
    sig = ParaformerZhExtractor().signature()
    assert sig["weights_sha256"] is None and "zh-cn" in sig["postprocess"]


def test_incomplete_dir_and_bad_config_are_clear_errors(tmp_path, monkeypatch):
    pytest.importorskip("funasr")
    d = tmp_path / "paraformer-zh"
    d.mkdir()
    (d / "model.pt").write_bytes(b"not a checkpoint")
    monkeypatch.setenv("UNISON_PARAFORMER_ZH", str(d))
    ext = ParaformerZhExtractor()
    assert ext.available() is None  # the file is there...
    with pytest.raises(FileNotFoundError, match="config.yaml"):
        ext.extract([np.zeros(16000, np.float32)], ["zh"])  # ...but the directory is incomplete
    (d / "config.yaml").write_text("model: NoSuchModel\nmodel_conf: {}\n")
    with pytest.raises(RuntimeError, match="funasr could not build the model from"):
        ParaformerZhExtractor().extract([np.zeros(16000, np.float32)], ["zh"])


def test_rejects_non_mandarin_items(tmp_path, monkeypatch):
    ext = ParaformerZhExtractor()
    with pytest.raises(ValueError, match="Mandarin only"):
        ext.extract([np.zeros(16000, np.float32)], ["en"])


@pytest.mark.skipif(not os.environ.get("UNISON_PARAFORMER_ZH_REAL"),
                    reason="needs the real paraformer-zh model directory in $UNISON_PARAFORMER_ZH_REAL")
def test_real_model_transcribes_silence_to_short_text(monkeypatch):
    monkeypatch.setenv("UNISON_PARAFORMER_ZH", os.environ["UNISON_PARAFORMER_ZH_REAL"])
    out = ParaformerZhExtractor().extract([np.zeros(32000, np.float32)], ["zh"])
    assert isinstance(out[0]["text"], str) and len(out[0]["text"]) < 5


# --- tiny SeACo-Paraformer in the published layout -------------------------------------------------


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    pytest.importorskip("funasr")
    return save_tiny_paraformer(tmp_path_factory.mktemp("paraformer") / "paraformer-zh")


@pytest.fixture(scope="module")
def loaded(tiny_dir):
    """One extractor whose funasr model is built with every socket connection refused (offline proof)."""
    import torch

    ext = ParaformerZhExtractor(weights=tiny_dir)
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as mp:
        def no_network(self, *args, **kwargs):
            raise OSError(f"network access attempted while loading paraformer-zh: {args}")

        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket, "create_connection", no_network)
        ext.model  # noqa: B018 - builds through funasr AutoModel
    assert torch.get_num_threads() == threads  # funasr must not re-thread the whole process
    return ext


def _clips():
    rng = np.random.default_rng(0)
    t = np.arange(32000) / 16000
    return [(0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),  # 2 s tone
            (0.1 * rng.standard_normal(24000)).astype(np.float32)]  # 1.5 s noise


def test_tiny_model_loads_offline_and_transcribes(loaded, tiny_dir, monkeypatch):
    from funasr.models.seaco_paraformer.model import SeacoParaformer

    monkeypatch.delenv("UNISON_PARAFORMER_ZH", raising=False)
    assert loaded.available() is None
    assert isinstance(loaded.model.model, SeacoParaformer)
    # funasr took the vocabulary and the CMVN from the directory's tokens.json and am.mvn.
    assert list(loaded.model.kwargs["token_list"]) == TOKENS
    frontend = loaded.model.kwargs["frontend"]
    assert Path(frontend.cmvn_file) == tiny_dir / "am.mvn" and tuple(frontend.cmvn.shape) == (2, N_MELS * LFR_M)
    sig = loaded.signature()
    assert len(sig["weights_sha256"]) == 64 and sig["architecture"] == "SeacoParaformer"
    clips = _clips()
    out = loaded.extract(clips, ["zh", None])
    assert [sorted(o) for o in out] == [["text"], ["text"]]
    allowed = {to_simplified(c) for c in CHARS} | {" "}
    for o in out:
        assert isinstance(o["text"], str) and set(o["text"]) <= allowed, o["text"]
    assert out[0]["text"].strip(), "the tiny model (CIF bias > 0) should emit tokens for a 2 s tone"
    # Our text is funasr's own output, simplified: the raw output holds traditional characters.
    raw = loaded.model.generate(input=clips[0], batch_size_s=300)[0]["text"]
    assert set(raw) <= set(CHARS) | {" "} and raw != out[0]["text"] and to_simplified(raw) == out[0]["text"]
    # Deterministic: a second pass (and a fresh extractor through the env var) gives the same text.
    assert loaded.extract(clips, ["zh", "zh"]) == out
    monkeypatch.setenv("UNISON_PARAFORMER_ZH", str(tiny_dir))
    assert ParaformerZhExtractor().extract(clips[:1], ["zh"]) == out[:1]


def test_no_token_fired_is_empty_text(tiny_dir, tmp_path):
    import torch

    # A predictor that never reaches the CIF threshold (as on silence): funasr returns no result at all.
    d = _copy(tiny_dir, tmp_path)
    state = torch.load(d / "model.pt", weights_only=True)
    state["predictor.cif_output.bias"].fill_(-30.0)
    torch.save(state, d / "model.pt")
    ext = ParaformerZhExtractor(weights=d)
    wave = _clips()[0]
    assert ext.model.generate(input=wave, batch_size_s=300) == []
    assert ext.extract([wave], ["zh"]) == [{"text": ""}]


def _copy(tiny_dir, tmp_path):
    return Path(shutil.copytree(tiny_dir, tmp_path / "paraformer-zh"))


def test_missing_files_name_the_file(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_PARAFORMER_ZH", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    d = _copy(tiny_dir, tmp_path)
    (d / "model.pt").unlink()
    reason = ParaformerZhExtractor(weights=d).available()
    assert reason.startswith("unavailable:") and "model.pt" in reason and str(d) in reason
    d2 = _copy(tiny_dir, tmp_path / "b")
    (d2 / "config.yaml").unlink()
    ext = ParaformerZhExtractor(weights=d2)
    assert ext.available() is None  # model.pt is there...
    with pytest.raises(FileNotFoundError, match=r"lacks \['config.yaml'\]"):
        ext.extract([np.zeros(16000, np.float32)], ["zh"])  # ...the directory is not complete


def test_corrupted_config_is_a_clear_error(tiny_dir, tmp_path):
    d = _copy(tiny_dir, tmp_path)
    text = (d / "config.yaml").read_text(encoding="utf-8")
    (d / "config.yaml").write_text(text[: len(text) // 3] + "\n  encoder_conf: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="funasr could not build the model from .*paraformer-zh"):
        ParaformerZhExtractor(weights=d).extract([np.zeros(16000, np.float32)], ["zh"])


def test_checkpoint_from_another_config_is_rejected(tiny_dir, tmp_path):
    import torch

    # Wrong shapes: funasr alone would keep random weights for them.
    d = _copy(tiny_dir, tmp_path)
    state = torch.load(d / "model.pt", weights_only=True)
    state["decoder.output_layer.weight"] = torch.zeros(3, 3)
    torch.save(state, d / "model.pt")
    with pytest.raises(RuntimeError, match="(?s)funasr could not build the model from .*size mismatch"):
        ParaformerZhExtractor(weights=d).extract([np.zeros(16000, np.float32)], ["zh"])
    # Missing parameters: funasr alone only prints a warning.
    d2 = _copy(tiny_dir, tmp_path / "b")
    state = torch.load(d2 / "model.pt", weights_only=True)
    del state["bias_encoder.weight_ih_l0"]
    torch.save(state, d2 / "model.pt")
    with pytest.raises(ValueError, match=r"lacks 1 parameters .*bias_encoder.weight_ih_l0"):
        ParaformerZhExtractor(weights=d2).extract([np.zeros(16000, np.float32)], ["zh"])
