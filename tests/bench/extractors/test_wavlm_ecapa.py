"""WavLM + ECAPA-TDNN (seed-tts-eval SIM): tiny checkpoint in UniSpeech's format (s3prl WavLM names)."""
import re

import numpy as np
import pytest
import torch

from bench.extractors.wavlm_ecapa import EcapaHead, WavLMEcapaExtractor, load_wavlm_ecapa, s3prl_to_hf

# transformers name -> s3prl/fairseq name, written out independently of the module's table.
TO_S3PRL = [
    (r"feature_extractor\.conv_layers\.(\d+)\.conv\.weight", r"feature_extractor.conv_layers.\1.0.weight"),
    (r"feature_extractor\.conv_layers\.(\d+)\.layer_norm\.(\w+)", r"feature_extractor.conv_layers.\1.2.1.\2"),
    (r"feature_projection\.layer_norm\.(\w+)", r"layer_norm.\1"),
    (r"feature_projection\.projection\.(\w+)", r"post_extract_proj.\1"),
    (r"masked_spec_embed", r"mask_emb"),
    (r"encoder\.pos_conv_embed\.conv\.bias", r"encoder.pos_conv.0.bias"),
    (r"encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original0", r"encoder.pos_conv.0.weight_g"),
    (r"encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original1", r"encoder.pos_conv.0.weight_v"),
    (r"encoder\.layers\.(\d+)\.attention\.gru_rel_pos_linear\.(\w+)", r"encoder.layers.\1.self_attn.grep_linear.\2"),
    (r"encoder\.layers\.(\d+)\.attention\.gru_rel_pos_const", r"encoder.layers.\1.self_attn.grep_a"),
    (r"encoder\.layers\.(\d+)\.attention\.rel_attn_embed\.weight", r"encoder.layers.\1.self_attn.relative_attention_bias.weight"),
    (r"encoder\.layers\.(\d+)\.attention\.(\w+)\.(\w+)", r"encoder.layers.\1.self_attn.\2.\3"),
    (r"encoder\.layers\.(\d+)\.layer_norm\.(\w+)", r"encoder.layers.\1.self_attn_layer_norm.\2"),
    (r"encoder\.layers\.(\d+)\.feed_forward\.intermediate_dense\.(\w+)", r"encoder.layers.\1.fc1.\2"),
    (r"encoder\.layers\.(\d+)\.feed_forward\.output_dense\.(\w+)", r"encoder.layers.\1.fc2.\2"),
    (r"encoder\.layers\.(\d+)\.final_layer_norm\.(\w+)", r"encoder.layers.\1.final_layer_norm.\2"),
    (r"encoder\.layer_norm\.(\w+)", r"encoder.layer_norm.\1"),
]


def to_s3prl(key):
    for pat, rep in TO_S3PRL:
        if re.fullmatch(pat, key):
            return re.sub(pat, rep, key)
    raise AssertionError(key)


def save_tiny(path):
    from transformers import WavLMConfig, WavLMModel

    torch.manual_seed(0)
    cfg = WavLMConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                      conv_dim=(8,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
                      num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=4, feat_extract_norm="layer",
                      do_stable_layer_norm=True, conv_bias=False)
    wavlm = WavLMModel(cfg).eval()
    head = EcapaHead(n_states=3, feat_dim=16, channels=16, cat_channels=24, emb_dim=8, attention=4, se_bottleneck=4)
    with torch.no_grad():
        head.feature_weight.copy_(torch.tensor([0.3, -0.2, 0.5]))
        for m in head.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    sd = {"feature_extract.model." + to_s3prl(k): v for k, v in wavlm.state_dict().items()}
    sd.update(head.state_dict())
    sd["projection.weight"] = torch.zeros(5, 8)  # a training-only loss head, ignored like strict=False
    torch.save({"model": sd}, path)
    return wavlm, head.eval()


def test_key_renames_known_names():
    assert s3prl_to_hf("encoder.layers.3.self_attn.grep_a") == "encoder.layers.3.attention.gru_rel_pos_const"
    assert s3prl_to_hf("feature_extractor.conv_layers.6.2.1.bias") == "feature_extractor.conv_layers.6.layer_norm.bias"
    assert s3prl_to_hf("final_proj.weight") is None
    with pytest.raises(ValueError, match="unknown WavLM checkpoint key"):
        s3prl_to_hf("encoder.mystery")


def test_tiny_checkpoint_loads_and_embeds(tmp_path, monkeypatch):
    path = tmp_path / "wavlm_large_finetune.pth"
    wavlm, head = save_tiny(path)
    net = load_wavlm_ecapa(path)
    assert net.wavlm.config.num_hidden_layers == 2 and net.wavlm.config.num_conv_pos_embedding_groups == 4
    monkeypatch.setenv("UNISON_WAVLM_ECAPA", str(path))
    ext = WavLMEcapaExtractor()
    assert ext.available() is None and len(ext.signature()["weights_sha256"]) == 64
    rng = np.random.default_rng(0)
    a = rng.standard_normal(16000).astype(np.float32) * 0.1
    feats = ext.extract([a, rng.standard_normal(12000).astype(np.float32)], [None, None])
    assert feats[0]["embedding"].shape == (8,) and np.isfinite(feats[1]["embedding"]).all()
    # Same as the source WavLM + head on the normalised wave: the renamed weights are the real ones.
    with torch.no_grad():
        x = torch.nn.functional.layer_norm(torch.from_numpy(a)[None], (16000,))
        states = torch.stack(wavlm(x, output_hidden_states=True).hidden_states)
        ref = head(states)[0].numpy()
    np.testing.assert_allclose(feats[0]["embedding"], ref, rtol=1e-4, atol=1e-5)
    # Scaling the wave does not change the embedding (utterance normalisation).
    np.testing.assert_allclose(ext.extract([a * 3], [None])[0]["embedding"], feats[0]["embedding"], rtol=1e-3, atol=1e-4)


def test_missing_and_wrong(tmp_path, monkeypatch):
    monkeypatch.delenv("UNISON_WAVLM_ECAPA", raising=False)
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(tmp_path))
    reason = WavLMEcapaExtractor().available()
    assert reason.startswith("unavailable:") and "wavlm_large_finetune.pth" in reason
    bad = tmp_path / "bad.pth"
    torch.save({"model": {"x": torch.zeros(1)}}, bad)
    with pytest.raises(ValueError, match="not a UniSpeech ECAPA checkpoint"):
        load_wavlm_ecapa(bad)
