"""The floor under both the model (unison) and the harness (bench, suites): file writes and hashing,
audio I/O, signal helpers, weights resolution, per-item seeds, determinism settings, exit codes and
the offline sources. It imports no other project module (docs/architecture.md)."""
