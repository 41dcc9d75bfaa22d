"""Whisper-large-v3 (wer@whisper-large-v3-seedtts) against seed-tts-eval's call and openai-whisper.

- seed-tts-eval's run_wer.py (not on PyPI) reads with soundfile, resamples with
  ``scipy.signal.resample`` when the file is not 16 kHz, takes ``processor(wav).input_features``
  and calls ``model.generate(input_features, forced_decoder_ids=processor.get_decoder_prompt_ids(
  language="english", task="transcribe"))``. Current transformers rejects ``forced_decoder_ids``
  (and no longer ships the logits processor that forced them), so our extractor passes
  ``language`` / ``task``; the test shows that puts the very tokens the reference forces in the
  decoder prompt, and that the reference call still fails here.
- The log-mel front end of transformers' WhisperFeatureExtractor (ours) is compared with
  openai-whisper's ``log_mel_spectrogram`` as ``whisper.transcribe`` computes a 30 s window.
"""
import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import torch

from unison.core.audio import read_mono
from bench.extractors.whisper_hf import WhisperHFExtractor
from conformance_common import clip_paths, pkg
from whisper_tiny import save_tiny_whisper_hf

pytestmark = pytest.mark.conformance
whisper = pytest.importorskip("whisper")
transformers = pytest.importorskip("transformers")
FLOAT32_TOL = 1e-5  # Whisper log-mel units (log10 / 4, range about 2): float32 rounding


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_whisper_hf(tmp_path_factory.mktemp("whisper") / "whisper-large-v3")


def test_seed_tts_eval_prompt_is_ours_and_its_call_is_rejected(tiny, record, monkeypatch):
    ext = WhisperHFExtractor(weights=tiny / "model.safetensors", max_new_tokens=3)
    wave = read_mono(clip_paths("LibriVox 0930 (16 kHz, 3.3 s speech)")[0], 16000)[0]
    proc = ext.processor
    forced = proc.get_decoder_prompt_ids(language="english", task="transcribe")  # the reference's prompt
    seen = []
    real_forward = ext.model.forward

    def spy(*args, **kwargs):
        seen.append(kwargs["decoder_input_ids"][0].tolist())
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(ext.model, "forward", spy)
    ext.generate_ids([wave], "en")
    monkeypatch.setattr(ext.model, "forward", real_forward)
    reference_prompt = [ext.model.generation_config.decoder_start_token_id] + [tok for _, tok in sorted(forced)]
    mismatched = sum(a != b for a, b in zip(seen[0], reference_prompt)) + abs(len(seen[0]) - len(reference_prompt))
    record("Whisper (transformers) decoder prompt", pkg("transformers"),
           "our language/task prompt vs seed-tts-eval's forced_decoder_ids (tokens differing)", mismatched,
           tolerance=0)
    feats = proc(wave, sampling_rate=16000, return_tensors="pt").input_features
    with pytest.raises(ValueError, match="forced_decoder_ids"):  # the reference call as written
        ext.model.generate(feats, forced_decoder_ids=forced)


def openai_window(audio16k: np.ndarray) -> np.ndarray:
    """The first 30 s window's log-mel as whisper.transcribe computes it (128 bins for large-v3)."""
    mel = whisper.log_mel_spectrogram(torch.from_numpy(audio16k), n_mels=128, padding=whisper.audio.N_SAMPLES)
    return whisper.pad_or_trim(mel[:, : whisper.audio.N_FRAMES], whisper.audio.N_FRAMES).numpy()


def test_log_mel_transformers_vs_openai_whisper(record):
    """Equal to float rounding, except the last frame of a full 30 s window: transformers reflect-pads
    the window's end, openai-whisper sees the zeros it appends (padding=N_SAMPLES)."""
    fe = transformers.WhisperFeatureExtractor(feature_size=128)
    worst, edge = 0.0, 0.0
    for path in clip_paths():
        wave = read_mono(path, 16000)[0][: whisper.audio.N_SAMPLES]  # both see the first 30 s (transformers truncates)
        diff = np.abs(fe(wave, sampling_rate=16000, return_tensors="np").input_features[0] - openai_window(wave))
        if len(wave) == whisper.audio.N_SAMPLES:
            edge = max(edge, float(diff[:, -1].max()))
            diff = diff[:, :-1]
        worst = max(worst, float(diff.max()))
    ref = f"{pkg('openai-whisper')}, {pkg('transformers')}"
    record("Whisper log-mel (128 bins, 30 s window)", ref,
           "WhisperFeatureExtractor vs whisper.log_mel_spectrogram, same 16 kHz waves", worst, tolerance=FLOAT32_TOL)
    record("Whisper log-mel (128 bins, 30 s window)", ref, "last frame of a full 30 s window", edge, tolerance=0.5,
           note="reflect vs zero padding")


def test_resampling_seed_tts_eval_vs_ours(record):
    """Whisper's input features when the clip is not 16 kHz: seed-tts-eval's FFT resampling vs soxr HQ.
    A real protocol difference (the FFT resampler is a brick wall at the new Nyquist and wraps the
    clip's ends), measured here; bench resamples every extractor's input with soxr HQ."""
    fe = transformers.WhisperFeatureExtractor(feature_size=128)
    worst, medians = 0.0, []
    for path in clip_paths():
        wav, sr = sf.read(str(path))
        if sr == 16000:
            continue
        ours = read_mono(path, 16000)[0]
        theirs = scipy.signal.resample(wav, int(len(wav) * 16000 / sr))
        a = fe(ours, sampling_rate=16000, return_tensors="np").input_features[0]
        b = fe(theirs, sampling_rate=16000, return_tensors="np").input_features[0]
        per_frame = np.abs(a - b).max(axis=0)[: min(len(ours), whisper.audio.N_SAMPLES) // 160]
        worst = max(worst, float(per_frame.max()))
        medians.append(float(np.median(per_frame)))
    record("Whisper log-mel (128 bins, 30 s window)", f"scipy {pkg('scipy').split()[-1]}",
           "8 / 44.1 kHz clips: soxr HQ vs seed-tts-eval's scipy.signal.resample", worst, tolerance=1.0,
           note=f"resampler; per-frame median up to {max(medians):.2f}")
