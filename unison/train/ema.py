"""Exponential moving average of the trainable weights (docs/design.md §6: decay 0.999, updated every 10 steps).

The shadow copy is kept in float32 whatever the training dtype, so small updates are not lost.
An update at optimizer step ``s`` happens when ``s % every == 0``; each update is
``shadow = decay * shadow + (1 - decay) * param``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


class EMA:
    def __init__(self, model: nn.Module, decay: float = 0.999, every: int = 10):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"train.ema_decay must be in [0, 1), got {decay}")
        if every < 1:
            raise ValueError(f"train.ema_every must be >= 1, got {every}")
        self.decay, self.every = float(decay), int(every)
        self.num_updates = 0
        self.shadow: dict[str, Tensor] = {n: p.detach().float().clone()
                                          for n, p in model.named_parameters() if p.requires_grad}

    def due(self, step: int) -> bool:
        """Whether the optimizer step numbered ``step`` (1-based) updates the average."""
        return step % self.every == 0

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> bool:
        """Call after optimizer step ``step`` (1-based); returns True when an update happened."""
        if not self.due(step):
            return False
        for name, p in model.named_parameters():
            if name in self.shadow:
                self.shadow[name].lerp_(p.detach().float(), 1.0 - self.decay)
        self.num_updates += 1
        return True

    def weights(self, model: nn.Module) -> dict[str, Tensor]:
        """A full state dict of ``model`` with the averaged values in place of its trainable
        parameters (buffers and frozen parameters as they are), in the model's dtypes."""
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        for name, value in self.shadow.items():
            state[name] = value.to(state[name].dtype) if name in state else value
        return state

    def state_dict(self) -> dict:
        return {"decay": self.decay, "every": self.every, "num_updates": self.num_updates,
                "shadow": {k: v.clone() for k, v in self.shadow.items()}}

    def load_state_dict(self, state: dict) -> None:
        missing = sorted(set(self.shadow) - set(state["shadow"]))
        extra = sorted(set(state["shadow"]) - set(self.shadow))
        if missing or extra:
            raise ValueError(f"EMA state does not match the model: missing {missing[:5]}, unexpected {extra[:5]}")
        for k, v in state["shadow"].items():
            if v.shape != self.shadow[k].shape:
                raise ValueError(f"EMA state {k}: shape {tuple(v.shape)} != model {tuple(self.shadow[k].shape)}")
            self.shadow[k].copy_(v)
        self.decay, self.every, self.num_updates = float(state["decay"]), int(state["every"]), int(state["num_updates"])
