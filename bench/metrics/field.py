"""Factories of metric variants on the paper-protocol extractors the field reports in 2025-2026
(bench/extractors/msclap_ext.py, ...). Their weights are not on CPU CI machines: the cells show
``unavailable: <reason>`` there."""
from __future__ import annotations

from bench.metrics.similarity import CLAPScore


def clap_msclap() -> CLAPScore:
    return CLAPScore("msclap-2023", "msclap-2023", paper_protocol=True)


def clap_gt_msclap() -> CLAPScore:
    return CLAPScore("msclap-2023", "msclap-2023", role="target", paper_protocol=True)


def _aes(axis: str):
    from bench.metrics.mos import FeatureScore

    return FeatureScore(f"aes-{axis.lower()}", "audiobox-aesthetics", "audiobox-aesthetics", axis, paper_protocol=True,
                        protocol={"model": "audiobox-aesthetics 0.0.4 AesPredictor (checkpoint.pt)",
                                  "axis": axis, "sample_rate": 16000})


def aes_ce():
    return _aes("CE")


def aes_cu():
    return _aes("CU")


def aes_pc():
    return _aes("PC")


def aes_pq():
    return _aes("PQ")
