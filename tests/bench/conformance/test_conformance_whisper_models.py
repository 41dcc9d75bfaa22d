"""Whisper-large-v3 numerics: openai-whisper's own model vs transformers' (what our
whisper-large-v3-hf extractor loads), the same weights, real clips.

The weights are saved once in openai-whisper's published format (``large-v3.pt``: {"dims",
"model_state_dict"}), loaded by ``whisper.load_model``; the same tensors are written as a
transformers model directory (``save_pretrained``: config.json + model.safetensors) under
transformers' parameter names (the mapping transformers' own conversion script applies; the
script is not shipped in its wheel) and loaded by our extractor. Each side computes its own
log-mel from the same 16 kHz wave; compared: encoder output and the decoder's logits for the
prompt <|sot|><|en|><|transcribe|><|notimestamps|>."""
import re

import pytest
import torch

from unison.core.audio import read_mono
from bench.extractors.whisper_hf import WhisperHFExtractor
from conformance_common import clip_paths, pkg, rel_diff

pytestmark = pytest.mark.conformance
whisper = pytest.importorskip("whisper")
transformers = pytest.importorskip("transformers")
FLOAT32_TOL = 1e-4  # relative to the output range
# large-v3's shape family (128 mels, 1500 audio positions, 51866-token vocabulary), tiny widths.
DIMS = dict(n_mels=128, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2, n_audio_layer=2, n_vocab=51866,
            n_text_ctx=32, n_text_state=32, n_text_head=2, n_text_layer=2)
PROMPT = [50258, 50259, 50360, 50364]  # <|sot|><|en|><|transcribe|><|notimestamps|> in large-v3's vocabulary

