"""Run by torchrun from test_distributed.py (not collected by pytest): a few DDP / FSDP steps of the
tiny trainer on the toy stream (resuming from ``out/run`` when it holds a checkpoint); each rank
(FSDP: rank 0, which holds the full state) saves its final parameters for the test to compare.

    worker.py OUT PARALLEL [FUSION [STEPS]]     (STEPS: run only that many of the 4 steps now)"""
import sys
from pathlib import Path

import torch

from conftest import HashTextEncoder, ToyStream, tiny_config  # the script's folder is on sys.path
from unison.model.dit import build_dit
from unison.train import distributed as D
from unison.train.trainer import Trainer


def main(out: Path, parallel: str, fusion: str = "deep", steps: str = "4") -> None:
    torch.set_num_threads(1)
    env = D.init_distributed("gloo")
    cfg = tiny_config(total_steps=4, warmup_steps=2, ckpt_every=2, parallel=parallel)
    cfg.model.fusion = fusion
    torch.manual_seed(0)
    model = build_dit(cfg.model)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = Trainer(cfg, model, ToyStream(cfg.train.batch_size), HashTextEncoder(), out / "run", env=env,
                      progress=False)
    result = trainer.train(steps=int(steps))
    state = trainer._model_state()
    if env.is_main or parallel == "ddp":
        torch.save({"params": state, "initial": initial, "losses": result.losses, "world": env.world_size},
                   out / f"rank{env.rank}.pt")
    D.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:5])
