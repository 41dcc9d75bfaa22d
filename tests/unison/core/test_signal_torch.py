"""The torch signal helpers of the on-device synthesis."""
import numpy as np
import torch

from unison.core.signal_torch import coloured_noise, gain_for_snr, normalize_rms, place_faded


def test_place_faded_crops_and_fades_inside_the_clip():
    y = place_faded(torch.ones(100), 120, 90, fade=5)
    assert y.shape == (120,) and not y[:90].any() and y[95:110].eq(1).all() and 0 < y[90] < 1


def test_gain_for_snr_sets_the_energy_ratio():
    s, n = torch.randn(1000), torch.randn(1000)
    g = gain_for_snr(s, n, 6.0)
    assert abs(10 * np.log10(float(s.pow(2).sum() / (g * n).pow(2).sum())) - 6.0) < 1e-4


def test_normalize_rms_and_coloured_noise_levels():
    x = normalize_rms(torch.randn(4000), -20.0)
    assert abs(20 * np.log10(float(x.pow(2).mean().sqrt())) + 20.0) < 1e-4
    for colour in ("white", "pink", "brown"):
        noise = coloured_noise(4096, colour, torch.Generator().manual_seed(0))
        assert abs(float(noise.pow(2).mean().sqrt()) - 1.0) < 1e-4
