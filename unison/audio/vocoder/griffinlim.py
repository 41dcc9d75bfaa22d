"""Griffin-Lim phase reconstruction from our log mel: the weights-free fallback vocoder.

Inverts the log, maps mel back to a linear magnitude with librosa's NNLS inverse of the same
slaney basis, then runs librosa's Griffin-Lim. Our frames are centred at k * hop + hop / 2
((n_fft - hop) / 2 reflect padding, center=False); librosa's at k * hop, hence the half-hop shift.
"""
from __future__ import annotations

import librosa
import numpy as np
import torch

from unison.audio.mel import mel_magnitude_from_log, validate_mel_config
from unison.audio.vocoder.base import Vocoder
from unison.config import MelConfig


class GriffinLimVocoder(Vocoder):
    def __init__(self, mel: MelConfig, n_iter: int = 32):
        super().__init__()
        validate_mel_config(mel)
        self.mel_cfg = mel
        self.sample_rate, self.hop_length, self.n_mels, self.mel_log = (
            mel.sample_rate, mel.hop_length, mel.n_mels, mel.log)
        self.n_iter = n_iter
        self.name = f"Griffin-Lim ({n_iter} iterations)"

    def vocode(self, mel: torch.Tensor) -> torch.Tensor:
        cfg, hop = self.mel_cfg, self.hop_length
        magnitude_mel = mel_magnitude_from_log(mel.detach().float().cpu(), cfg).numpy()  # (B, n_mels, F)
        linear = librosa.feature.inverse.mel_to_stft(
            magnitude_mel, sr=cfg.sample_rate, n_fft=cfg.n_fft, power=1.0, fmin=cfg.f_min, fmax=cfg.f_max)
        frames = mel.shape[-1]
        waves = []
        for spec in linear:  # (n_fft//2+1, F)
            # librosa's centred STFT of frames * hop samples has F + 1 frames: repeat the last one
            spec = np.concatenate([spec, spec[:, -1:]], axis=1)
            y = librosa.griffinlim(spec, n_iter=self.n_iter, hop_length=hop, win_length=cfg.win_length,
                                   n_fft=cfg.n_fft, center=True, length=frames * hop, random_state=0)
            y = np.concatenate([np.zeros(hop // 2, dtype=y.dtype), y])[: frames * hop]  # half-hop alignment
            waves.append(y)
        return torch.from_numpy(np.stack(waves)).to(device=mel.device, dtype=torch.float32)
