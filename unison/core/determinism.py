"""Same input, same bits: the CPU settings that make generated audio independent of thread count.

Intel MKL splits the inner (reduction) dimension of a float32 matrix product across threads when
the output is small, so 1 and 2 threads sum in different orders (measured: up to 1e-4 on a
(80 x 2464) @ (2464 x 128) product of unit-variance values). Its conditional numerical
reproducibility mode ``MKL_CBWR=AUTO,STRICT`` fixes the order for any thread count. MKL reads the
variable at its first call, so it is set when ``unison`` is imported; a value the user already set
is kept and recorded (``settings``). Batch-size independence is the sampler's job (one item per
forward, unison.sampler).
"""
from __future__ import annotations

import os

MKL_CBWR = "AUTO,STRICT"


def enable() -> None:
    """Ask MKL for thread-count-independent results unless the user chose a mode."""
    os.environ.setdefault("MKL_CBWR", MKL_CBWR)


def settings() -> dict[str, str | int | None]:
    """What moves low bits of a CPU run, for results and checkpoints."""
    import torch

    return {"MKL_CBWR": os.environ.get("MKL_CBWR"), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__}
