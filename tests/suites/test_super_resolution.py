
import numpy as np
import pytest
import yaml

from bench.cli import main as bench_main
from bench.registry import load_suite
from bench.spec import SpecError
from bench.testset import build_testset
from suite_helpers import assert_deterministic, wave
from suites._bandlimit import energy_above_db, lowpass
from suites._mix import on_pcm16_grid

SUITE = "super_resolution"


def test_mini_input_has_no_energy_above_its_cutoff(built):
    assert_deterministic(built)
    ts = built[0]
    assert len(ts.items) == 18
    assert {it.meta["kind"] for it in ts.items} == {"speech", "sound", "music"}
    assert {it.subset for it in ts.items} == {"cut2k", "cut4k", "cut6k"}
    for it in ts.items:
        low, sr = wave(ts, it.source)
        tgt, sr2 = wave(ts, it.target)
        assert sr == sr2 == 16000 and low.size == tgt.size
        cutoff = it.meta["cutoff_hz"]
        assert it.subset == f"cut{cutoff / 1000:g}k"
        assert energy_above_db(low, cutoff, sr) < -60.0, it.id
        assert energy_above_db(tgt, cutoff, sr) > energy_above_db(low, cutoff, sr) + 10, it.id  # target has a high band
        # the input is the stored target low-passed (same filter), to one PCM_16 step
        assert np.max(np.abs(on_pcm16_grid(lowpass(tgt, cutoff, sr)) - low)) <= 1.5 / 32767


@pytest.mark.bad_input
def test_cutoff_above_nyquist_is_a_config_error_exit_2(tmp_path, capsys):
    spec = yaml.safe_load(open(load_suite(SUITE).path))
    spec["scales"]["mini"]["cutoffs_hz"] = [2000, 9000]
    d = tmp_path / "suites"
    d.mkdir()
    (d / f"{SUITE}.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match="9000 Hz must be .* below the Nyquist frequency 8000"):
        build_testset(load_suite(str(d / f"{SUITE}.yaml")), "mini", tmp_path / "ts")
    code = bench_main(["build", str(d / f"{SUITE}.yaml"), "--testsets", str(tmp_path / "ts2")])
    assert code == 2
    assert "Nyquist" in capsys.readouterr().err
