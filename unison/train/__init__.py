"""Training: flow-matching trainer (DESIGN 2.5), EMA, torchrun/DDP helpers, mel-VAE fitting, benchmark."""
