"""Suites: one YAML per suite plus the builder that makes its fixed-seed test set."""
