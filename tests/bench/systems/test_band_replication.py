"""spectral-replication on the super-resolution mini set: between the identity floor and the oracle
ceiling on LSD (the suite's main metric), paying for it in SI-SDR; the cut-off comes from the
instruction."""
import numpy as np
import pytest

from bench.item import Item
from bench.metrics.lsd import lsd
from bench.metrics.signal import si_sdr
from bench.registry import load_suite
from bench.systems.band_replication import BandReplicationSystem, replicate
from bench.systems.base import ItemError
from bench.systems.identity import IdentitySystem
from bench.testset import build_testset
from suites._bandlimit import energy_above_db
from unison.core.audio import read_mono


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    ts = build_testset(load_suite("super_resolution"), "mini", tmp_path_factory.mktemp("sr"))
    out = {}
    for name, system in (("identity", IdentitySystem()), ("rep", BandReplicationSystem())):
        rows = []
        for it, g in zip(ts.items, system.generate(ts.items, ts.root)):
            tgt, _ = read_mono(ts.path(it.target))
            rows.append((lsd(g.wave, tgt, 16000), si_sdr(g.wave, tgt)[0]))
        out[name] = np.array(rows)
    return ts, out


def test_replication_lands_between_floor_and_ceiling_on_lsd(scored):
    _, s = scored
    assert np.all(s["rep"][:, 0] < s["identity"][:, 0])  # every item: less spectral distance than the input
    assert np.all(s["rep"][:, 0] > 0.1)  # and far from the oracle's 0
    assert np.mean(s["rep"][:, 1]) < np.mean(s["identity"][:, 1])  # the guess costs waveform fidelity


def test_it_fills_the_band_above_the_stated_cutoff(scored):
    ts, _ = scored
    it = ts.items[0]
    x, sr = read_mono(ts.path(it.source))
    y = replicate(np.asarray(x, np.float64), sr, it.meta["cutoff_hz"])
    assert energy_above_db(y, it.meta["cutoff_hz"], sr) > energy_above_db(x, it.meta["cutoff_hz"], sr) + 30
    with pytest.raises(ItemError, match="cut-off"):
        next(iter(BandReplicationSystem().generate(
            [Item(id="x", task="super_resolution", instruction="Make it better.", seconds=1.0, seed=0,
                  source=it.source)], ts.root)))
