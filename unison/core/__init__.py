"""The floor under both the model (unison) and the harness (bench): file writes, audio I/O, signal
helpers, weights resolution, item seeds and offline sources. It imports neither side."""
