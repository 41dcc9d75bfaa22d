"""Feature extractors: one file per model. Outputs are cached by (audio hash, signature)."""
