import pytest
import torch

from unison import flow


def test_noising_endpoints_and_velocity_is_time_derivative():
    g = torch.Generator().manual_seed(0)
    z, eps = torch.randn(3, 4, 2, generator=g), torch.randn(3, 4, 2, generator=g)
    assert torch.allclose(flow.noised(z, eps, torch.zeros(3)), z)
    assert torch.allclose(flow.noised(z, eps, torch.ones(3)), eps)
    t, dt = torch.full((3,), 0.3), 1e-3
    fd = (flow.noised(z, eps, t + dt) - flow.noised(z, eps, t)) / dt
    assert torch.allclose(fd, flow.target_velocity(z, eps), atol=1e-3)
    # per-item t is broadcast per item
    zt = flow.noised(z, eps, torch.tensor([0.0, 1.0, 0.5]))
    assert torch.allclose(zt[0], z[0]) and torch.allclose(zt[1], eps[1])


def test_masked_loss_normalised_by_mask_sum():
    u = torch.zeros(1, 4, 2)
    v = torch.zeros(1, 4, 2)
    v[:, :2] = 10.0  # error only on the (masked) prefix frames
    v[:, 2:] = 1.0
    mask = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    assert flow.flow_loss(v, u, mask).item() == pytest.approx(1.0)
    assert flow.flow_loss(v, u).item() == pytest.approx((100 * 4 + 4) / 8)
    with pytest.raises(ValueError, match="no frames"):
        flow.flow_loss(v, u, torch.zeros(1, 4))


def test_t_sampling_is_seeded_and_in_range():
    for dist in ("uniform", "logit_normal"):
        a = flow.sample_t(1000, dist, torch.Generator().manual_seed(1))
        b = flow.sample_t(1000, dist, torch.Generator().manual_seed(1))
        assert torch.equal(a, b) and a.min() > 0 and a.max() < 1
    ln = flow.sample_t(20000, "logit_normal", torch.Generator().manual_seed(2))
    # logit-normal concentrates mass around 0.5 compared with uniform
    assert ((ln > 0.25) & (ln < 0.75)).float().mean() > 0.6
    with pytest.raises(ValueError, match="t_distribution"):
        flow.sample_t(2, "beta")
    from unison.config import FlowConfig
    cfg = FlowConfig(t_distribution="uniform")
    assert torch.equal(flow.training_times(cfg, 5, torch.Generator().manual_seed(3)),
                       flow.sample_t(5, "uniform", torch.Generator().manual_seed(3)))


def test_text_dropout_replaces_with_empty_prompt():
    hidden = torch.ones(64, 2, 5, 3)
    mask = torch.ones(64, 5, dtype=torch.bool)
    eh = torch.full((1, 2, 2, 3), -1.0)
    em = torch.tensor([[True, False]])
    h, m, dropped = flow.drop_text(hidden, mask, eh, em, 0.5, torch.Generator().manual_seed(0))
    assert h.shape == (64, 2, 5, 3) and 0 < dropped.sum() < 64
    assert torch.all(h[dropped][:, :, :2] == -1) and torch.all(h[dropped][:, :, 2:] == 0)
    assert torch.all(m[dropped] == torch.tensor([True, False, False, False, False]))
    assert torch.all(h[~dropped] == 1) and torch.all(m[~dropped])
    _, _, none = flow.drop_text(hidden, mask, eh, em, 0.0)
    assert not none.any()
