"""DeepFusion MM-DiT: published parameter counts (meta device), shapes, zero-init, masking, RoPE scope."""
import copy
import functools

import pytest
import torch

from unison.config import ModelConfig, load_config
from unison.model import TextCond, build_dit, count_parameters

PAPER_PARAMS = {"d24": 732e6, "d20": 621e6, "d24_3b": 694e6, "d24_l": 975e6, "d24_ol": 1063e6, "s32": 685e6}
VARIANTS = [("deep", "double"), ("penultimate", "double"), ("deep+penultimate", "double"), ("deep", "single")]


@functools.lru_cache(maxsize=None)
def _preset(name: str) -> ModelConfig:
    return load_config([f"model={name}"], cross_checks=False).model


def preset(name: str) -> ModelConfig:
    return copy.deepcopy(_preset(name))


def meta_model(name: str):
    with torch.device("meta"):
        return build_dit(preset(name))


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_trainable_parameters_match_paper(name):
    n = count_parameters(meta_model(name))
    assert abs(n - PAPER_PARAMS[name]) / PAPER_PARAMS[name] < 0.005, f"{name}: {n:,} vs {PAPER_PARAMS[name]:,.0f}"


def test_per_block_parameters_with_projector_are_27_81m():
    model = meta_model("d24")
    per_block = count_parameters(model.blocks[0]) + count_parameters(model.fusion.projectors[0])
    assert round(per_block / 1e6, 2) == 27.81


@pytest.mark.parametrize("name, channels", [("d24", 41), ("d20", 81)])
def test_input_channels(name, channels):
    model = meta_model(name)
    assert model.input_proj.conv.in_channels == channels == model.cfg.in_channels


def tiny_cfg(fusion="deep", arch="double") -> ModelConfig:
    cfg = preset("tiny")
    cfg.fusion, cfg.arch = fusion, arch
    return cfg


def random_model(cfg: ModelConfig, seed: int = 0):
    """Randomise every parameter (the zero-init would make all outputs zero and the tests vacuous)."""
    torch.manual_seed(seed)
    model = build_dit(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.05)
    return model


