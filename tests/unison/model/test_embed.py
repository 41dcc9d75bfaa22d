"""Input projection and timestep embedder: the matmul-on-windows convs equal torch's Conv1d."""
import pytest
import torch
import torch.nn.functional as F

from unison.model.embed import ConvSwiGLU, InputProjection, TimestepEmbedder, TokenConv1d, conv1d_tokens


@pytest.mark.parametrize("kernel", [1, 3, 7])
def test_conv1d_tokens_equals_conv1d(kernel):
    torch.manual_seed(0)
    x = torch.randn(2, 13, 5)  # (B, T, Cin)
    w, b = torch.randn(6, 5, kernel), torch.randn(6)
    ref = F.conv1d(x.transpose(1, 2), w, b, padding=kernel // 2).transpose(1, 2)
    torch.testing.assert_close(conv1d_tokens(x, w, b), ref)


def test_token_conv_is_a_conv1d_with_same_parameters():
    conv = TokenConv1d(4, 3, 7)
    assert isinstance(conv, torch.nn.Conv1d) and conv.weight.shape == (3, 4, 7) and conv.bias.shape == (3,)
    x = torch.randn(1, 9, 4)
    torch.testing.assert_close(conv(x), torch.nn.Conv1d.forward(conv, x.transpose(1, 2)).transpose(1, 2))


def test_conv_swiglu_matches_reference_and_has_no_biases():
    torch.manual_seed(0)
    mlp = ConvSwiGLU(8, 22, 7)
    assert all(m.bias is None for m in (mlp.w1, mlp.w2, mlp.w3))
    x = torch.randn(2, 10, 8)
    xt = x.transpose(1, 2)
    conv = lambda m, h: F.conv1d(h, m.weight, None, padding=3)  # noqa: E731
    ref = conv(mlp.w2, F.silu(conv(mlp.w1, xt)) * conv(mlp.w3, xt)).transpose(1, 2)
    torch.testing.assert_close(mlp(x), ref)


def test_input_projection_shapes_and_parameter_count():
    proj = InputProjection(41, 1024, 2816, 7)
    assert proj(torch.randn(1, 5, 41)).shape == (1, 5, 1024)
    expected = (41 * 1024 * 7 + 1024) + 3 * (1024 * 2816 * 7)
    assert sum(p.numel() for p in proj.parameters()) == expected


def test_timestep_embedder_distinguishes_times_and_is_deterministic():
    torch.manual_seed(0)
    emb = TimestepEmbedder(256, 64)
    out = emb(torch.tensor([0.0, 0.001, 0.5, 1.0]))
    assert out.shape == (4, 64)
    assert torch.cdist(out, out).fill_diagonal_(1.0).min() > 0
    torch.testing.assert_close(emb(torch.tensor([0.5])), out[2:3])
    assert sum(p.numel() for p in emb.parameters()) == 256 * 64 + 64 + 64 * 64 + 64