# openai-whisper name -> transformers name.
RENAMES = [
    (r"encoder\.positional_embedding", "model.encoder.embed_positions.weight"),
    (r"decoder\.positional_embedding", "model.decoder.embed_positions.weight"),
    (r"decoder\.token_embedding\.weight", "model.decoder.embed_tokens.weight"),
    (r"encoder\.(conv[12])\.(\w+)", r"model.encoder.\1.\2"),
    (r"encoder\.ln_post\.(\w+)", r"model.encoder.layer_norm.\1"),
    (r"decoder\.ln\.(\w+)", r"model.decoder.layer_norm.\1"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.attn\.query\.(\w+)", r"model.\1.layers.\2.self_attn.q_proj.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.attn\.key\.(\w+)", r"model.\1.layers.\2.self_attn.k_proj.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.attn\.value\.(\w+)", r"model.\1.layers.\2.self_attn.v_proj.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.attn\.out\.(\w+)", r"model.\1.layers.\2.self_attn.out_proj.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.attn_ln\.(\w+)", r"model.\1.layers.\2.self_attn_layer_norm.\3"),
    (r"decoder\.blocks\.(\d+)\.cross_attn\.query\.(\w+)", r"model.decoder.layers.\1.encoder_attn.q_proj.\2"),
    (r"decoder\.blocks\.(\d+)\.cross_attn\.key\.(\w+)", r"model.decoder.layers.\1.encoder_attn.k_proj.\2"),
    (r"decoder\.blocks\.(\d+)\.cross_attn\.value\.(\w+)", r"model.decoder.layers.\1.encoder_attn.v_proj.\2"),
    (r"decoder\.blocks\.(\d+)\.cross_attn\.out\.(\w+)", r"model.decoder.layers.\1.encoder_attn.out_proj.\2"),
    (r"decoder\.blocks\.(\d+)\.cross_attn_ln\.(\w+)", r"model.decoder.layers.\1.encoder_attn_layer_norm.\2"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.mlp\.0\.(\w+)", r"model.\1.layers.\2.fc1.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.mlp\.2\.(\w+)", r"model.\1.layers.\2.fc2.\3"),
    (r"(encoder|decoder)\.blocks\.(\d+)\.mlp_ln\.(\w+)", r"model.\1.layers.\2.final_layer_norm.\3"),
]


def to_transformers(key: str) -> str:
    for pattern, repl in RENAMES:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, repl, key)
    raise KeyError(key)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from whisper.model import ModelDimensions, Whisper

    work = tmp_path_factory.mktemp("whisper_models")
    torch.manual_seed(0)
    src = Whisper(ModelDimensions(**DIMS))
    with torch.no_grad():
        src.decoder.positional_embedding.normal_(0, 0.1)  # created with torch.empty (uninitialised memory)
        for name, p in src.named_parameters():  # default init leaves LayerNorms at identity
            if "ln" in name:
                p.add_(torch.randn_like(p) * 0.1)
            if "cross_attn.out" in name:  # so the logits depend on the audio, not only on the prompt
                p.mul_(30.0)
    torch.save({"dims": DIMS, "model_state_dict": src.state_dict()}, work / "large-v3.pt")
    ref = whisper.load_model(str(work / "large-v3.pt"), device="cpu").eval()

    cfg = transformers.WhisperConfig(
        vocab_size=DIMS["n_vocab"], num_mel_bins=DIMS["n_mels"], d_model=DIMS["n_audio_state"],
        encoder_layers=DIMS["n_audio_layer"], decoder_layers=DIMS["n_text_layer"],
        encoder_attention_heads=DIMS["n_audio_head"], decoder_attention_heads=DIMS["n_text_head"],
        encoder_ffn_dim=4 * DIMS["n_audio_state"], decoder_ffn_dim=4 * DIMS["n_text_state"],
        max_source_positions=DIMS["n_audio_ctx"], max_target_positions=DIMS["n_text_ctx"],
        decoder_start_token_id=PROMPT[0], pad_token_id=50256, bos_token_id=50257, eos_token_id=50257)
    hf = transformers.WhisperForConditionalGeneration(cfg)
    sd = {to_transformers(k): v for k, v in torch.load(work / "large-v3.pt")["model_state_dict"].items()}
    sd["proj_out.weight"] = sd["model.decoder.embed_tokens.weight"]  # tied, as in the published model
    missing, unexpected = hf.load_state_dict(sd, strict=False)
    assert not unexpected and not missing, (missing, unexpected)
    out = work / "whisper-large-v3"
    hf.save_pretrained(out, safe_serialization=True)
    transformers.WhisperFeatureExtractor(feature_size=128).save_pretrained(out)
    ext = WhisperHFExtractor(weights=out / "model.safetensors")
    return ref, ext


def test_encoder_and_logits_match_openai_whisper(models, record):
    ref, ext = models
    fe = transformers.WhisperFeatureExtractor.from_pretrained(ext.model_dir)
    prompt = torch.tensor([PROMPT])
    worst_enc = worst_logits = 0.0
    last = []
    for path in clip_paths("asterisk agent-loggedoff (8 kHz, 1.5 s speech)", "LibriVox 0870 (16 kHz, 7.1 s speech)",
                           "tuxpaint chilepepper (44.1 kHz, 1.1 s)"):
        wave = read_mono(path, 16000)[0]
        mel = whisper.log_mel_spectrogram(torch.from_numpy(wave), n_mels=128, padding=whisper.audio.N_SAMPLES)
        mel = whisper.pad_or_trim(mel[:, : whisper.audio.N_FRAMES], whisper.audio.N_FRAMES)
        feats = torch.from_numpy(fe(wave, sampling_rate=16000, return_tensors="np").input_features)
        with torch.no_grad():
            enc_ref = ref.embed_audio(mel[None])
            logits_ref = ref.logits(prompt, enc_ref)
            out = ext.model(input_features=feats, decoder_input_ids=prompt, output_hidden_states=False)
            enc_ours = ext.model.model.encoder(feats).last_hidden_state
        worst_enc = max(worst_enc, rel_diff(enc_ours.numpy(), enc_ref.numpy()))
        worst_logits = max(worst_logits, rel_diff(out.logits.numpy(), logits_ref.numpy()))
        last.append(logits_ref[0, -1].numpy())
    assert rel_diff(last[0], last[1]) > 0.01  # the audio moves the logits: the comparison covers cross-attention
    ref_pkg = f"{pkg('openai-whisper')}, {pkg('transformers')}"
    record("Whisper encoder output", ref_pkg, "openai-whisper vs transformers, same weights, own log-mel",
           worst_enc, tolerance=FLOAT32_TOL)
    record("Whisper decoder logits", ref_pkg, "prompt sot/en/transcribe/notimestamps, same weights, own log-mel",
           worst_logits, tolerance=FLOAT32_TOL)

