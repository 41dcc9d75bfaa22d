"""Metrics: one file per family. Each metric is a named variant ``name@variant`` with a version."""
