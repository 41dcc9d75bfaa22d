"""Training: flow-matching trainer (docs/design.md §6), EMA, torchrun/DDP helpers, mel-VAE fitting, throughput."""
