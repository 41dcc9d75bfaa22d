"""Vocoders: mel (B, n_mels, frames) -> wave (B, frames * hop). ``build_vocoder`` picks one from config."""
from __future__ import annotations

from unison.audio.vocoder.base import Vocoder, VocoderUnavailableError
from unison.config import MelConfig, VocoderConfig

KINDS = ("bigvgan_v1", "bigvgan_v2", "hifigan", "vocos", "griffinlim")


def build_vocoder(cfg: VocoderConfig, mel: MelConfig) -> Vocoder:
    """Build the configured vocoder and check it was trained on the configured mel front end."""
    if cfg.kind in ("bigvgan_v1", "bigvgan_v2"):
        from unison.audio.vocoder.bigvgan import load_bigvgan

        voc = load_bigvgan(cfg.weights, cfg.path, version=cfg.kind.split("_")[1])
    elif cfg.kind == "hifigan":
        from unison.audio.vocoder.hifigan import HiFiGANVocoder

        voc = HiFiGANVocoder(cfg.weights, cfg.path)
    elif cfg.kind == "vocos":  # trained by `unison train-vocoder`; cfg.weights is not used
        from unison.audio.vocoder.vocos import load_vocos

        if not cfg.path:
            raise ValueError("audio.vocoder.kind=vocos needs audio.vocoder.path=<weights .safetensors> "
                             "(e.g. checkpoints/tiny/vocos-tiny22k.safetensors)")
        voc = load_vocos(cfg.path)
    elif cfg.kind == "griffinlim":
        from unison.audio.vocoder.griffinlim import GriffinLimVocoder

        voc = GriffinLimVocoder(mel, n_iter=cfg.griffinlim_iters)
    else:
        raise ValueError(f"unknown vocoder.kind {cfg.kind!r}; choose one of {KINDS}")
    voc.check_mel_config(mel)
    return voc


__all__ = ["KINDS", "Vocoder", "VocoderUnavailableError", "build_vocoder"]