def text_inputs(model, batch: int, n_text: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(batch, len(model.text_layers()), n_text, model.cfg.llm_hidden, generator=g)
    return feats, torch.ones(batch, n_text, dtype=torch.bool)


@pytest.mark.parametrize("fusion, arch", VARIANTS)
def test_tiny_shapes(fusion, arch):
    cfg = tiny_cfg(fusion, arch)
    model = random_model(cfg)
    feats, mask = text_inputs(model, batch=3, n_text=7)
    cond = model.prepare_text(feats, mask)
    if "deep" in fusion:
        assert cond.blocks.shape == (cfg.depth, 3, 7, cfg.hidden)
    if "penultimate" in fusion:
        assert cond.stream.shape == (3, 7, cfg.hidden)
    x = torch.randn(3, 11, 2 * cfg.latent_channels + 1)
    v = model(x, torch.rand(3), cond)
    assert v.shape == (3, 11, cfg.latent_channels) and v.dtype == torch.float32
    assert torch.isfinite(v).all() and v.abs().sum() > 0


@pytest.mark.parametrize("fusion, arch", VARIANTS)
def test_zero_init_output_is_exactly_zero(fusion, arch):
    torch.manual_seed(0)
    model = build_dit(tiny_cfg(fusion, arch)).eval()
    feats, mask = text_inputs(model, 2, 5)
    v = model(torch.randn(2, 9, model.cfg.in_channels), torch.rand(2), model.prepare_text(feats, mask))
    assert torch.equal(v, torch.zeros_like(v))


@pytest.mark.parametrize("fusion, arch", VARIANTS)
def test_padded_text_equals_unpadded(fusion, arch):
    model = random_model(tiny_cfg(fusion, arch))
    feats, mask = text_inputs(model, 1, 5)
    x, t = torch.randn(1, 10, model.cfg.in_channels), torch.tensor([0.3])
    with torch.no_grad():
        alone = model(x, t, model.prepare_text(feats, mask))
        # pad to 9 tokens with large garbage features that the mask must hide
        garbage = 100 * torch.randn(1, feats.shape[1], 4, feats.shape[3])
        padded_feats = torch.cat([feats, garbage], dim=2)
        padded_mask = torch.cat([mask, torch.zeros(1, 4, dtype=torch.bool)], dim=1)
        padded = model(x, t, model.prepare_text(padded_feats, padded_mask))
    torch.testing.assert_close(padded, alone, atol=1e-5, rtol=1e-5)
    assert alone.abs().mean() > 1e-2  # the comparison is not between two near-zero tensors


@pytest.mark.parametrize("fusion, arch", VARIANTS)
def test_text_positions_do_not_matter_but_audio_positions_do(fusion, arch):
    """RoPE is on audio only: permuting text tokens leaves the output unchanged."""
    model = random_model(tiny_cfg(fusion, arch))
    feats, mask = text_inputs(model, 2, 6)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    x, t = torch.randn(2, 8, model.cfg.in_channels), torch.tensor([0.2, 0.9])
    with torch.no_grad():
        ref = model(x, t, model.prepare_text(feats, mask))
        permuted = model(x, t, model.prepare_text(feats[:, :, perm], mask[:, perm]))
        # the audio stream, by contrast, is position-aware (RoPE + convs): reversing frames changes outputs
        reversed_audio = model(x.flip(1), t, model.prepare_text(feats, mask)).flip(1)
    torch.testing.assert_close(permuted, ref, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(reversed_audio, ref, atol=1e-3)


def test_rope_is_what_makes_attention_position_aware():
    """With RoPE disabled (theta -> tables of cos=1, sin=0) the audio attention would be order-blind;
    check the tables are real rotations and that they change the output."""
    model = random_model(tiny_cfg())
    cos, sin = model.rope(8, torch.device("cpu"), torch.float32)
    assert cos.shape == sin.shape == (8, model.cfg.hidden // model.cfg.heads)
    torch.testing.assert_close(cos ** 2 + sin ** 2, torch.ones_like(cos))
    assert torch.equal(cos[0], torch.ones_like(cos[0])) and not torch.allclose(cos[1], cos[0])
    assert model.rope(8, torch.device("cpu"), torch.float32)[0] is cos  # cached per sequence length


def test_text_cond_cat_equals_separate_forwards():
    """CFG batching: cond (7 tokens) and uncond (2 tokens) concatenated == two separate calls."""
    model = random_model(tiny_cfg())
    f1, m1 = text_inputs(model, 1, 7, seed=2)
    f2, m2 = text_inputs(model, 1, 2, seed=3)
    x, t = torch.randn(2, 6, model.cfg.in_channels), torch.tensor([0.4, 0.4])
    with torch.no_grad():
        c1, c2 = model.prepare_text(f1, m1), model.prepare_text(f2, m2)
        both = model(x, t, TextCond.cat([c1, c2]))
        torch.testing.assert_close(both[:1], model(x[:1], t[:1], c1), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(both[1:], model(x[1:], t[1:], c2), atol=1e-5, rtol=1e-5)


def test_timestep_changes_output():
    model = random_model(tiny_cfg())
    feats, mask = text_inputs(model, 1, 4)
    cond, x = model.prepare_text(feats, mask), torch.randn(1, 6, model.cfg.in_channels)
    with torch.no_grad():
        assert not torch.allclose(model(x, torch.tensor([0.1]), cond), model(x, torch.tensor([0.9]), cond))


def test_bf16_model_matches_fp32():
    model = random_model(tiny_cfg())
    feats, mask = text_inputs(model, 2, 5)
    x, t = torch.randn(2, 12, model.cfg.in_channels), torch.rand(2)
    with torch.no_grad():
        ref = model(x, t, model.prepare_text(feats, mask))
        model = model.to(torch.bfloat16)
        out = model(x.bfloat16(), t.bfloat16(), model.prepare_text(feats.bfloat16(), mask))
    assert out.dtype == torch.float32
    assert (out - ref).norm() / ref.norm() < 0.05


def test_bad_inputs_are_clear_errors():
    model = random_model(tiny_cfg())
    feats, mask = text_inputs(model, 2, 5)
    with pytest.raises(ValueError, match="feats must be"):
        model.prepare_text(feats[:, :2], mask)
    with pytest.raises(ValueError, match="mask must be"):
        model.prepare_text(feats, mask.long())
    cond = model.prepare_text(feats, mask)
    c = model.cfg.in_channels
    with pytest.raises(ValueError, match=rf"x \(B, T, {c}\)"):
        model(torch.randn(2, 6, c - 1), torch.rand(2), cond)


@pytest.mark.parametrize("fusion, arch", VARIANTS)
def test_gradients_reach_every_parameter_except_documented_ones(fusion, arch):
    """DDP contract: deep variants use every parameter; persistent-text variants (L, OL) leave exactly
    the last block's text output projection and MLP unused, and say so."""
    model = random_model(tiny_cfg(fusion, arch)).train()
    feats, mask = text_inputs(model, 2, 5)
    v = model(torch.randn(2, 6, model.cfg.in_channels), torch.rand(2), model.prepare_text(feats, mask))
    v.square().mean().backward()
    unused = {n for n, p in model.named_parameters() if p.grad is None}
    last = len(model.blocks) - 1
    expected = {f"blocks.{last}.text.{part}" for part in ("proj.weight", "proj.bias", "mlp.0.weight", "mlp.0.bias",
                                                          "mlp.2.weight", "mlp.2.bias")}
    assert unused == (expected if model.has_unused_parameters else set())
    if fusion == "deep" and arch == "double":  # query rows of the pre-only text qkv get zero gradient
        d = model.cfg.hidden
        for block in model.blocks:
            g = block.text.qkv.weight.grad
            assert g[:d].abs().sum() == 0 and g[d:].abs().sum() > 0
