"""Block parts: RMSNorm, RoPE, the CPU attention path, and the streams' parameter layout."""
import pytest
import torch
import torch.nn.functional as F

from unison.model.blocks import (DoubleStreamBlock, PreOnlyTextStream, QKNorm, RotaryEmbedding, SingleStreamBlock,
                                 apply_rope, joint_attention, qkv_heads, rms_norm)


def test_rms_norm_matches_torch():
    x, w = torch.randn(2, 3, 7, 16), torch.randn(16)
    torch.testing.assert_close(rms_norm(x, w), F.rms_norm(x, (16,), w, eps=1e-6))


def reference_rope(x, theta=10000.0):
    """Textbook rotate-half RoPE on x (B, H, T, hd), written independently of the module."""
    hd, T = x.shape[-1], x.shape[-2]
    inv = theta ** (-torch.arange(hd // 2, dtype=torch.float64) / (hd // 2))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
    cos, sin = torch.cat([ang.cos()] * 2, -1).to(x.dtype), torch.cat([ang.sin()] * 2, -1).to(x.dtype)
    x1, x2 = x.chunk(2, -1)
    return x * cos + torch.cat([-x2, x1], -1) * sin


def test_qkv_heads_equals_per_head_norm_then_rope():
    torch.manual_seed(0)
    B, N, H, hd = 2, 7, 4, 16
    norm = QKNorm(hd)
    with torch.no_grad():
        norm.query_norm.scale.normal_()
        norm.key_norm.scale.normal_()
    qkv = torch.randn(B, N, 3 * H * hd)
    rope = RotaryEmbedding(hd, 10000.0)(N, torch.device("cpu"), torch.float32)
    q, k, v = qkv_heads(qkv, H, norm, rope)
    q0, k0, v0 = qkv.view(B, N, 3, H, hd).permute(2, 0, 3, 1, 4)
    q_ref = reference_rope(F.rms_norm(q0, (hd,), norm.query_norm.scale, eps=1e-6)) * hd ** -0.5
    k_ref = reference_rope(F.rms_norm(k0, (hd,), norm.key_norm.scale, eps=1e-6))
    torch.testing.assert_close(q, q_ref)
    torch.testing.assert_close(k, k_ref)
    torch.testing.assert_close(v, v0)
    q_plain, _, _ = qkv_heads(qkv, H, norm, None)  # no rope (text streams)
    torch.testing.assert_close(q_plain, F.rms_norm(q0, (hd,), norm.query_norm.scale, eps=1e-6) * hd ** -0.5)


def test_rope_scores_depend_only_on_relative_position():
    rope = RotaryEmbedding(16, 10000.0)(12, torch.device("cpu"), torch.float64)
    q, k = torch.randn(16, dtype=torch.float64), torch.randn(16, dtype=torch.float64)
    qs = apply_rope(q.expand(1, 1, 12, 16), rope)[0, 0]  # same vector at every position
    ks = apply_rope(k.expand(1, 1, 12, 16), rope)[0, 0]
    s = qs @ ks.T  # (12, 12) scores
    torch.testing.assert_close(s[3, 1], s[9, 7])
    torch.testing.assert_close(s[0, 5], s[6, 11])
    assert not torch.isclose(s[3, 1], s[3, 2])
    torch.testing.assert_close(qs.norm(dim=-1), q.norm().expand(12))  # rotations keep norms


@pytest.mark.parametrize("masked", [False, True])
def test_cpu_attention_equals_sdpa(masked):
    torch.manual_seed(0)
    q = torch.randn(2, 4, 9, 8)
    ka, va, kt, vt = torch.randn(2, 4, 9, 8), torch.randn(2, 4, 9, 8), torch.randn(2, 4, 5, 8), torch.randn(2, 4, 5, 8)
    mask = None
    if masked:
        mask = torch.ones(2, 1, 1, 14, dtype=torch.bool)
        mask[1, ..., 11:] = False
    out = joint_attention(q, [ka, kt], [va, vt], mask)  # queries already carry the softmax scale
    ref = F.scaled_dot_product_attention(q, torch.cat([ka, kt], 2), torch.cat([va, vt], 2), attn_mask=mask, scale=1.0)
    torch.testing.assert_close(out, ref.transpose(1, 2).reshape(2, 9, 32))


def count(m):
    return sum(p.numel() for p in m.parameters())


def test_pre_only_double_block_layout_is_the_published_one():
    d = 1024
    with torch.device("meta"):
        block = DoubleStreamBlock(d, 8, 4.0, persistent_text=False)
    assert isinstance(block.text, PreOnlyTextStream)
    assert not hasattr(block.text, "mlp") and not hasattr(block.text, "proj")
    assert block.audio.mod.lin.out_features == 6 * d and block.text.mod.lin.out_features == 2 * d
    audio = (d * 6 * d + 6 * d) + (d * 3 * d + 3 * d) + 2 * 128 + (d * d + d) + (d * 4 * d + 4 * d + 4 * d * d + d)
    text = (d * 2 * d + 2 * d) + (d * 3 * d + 3 * d) + 128  # key norm only
    assert count(block.audio) == audio and count(block.text) == text


def test_persistent_text_block_has_full_text_stream():
    with torch.device("meta"):
        block = DoubleStreamBlock(1024, 8, 4.0, persistent_text=True)
    assert count(block.text) == count(block.audio)  # 6d adaLN, qkv, out proj, MLP on both streams


def test_single_stream_block_layout():
    d = 1024
    with torch.device("meta"):
        block = SingleStreamBlock(d, 8, 4.0)
    assert block.linear1.out_features == 3 * d + 4 * d and block.linear2.in_features == 5 * d
    assert block.mod.lin.out_features == 3 * d
