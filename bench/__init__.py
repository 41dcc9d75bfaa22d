"""bench: the benchmark harness around UNISON (suites, systems, versioned metrics, tables, reports)."""

__version__ = "0.1.0"
