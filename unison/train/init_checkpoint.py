"""The step-0 baseline of a trained checkpoint: same config, latent statistics and VAE, weights as
`unison train` initialises them (unison.train.run.initial_dit with the recorded train.seed). A
trained model should beat it on every metric; bench runs it like any checkpoint.

    python -m unison.train.init_checkpoint checkpoints/tiny/unison-tiny.safetensors checkpoints/tiny/unison-tiny-init.safetensors
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from unison.core.exit_codes import EXIT_OK

log = logging.getLogger(__name__)


def write_init_checkpoint(reference: str | Path, out: str | Path) -> Path:
    """Write ``out``: ``reference``'s config and latent stats with the step-0 weights of its seed."""
    from unison.audio.latent_stats import LatentStats
    from unison.checkpoint import check_state_dict, load_checkpoint, save_checkpoint
    from unison.core.weights import cached_sha256
    from unison.train.run import initial_dit

    ref = load_checkpoint(reference)
    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG state alone
        model = initial_dit(ref.config)
    check_state_dict(model.state_dict(), ref.state_dict, reference)  # same architecture as the reference
    stats = LatentStats(ref.latent_mean, ref.latent_std) if ref.latent_mean is not None else None
    extra = {"weights": "init", "reference": Path(reference).name, "reference_sha256": cached_sha256(reference),
             "seed": ref.config.train.seed}
    path = save_checkpoint(out, model.state_dict(), ref.config, step=0, latent_stats=stats, extra=extra)
    log.info("wrote the step-0 baseline of %s to %s", reference, path)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m unison.train.init_checkpoint", description=__doc__.split("\n\n")[0])
    p.add_argument("reference", type=Path, help="trained UNISON checkpoint (.safetensors)")
    p.add_argument("out", type=Path, help="where to write the step-0 checkpoint")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(write_init_checkpoint(args.reference, args.out))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
