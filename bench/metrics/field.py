"""Factories of metric variants on the paper-protocol extractors the field reports in 2025-2026
(bench/extractors/msclap_ext.py, ...). Their weights are not on CPU CI machines: the cells show
``unavailable: <reason>`` there."""
from __future__ import annotations

from bench.metrics.similarity import CLAPScore


def clap_msclap() -> CLAPScore:
    return CLAPScore("msclap-2023", "msclap-2023")


def clap_gt_msclap() -> CLAPScore:
    return CLAPScore("msclap-2023", "msclap-2023", role="target")
