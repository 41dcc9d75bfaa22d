"""The embedded default end to end (`unison-bench default --limit 2` in a fresh folder): results for
every suite, finite oracle numbers, leaderboards, the HTML report and summary.md."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

SUITES = ("audiocaps_t2a", "seedtts", "gender_tts", "t2as", "editing", "speech_in_scene", "timed_clap", "ablations",
          "speech_enhancement", "super_resolution", "target_speaker_extraction", "voice_conversion",
          "text_to_music")


@pytest.mark.e2e
def test_default_limit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("UNISON_BENCH_TESTSETS", "UNISON_CHECKPOINT")}
    proc = subprocess.run([sys.executable, "-m", "bench.cli", "default", "--limit", "2"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1800)
    log = proc.stdout + proc.stderr
    runs = tmp_path / "runs" / "default"
    report = runs / "report"  # the default's report lives beside its runs, never in reports/
    record = json.loads((runs / "default.json").read_text())
    assert record["limit"] == 2 and record["timing"]["total_wall_s"] > 0 and record["timing"]["total_cpu_s"] > 0
    failed = [f"{j['suite']}/{j['label']}: {j['status']}" for j in record["jobs"] if j["status"] != "ok"]
    assert not failed, "\n".join(failed) + "\n" + log[-3000:]
    assert proc.returncode == 0, log[-3000:]
    for suite in SUITES:
        res = json.loads((runs / suite / "oracle" / "0" / "results.json").read_text())
        assert res["suite"]["n_items"] == 2
        values = [c["value"] for c in res["metrics"].values() if c["unavailable"] is None]
        assert values and all(math.isfinite(v) for v in values), (suite, res["metrics"])
        # paper-protocol cells without weights say why, never a number
        for key, c in res["metrics"].items():
            assert (c["value"] is None) == (c["unavailable"] is not None), key
    html = (report / "index.html").read_text()
    for suite in SUITES:
        assert f'id="suite-{suite}"' in html
    assert "data:audio/ogg;base64," in html and "data:image/png;base64," in html
    assert "data:image/svg+xml;base64," in html  # the charts
    # paper-protocol variants without weights: listed once, with the command that fetches them
    assert 'id="unavailable"' in html and "unison-bench weights fetch vggish" in html
    md = (report / "summary.md").read_text()
    assert all(f"## {s} " in md for s in SUITES)
    assert list((report / "leaderboards").glob("*.md")) and list((report / "leaderboards").glob("*.csv"))
