"""Small test doubles for the trainer: a deterministic text encoder (features hashed from the prompt)
and a batch stream of structured latents, both pure functions of their inputs like the real ones."""
from __future__ import annotations

import zlib
from types import SimpleNamespace

import pytest
import torch

from unison.config import UnisonConfig
from unison.tasks import get_task, task_loss_mask
from unison.text.llm import LLMFeatures

C, T, LLM_LAYERS, LLM_HIDDEN = 4, 12, 4, 16


def tiny_config(**train) -> UnisonConfig:
    cfg = UnisonConfig()
    m = cfg.model
    m.name, m.hidden, m.heads, m.depth, m.latent_channels = "test", 32, 2, 2, C
    m.input_mlp_hidden, m.llm_layers, m.llm_hidden = 64, LLM_LAYERS, LLM_HIDDEN
    cfg.llm.num_layers, cfg.llm.hidden_size = LLM_LAYERS, LLM_HIDDEN
    cfg.audio.vae.latent_channels = C
    t = cfg.train
    t.lr, t.warmup_steps, t.total_steps, t.batch_size = 3e-3, 5, 200, 4
    t.bf16, t.ema_every, t.ckpt_every, t.log_every = False, 2, 1000, 5
    for k, v in train.items():
        setattr(t, k, v)
    return cfg


class HashTextEncoder:
    """encode(prompts, layers) -> LLMFeatures; one token per word, features seeded by (word, layer)."""

    def encode(self, prompts, layers):
        toks = [p.split() for p in prompts]
        S = max([1, *map(len, toks)])
        hidden = torch.zeros(len(prompts), len(layers), S, LLM_HIDDEN)  # (B, n_layers, S, H)
        mask = torch.zeros(len(prompts), S, dtype=torch.bool)  # (B, S)
        for b, words in enumerate(toks):
            for s, w in enumerate(words):
                for j, layer in enumerate(layers):
                    g = torch.Generator().manual_seed(zlib.crc32(f"{w}|{layer}".encode()))
                    hidden[b, j, s] = torch.randn(LLM_HIDDEN, generator=g)
                mask[b, s] = True
        return LLMFeatures(hidden=hidden, mask=mask)


class ToyStream:
    """Task-homogeneous batches of latents z = a sinusoid whose frequency the instruction names,
    plus noise; zs_tts batches carry a 3-frame prefix in z_s and mask it out of the loss."""

    def __init__(self, batch_size: int = 4, nan_at: int | None = None):
        self.batch_size, self.nan_at = batch_size, nan_at

    def batch(self, step: int, rank: int = 0):
        g = torch.Generator().manual_seed(step * 100 + rank)
        task = ("t2a", "zs_tts")[step % 2]
        freqs = torch.randint(1, 4, (self.batch_size,), generator=g)  # (B,)
        frames = torch.arange(T).float()
        z = torch.sin(freqs[:, None, None] * frames[None, :, None] * 0.5 + torch.arange(C)[None, None, :])  # (B, T, C)
        z = z + 0.05 * torch.randn(z.shape, generator=g)
        if self.nan_at is not None and step == self.nan_at:
            z[0, 0, 0] = float("nan")
        spec = get_task(task)
        prefix = torch.full((self.batch_size,), 3) if task == "zs_tts" else None
        z_s = torch.zeros_like(z)
        if prefix is not None:
            z_s[:, :3] = z[:, :3]
        return SimpleNamespace(task=task, m=spec.m, z=z, z_s=z_s,
                               loss_mask=task_loss_mask(spec, self.batch_size, T, prefix),
                               instructions=[f"tone number {int(f)}" for f in freqs],
                               ids=[(f"toy/{step}/{rank}/{i}",) for i in range(self.batch_size)])


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and on a shared 2-core machine threads stall."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def make_trainer(tmp_path):
    from unison.model.dit import build_dit
    from unison.train.trainer import Trainer

    def make(out=None, stream=None, **train):
        cfg = tiny_config(**train)
        torch.manual_seed(0)
        return Trainer(cfg, build_dit(cfg.model), stream or ToyStream(cfg.train.batch_size), HashTextEncoder(),
                       out or tmp_path / "run", progress=False)

    return make
