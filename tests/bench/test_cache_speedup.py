"""`unison-bench perf`: a cold and a warm run of the same suite (the warm one reuses every cache)."""
from pathlib import Path

import pytest

from bench.cli import main
import bench_toys

SOURCES = (Path("/usr/share/tuxpaint/stamps"), Path("/usr/share/asterisk/sounds/en"))


@pytest.mark.skipif(not all(p.is_dir() for p in SOURCES), reason="Debian tuxpaint-stamps-default / asterisk sounds missing")
def test_perf_warm_run_reuses_everything(monkeypatch, tmp_path, capsys):
    bench_toys.register(monkeypatch.setitem)
    # toy_rms keeps this test fast; `unison-bench perf` alone probes the real catalog extractors
    code = main(["perf", "--n", "4", "--extractors", "toy_rms,toy_noweights", "--workdir", str(tmp_path),
                 "--min-speedup", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "suite perf_clips (4 items), system oracle" in out
    assert "skipped extractor toy_noweights: weights 'toy-model' not found" in out
    assert "extractor toy_rms                     8 clips" in out  # 4 generated + 4 targets
    assert "speed-up:" in out and "recomputed" not in out
    import bench.metrics.catalog as mc

    assert not [k for k in mc.METRICS if k.startswith("perf-probe@")]  # probes are removed again
