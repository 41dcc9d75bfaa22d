"""Committed regression baselines (see README.md here)."""
