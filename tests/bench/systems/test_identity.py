"""identity returns the input (the floor); on super-resolution it sits between that floor and the oracle's
ceiling (LSD 0 up to the 1e-12 guard, SI-SDR at the 100 dB cap) exactly where the band-limited input is."""
import numpy as np
import pytest

from bench.item import Item
from bench.metrics.lsd import lsd
from bench.metrics.signal import SI_SDR_CAP_DB, si_sdr
from bench.registry import load_suite
from bench.systems.base import ItemError
from bench.systems.identity import IdentitySystem
from bench.systems.oracle import OracleSystem
from bench.testset import build_testset
from unison.core.audio import read_mono


@pytest.fixture(scope="module")
def sr_set(tmp_path_factory):
    return build_testset(load_suite("super_resolution"), "mini", tmp_path_factory.mktemp("sr"))


def test_identity_returns_the_input_and_refuses_items_without_one(sr_set, tmp_path):
    items = sr_set.items[:3]
    for it, g in zip(items, IdentitySystem().generate(items, sr_set.root)):
        src, sr = read_mono(sr_set.path(it.source))
        assert g.sample_rate == sr and np.array_equal(g.wave, src)
    assert not IdentitySystem().supports("tts") and IdentitySystem().supports("voice_conversion")
    with pytest.raises(ItemError, match="no input audio"):
        list(IdentitySystem().generate([Item(id="x", task="denoise", instruction="", seconds=1.0, seed=0)], tmp_path))


def test_super_resolution_floor_and_ceiling(sr_set):
    items = sr_set.items
    ident = list(IdentitySystem().generate(items, sr_set.root))
    oracle = OracleSystem().generate(items, sr_set.root)
    for it, a, o in zip(items, ident, oracle):
        tgt, _ = read_mono(sr_set.path(it.target))
        assert lsd(o.wave, tgt, 16000) < 1e-6  # 0 up to the recipe's 1e-12 guard
        assert si_sdr(o.wave, tgt)[0] == SI_SDR_CAP_DB
        assert lsd(a.wave, tgt, 16000) > 0.5, it.id  # the missing band costs the pass-through
