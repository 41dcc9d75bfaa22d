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


def fd_passt():
    """FD-PaSST (av-benchmark): Fréchet distance of the 768-d PaSST features."""
    from bench.metrics.frechet import FD

    return FD("passt-32k", paper_protocol=True, variant="passt-avbench")


def kl_passt():
    """KL-PaSST (av-benchmark ``compute_kl``, "kl_softmax"): per item
    sum_c p_ref,c (log_softmax(ref)_c - log_softmax(gen)_c), no epsilon (it works in log space:
    ``F.kl_div(log_softmax(gen), log_softmax(ref), reduction="sum", log_target=True) / N``);
    value = mean over the paired items."""
    import numpy as np

    from bench.metrics.base import MetricResult
    from bench.metrics.classifier import KL
    from bench.metrics.common import as_vector, mean_result, role_feats, take

    def log_softmax(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        z = z - z.max()
        return z - np.log(np.exp(z).sum())

    class KLPasst(KL):
        version = "1"

        def score(self, items, feats) -> MetricResult:
            gen = role_feats(feats, "gen", len(items))
            ref = role_feats(feats, "target", len(items))
            per, na = [], []
            for i, item in enumerate(items):
                if item.target is None:
                    na.append(i)
                    per.append(None)
                    continue
                g = take(gen[i], "logits", f"{self.key} gen {item.id}")
                r = take(ref[i], "logits", f"{self.key} target {item.id}")
                if g is None or r is None:
                    per.append(None)
                    continue
                lg, lr = log_softmax(as_vector(g, "gen logits")), log_softmax(as_vector(r, "target logits"))
                per.append(float(np.sum(np.exp(lr) * (lr - lg))))
            return mean_result(per, na, {"formula": "av-benchmark kl_softmax, KL(target || gen), no epsilon"},
                               what=self.key)

    return KLPasst("passt-32k", paper_protocol=True, variant="passt-avbench")


def fd_inf_passt():
    from bench.metrics.fad_inf import FDInf

    return FDInf("passt-32k", paper_protocol=True, variant="passt-avbench")


def utmos_strong():
    """UTMOS22 strong learner MOS (bench/extractors/utmos.py), mean over items."""
    from bench.metrics.mos import FeatureScore

    return FeatureScore("utmos", "utmos22-strong", "utmos22-strong", "mos", paper_protocol=True,
                        protocol={"model": "UTMOS22 strong (utmos22_strong_step7459_v1.pt)", "sample_rate": 16000})


def _fd_openl3(content_type: str, inf: bool = False):
    """FD_openl3 (stable-audio-metrics ``openl3_fd``): the Fréchet distance of the 512-d OpenL3
    window embeddings (1 s windows, 0.5 s hop) of all clips pooled per side, i.e. the FAD recipe
    under the name its papers give it; ``inf``: fadtk's FD-inf over the same rows."""
    from bench.metrics.fad_inf import FADInf
    from bench.metrics.frechet import FAD

    class FDOpenL3(FADInf if inf else FAD):
        name = "fd-inf" if inf else "fd"
        version = "1"

    return FDOpenL3(f"openl3-mel256-{content_type}-512-48k-mono", paper_protocol=True)


def fd_openl3_music():
    return _fd_openl3("music")


def fd_openl3_env():
    return _fd_openl3("env")


def fd_inf_openl3_music():
    return _fd_openl3("music", inf=True)


def fd_inf_openl3_env():
    return _fd_openl3("env", inf=True)
