"""The spectral-gating baseline on the speech-enhancement mini set, between the identity floor and
the oracle ceiling where it is, and honest about where it is not (README, speech_enhancement)."""
import numpy as np
import pytest

from bench.metrics.signal import SI_SDR_CAP_DB, pesq_score, si_sdr
from bench.registry import load_suite
from bench.systems.identity import IdentitySystem
from bench.systems.noisereduce_se import NoiseReduceSystem
from bench.systems.oracle import OracleSystem
from bench.testset import build_testset
from unison.core.audio import read_mono

pytest.importorskip("noisereduce")
PESQ_TOLERANCE = 0.15  # MOS-LQO: how far below the identity floor the gate's mean PESQ may fall


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    ts = build_testset(load_suite("speech_enhancement"), "mini", tmp_path_factory.mktemp("se"))
    out = {}
    for name, system in (("oracle", OracleSystem()), ("identity", IdentitySystem()), ("nr", NoiseReduceSystem())):
        rows = []
        for it, g in zip(ts.items, system.generate(ts.items, ts.root)):
            clean, _ = read_mono(ts.path(it.target), 16000)
            est = np.asarray(g.wave, np.float64)
            head = int(0.2 * 16000)  # speech starts 0.25 s in: the first 0.2 s is noise only
            rows.append((pesq_score(est, clean, 16000, "wb"), si_sdr(est, clean)[0], float(np.mean(est[:head] ** 2))))
        out[name] = np.array(rows)
    return out


def test_oracle_is_the_ceiling(scored):
    assert np.all(scored["oracle"][:, 0] > 4.6)  # pesq 0.0.4's wide-band maximum is 4.644
    assert np.all(scored["oracle"][:, 1] == SI_SDR_CAP_DB)


def test_noisereduce_removes_noise_and_stays_between_floor_and_ceiling_on_pesq(scored):
    ident, nr, oracle = scored["identity"], scored["nr"], scored["oracle"]
    assert np.mean(nr[:, 2]) < 0.5 * np.mean(ident[:, 2])  # the noise-only lead-in loses over half its energy
    assert np.mean(ident[:, 0]) - PESQ_TOLERANCE <= np.mean(nr[:, 0]) < np.mean(oracle[:, 0])
    assert np.mean(nr[:, 1]) < np.mean(oracle[:, 1])
