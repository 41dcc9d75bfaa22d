import pytest
import torch

from unison.audio.latent_stats import LatentStats


def test_compute_matches_direct_statistics():
    torch.manual_seed(0)
    chunks = [torch.randn(3, 17, 4) * torch.tensor([1.0, 2.0, 0.5, 3.0]) + torch.tensor([0.0, 1.0, -2.0, 5.0]),
              torch.randn(11, 4) * 2 + 1]
    stats = LatentStats.compute(iter(chunks))
    flat = torch.cat([c.reshape(-1, 4) for c in chunks])
    assert torch.allclose(stats.mean, flat.mean(0), atol=1e-5)
    assert torch.allclose(stats.std, flat.std(0), atol=1e-5)


def test_normalize_roundtrip_and_state_dict():
    stats = LatentStats(torch.tensor([1.0, -2.0]), torch.tensor([2.0, 0.5]))
    z = torch.randn(2, 5, 2)
    n = stats.normalize(z)
    assert torch.allclose(n[..., 0], (z[..., 0] - 1) / 2)
    assert torch.allclose(stats.denormalize(n), z, atol=1e-6)
    again = LatentStats.from_state_dict(stats.state_dict())
    assert torch.equal(again.mean, stats.mean) and torch.equal(again.std, stats.std)


def test_errors_are_named():
    with pytest.raises(ValueError, match="std must be > 0"):
        LatentStats(torch.zeros(2), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="3 channels"):
        LatentStats(torch.zeros(2), torch.ones(2)).normalize(torch.zeros(1, 4, 3))
    with pytest.raises(KeyError, match="latent_std"):
        LatentStats.from_state_dict({"latent_mean": torch.zeros(2)})
    with pytest.raises(ValueError, match="channel count"):
        LatentStats.compute([torch.zeros(4, 2), torch.zeros(4, 3)])
