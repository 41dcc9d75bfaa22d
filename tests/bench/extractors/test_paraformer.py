"""paraformer-zh adapter: the zhconv post-processing, weights resolution, funasr error path.
(No tiny Paraformer is built: see the skip reason of the real-weights test.)"""
import os

import numpy as np
import pytest

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
