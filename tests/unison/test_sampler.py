import math
from dataclasses import dataclass

import pytest
import torch

from unison import sampler
from unison.core.seeds import item_noise, item_seed
from unison.tasks import build_input


@dataclass
class _Cond:
    pooled: torch.Tensor  # (B, H)


class _TextConditionedField(torch.nn.Module):
    """Test stand-in with the DiT's interface: v = a * z_t + b * z_s + pooled-text offset."""

    def __init__(self, C: int = 3, H: int = 4):
        super().__init__()
        self.C = C
        self.proj = torch.nn.Linear(H, C)
        self.prepare_calls = 0

    def prepare_text(self, feats, mask):
        self.prepare_calls += 1
        m = mask[:, None, :, None].float()  # (B, 1, S, 1)
        pooled = (feats * m).sum((1, 2)) / m.sum((1, 2)).clamp(min=1)  # (B, H)
        return _Cond(pooled)

    def forward(self, x, t, cond):
        C = self.C
        z_t, z_s, m = x[..., :C], x[..., C:2 * C], x[..., 2 * C:]
        return -0.5 * z_t + 0.1 * z_s + 0.01 * m + self.proj(cond.pooled)[:, None, :] * t[:, None, None]


def _text(B, S, H=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, 2, S, H, generator=g), torch.ones(B, S, dtype=torch.bool)


@pytest.mark.parametrize("solver", ["euler", "midpoint", "heun"])
def test_recovers_data_point_on_straight_path(solver):
    x = torch.randn(2, 5, 3)
    eps = torch.randn(2, 5, 3)
    if solver == "heun":  # heun evaluates t = 0, so use the constant field u = eps - x
        def v(z, t): return eps - x
    else:  # linear field whose value along the path z_t = x + t (eps - x) is the constant eps - x
        def v(z, t): return (z - x) / t
    z0 = sampler.integrate(v, eps.clone(), steps=7, solver=solver)
    assert torch.allclose(z0, x, atol=1e-5)


def test_second_order_solvers_beat_euler_on_curved_field():
    z1 = torch.ones(1, 1, 1)
    exact = math.exp(-1.0)  # dz/dt = z from t=1 to 0: z(0) = z(1) / e

    def v(z, t): return z
    err = {s: abs(sampler.integrate(v, z1, 10, s).item() - exact) for s in sampler.SOLVERS}
    assert err["heun"] < err["euler"] / 10 and err["midpoint"] < err["euler"] / 10
    with pytest.raises(ValueError, match="unknown solver"):
        sampler.integrate(v, z1, 2, "rk4")


def test_cfg_scale_one_equals_conditional_branch_and_prepares_once():
    torch.manual_seed(0)
    model = _TextConditionedField()
    text, empty = _text(2, 6), _text(1, 1, seed=1)
    noise = torch.randn(2, 5, 3)
    cond_only = sampler.sample(model, text, noise, uncond_text=None, steps=4)
    assert model.prepare_calls == 2  # one prepare per item (items are sampled one by one), not per step
    guided = sampler.sample(model, text, noise, uncond_text=empty, cfg_scale=1.0, steps=4)
    assert model.prepare_calls == 4
    assert torch.equal(guided, cond_only)  # scale 1 runs the conditional branch alone, bit for bit
    stronger = sampler.sample(model, text, noise, uncond_text=empty, cfg_scale=4.5, steps=4)
    assert not torch.allclose(stronger, cond_only, atol=1e-3)


def test_cfg_matches_formula_with_separate_forwards():
    torch.manual_seed(0)
    model = _TextConditionedField()
    text, empty = _text(1, 3), _text(1, 2, seed=3)
    z = torch.randn(1, 4, 3)
    cond = model.prepare_text(*text)
    unc = model.prepare_text(*empty)
    x = build_input(z, None, 0)
    t = torch.tensor([0.7])
    want = model(x, t, unc) + 3.0 * (model(x, t, cond) - model(x, t, unc))
    got_v = sampler.GuidedVelocity(model, model.prepare_text(*sampler.concat_text(text, empty)), None, 0, 3.0)
    assert torch.allclose(got_v(z, 0.7), want, atol=1e-6)


def _padded_batch(texts, order):
    from unison.flow import pad_text

    S = max(texts[k][0].shape[2] for k in order)
    padded = [pad_text(*texts[k], S) for k in order]
    return torch.cat([p[0] for p in padded]), torch.cat([p[1] for p in padded])


