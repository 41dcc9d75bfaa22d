"""Signal helpers on mono torch waves (any device), named as their numpy counterparts in
unison.core.signal where they do the same thing. Used by the on-device training-data synthesis.

Differences from the numpy helpers, kept on purpose: ``normalize_rms`` clamps a silent clip's RMS
(no error: synthesis never meets one twice in a row), and SNRs here are energy ratios over the
clips (``gain_for_snr`` returns the gain, not the scaled wave)."""
from __future__ import annotations

import torch
from torch import Tensor


def energy(x: Tensor) -> Tensor:
    return x.double().pow(2).sum()


def normalize_rms(x: Tensor, dbfs: float) -> Tensor:
    """Scale so the RMS over the clip's own samples is ``dbfs`` dB re full scale."""
    rms = x.pow(2).mean().sqrt().clamp_min(1e-8)
    return x * (10 ** (dbfs / 20) / rms)


def place_faded(x: Tensor, length: int, offset: int, fade: int) -> Tensor:
    """``x`` at ``offset`` in a zero clip of ``length`` samples (cropping what overflows), with a
    linear fade-in/out of ``fade`` samples at the placed segment's boundaries (the ramp stays
    strictly inside (0, 1)) -> (length,)."""
    seg = x[: max(0, length - offset)].clone()
    f = min(fade, seg.numel() // 2)
    if f > 0:
        ramp = torch.linspace(0.0, 1.0, f + 2, device=seg.device)[1:-1]  # (f,)
        seg[:f] *= ramp
        seg[-f:] *= ramp.flip(0)
    out = x.new_zeros(length)  # (N,)
    out[offset: offset + seg.numel()] = seg
    return out


def gain_for_snr(signal: Tensor, noise: Tensor, snr_db: float) -> float:
    """Gain g such that 10 log10(E[signal] / E[g * noise]) = snr_db (energies over the clip)."""
    return float(torch.sqrt(energy(signal) / (energy(noise).clamp_min(1e-20) * 10 ** (snr_db / 10))))


def coloured_noise(n: int, colour: str, gen: torch.Generator) -> Tensor:
    """White, pink (1/f power) or brown (1/f^2) noise, unit RMS, shaped in the frequency domain."""
    white = torch.randn(n, generator=gen)  # (n,) drawn on CPU: same numbers on every device
    if colour == "white":
        return white / white.pow(2).mean().sqrt()
    spec = torch.fft.rfft(white)
    f = torch.arange(spec.numel(), dtype=torch.float32).clamp_min(1.0)
    spec = spec / (f.sqrt() if colour == "pink" else f)
    x = torch.fft.irfft(spec, n)
    return x / x.pow(2).mean().sqrt()
