"""Process-group plumbing for `torchrun` (DDP, or FSDP as an option). No launcher of our own:
`torchrun --nproc-per-node N -m unison.cli train ...` sets RANK / WORLD_SIZE / LOCAL_RANK /
MASTER_ADDR / MASTER_PORT and this module reads them. A plain `python` run is world size 1."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

log = logging.getLogger(__name__)

PARALLEL_MODES = ("ddp", "fsdp")


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def env_from_torchrun() -> DistEnv:
    """The torchrun environment (world size 1 when not launched by torchrun)."""
    return DistEnv(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                   int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(backend: str | None = None) -> DistEnv:
    """Join the process group torchrun prepared (gloo on CPU, nccl on GPU by default)."""
    env = env_from_torchrun()
    if env.enabled and not dist.is_initialized():
        backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
        if backend == "nccl":
            torch.cuda.set_device(env.local_rank)
        dist.init_process_group(backend=backend)
        log.info("process group: rank %d / %d (%s)", env.rank, env.world_size, backend)
    return env


def default_device(env: DistEnv) -> torch.device:
    return torch.device(f"cuda:{env.local_rank}") if torch.cuda.is_available() else torch.device("cpu")


def wrap_model(model: nn.Module, mode: str, env: DistEnv) -> nn.Module:
    """DDP (default) or FSDP2 (``fully_shard``) around ``model``; unchanged when world size is 1."""
    if mode not in PARALLEL_MODES:
        raise ValueError(f"train parallel mode must be one of {PARALLEL_MODES}, got {mode!r}")
    if not env.enabled:
        return model
    if mode == "ddp":
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [env.local_rank] if torch.cuda.is_available() else None
        # L / OL DiTs hold parameters that feed nothing (the last block's text-stream output); DDP
        # must then look for unused parameters each step, or it waits forever for their gradients.
        unused = bool(getattr(getattr(model, "dit", model), "has_unused_parameters", False))
        return DDP(model, device_ids=ids, find_unused_parameters=unused)
    from torch.distributed.fsdp import fully_shard

    inner = getattr(model, "dit", model)
    for block in getattr(inner, "blocks", []):  # shard per block, then the rest
        fully_shard(block)
    return fully_shard(model)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean over ranks (identity on one process)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        value = value.detach().clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        value /= dist.get_world_size()
    return value


def any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is True on at least one (so all ranks stop together)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        t = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)
    return flag


def barrier() -> None:
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def broadcast_object(obj):
    if dist.is_initialized() and dist.get_world_size() > 1:
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]
    return obj


def gather_objects(obj) -> list:
    """Every rank's ``obj`` (list indexed by rank)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        out = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


def shutdown() -> None:
    if dist.is_initialized():
        dist.barrier()  # no rank tears gloo down while another still has collectives in flight
        dist.destroy_process_group()
