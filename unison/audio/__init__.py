"""Audio front end and codec: mel spectrograms, the MMAudio VAE, vocoders, latent bookkeeping."""