def test_item_output_independent_of_batch_size_and_order():
    torch.manual_seed(0)
    model = _TextConditionedField()
    texts = [_text(1, s, seed=s) for s in (3, 7, 5)]
    seeds = [item_seed("suite", f"id{k}", 0) for k in range(3)]
    empty = _text(1, 1, seed=9)

    def run(order):
        noise = item_noise([seeds[k] for k in order], 6, 3)
        return sampler.sample(model, _padded_batch(texts, order), noise, uncond_text=empty, cfg_scale=2.0, steps=5)

    alone = run([1])[0]
    batched = run([2, 1, 0])[1]
    assert torch.equal(alone, batched)


def test_each_forward_sees_one_item_and_only_its_own_text():
    """Batch invariance by construction: whatever batch the caller assembles, every forward gets one
    item's cond/uncond pair with text no longer than that item's own prompt (or the empty one)."""
    seen = []

    class Recording(_TextConditionedField):
        def prepare_text(self, feats, mask):
            seen.append((feats.shape[0], feats.shape[2]))
            return super().prepare_text(feats, mask)

    texts = [_text(1, s, seed=s) for s in (3, 7, 5)]
    sampler.sample(Recording(), _padded_batch(texts, [0, 1, 2]), torch.randn(3, 4, 3), uncond_text=_text(1, 2, seed=9),
                   cfg_scale=2.0, steps=2)
    assert seen == [(2, 3), (2, 7), (2, 5)]


MACHINE_THREADS = torch.get_num_threads()  # the process default, before any test changes it


def test_real_dit_output_is_bitwise_independent_of_batch_position_text_lengths_and_threads():
    """The tiny DiT in float32 with random weights (zero-init modulations would make v = 0): an item's
    latent has the same bits alone, in a batch of 4 with longer and shorter prompts at any position,
    with the machine's thread count and with one thread (MKL strict mode, unison.core.determinism)."""
    from unison.config import load_config
    from unison.model.dit import build_dit

    cfg = load_config(["profile=tiny", "llm=minilm"])
    torch.manual_seed(0)
    model = build_dit(cfg.model).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    n_layers = len(model.text_layers())
    g = torch.Generator().manual_seed(1)
    texts = [(torch.randn(1, n_layers, S, 384, generator=g), torch.ones(1, S, dtype=torch.bool)) for S in (5, 9, 3, 12)]
    empty = (torch.randn(1, n_layers, 2, 384, generator=g), torch.ones(1, 2, dtype=torch.bool))

    def run(order, threads):
        torch.set_num_threads(threads)
        try:
            noise = item_noise([100 + k for k in order], 48, cfg.model.latent_channels)
            return sampler.sample(model, _padded_batch(texts, order), noise, uncond_text=empty, cfg_scale=4.5, steps=3)
        finally:
            torch.set_num_threads(MACHINE_THREADS)

    alone = run([0], MACHINE_THREADS)[0]
    assert torch.equal(run([1, 2, 0, 3], MACHINE_THREADS)[2], alone)
    assert torch.equal(run([3, 0], MACHINE_THREADS)[1], alone)
    assert torch.equal(run([1, 2, 0, 3], 1)[2], alone)


def test_prefix_frames_held_on_reference():
    model = _TextConditionedField()
    noise = torch.randn(1, 6, 3)
    z_ref = torch.randn(1, 6, 3)
    keep = torch.tensor([[True, True, False, False, False, False]])
    out = sampler.sample(model, _text(1, 2), noise, z_s=z_ref * keep[..., None], m=2, steps=3,
                         uncond_text=_text(1, 1), prefix=(z_ref, keep))
    assert torch.allclose(out[:, :2], z_ref[:, :2])
    assert not torch.allclose(out[:, 2:], z_ref[:, 2:])


def test_non_finite_latent_names_the_step():
    class Exploding(_TextConditionedField):
        def forward(self, x, t, cond):
            v = super().forward(x, t, cond)
            return v * float("nan") if t[0] < 0.7 else v

    with pytest.raises(sampler.NonFiniteLatentError, match=r"step 3/5"):
        sampler.sample(Exploding(), _text(1, 2), torch.randn(1, 4, 3), steps=5)
