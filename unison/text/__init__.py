"""Frozen text LLM encoders and their on-disk hidden-state cache."""
