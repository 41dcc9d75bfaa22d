"""Every suite builds at mini scale through the CLI, and an oracle smoke run (--limit 3) gives
finite values for the offline metric variants (paper-protocol ones need weights that are not here).
Heavy (ASR / YAMNet / Resemblyzer / voice2gender on CPU): marked e2e."""
import json
import math

import pytest

from bench.cli import main
from bench.registry import METRICS, load_suite

SUITES = ["audiocaps_t2a", "seedtts", "gender_tts", "t2as", "editing", "speech_in_scene", "timed_clap", "ablations",
          "speech_enhancement", "super_resolution", "target_speaker_extraction", "voice_conversion",
          "text_to_music"]


# The extractors every offline variant runs on; each must run here (a new offline extractor joins this list).
OFFLINE_EXTRACTORS = {"yamnet-16k", "faster-whisper-base", "faster-whisper-base-int8", "resemblyzer", "voice2gender",
                      "waveform-16k", "waveform-8k", "waveform-22.05k", "waveform-24k", "dnsmos-speechmos"}


def offline_metrics(suite: str) -> list[str]:
    """The suite's metrics whose extractors all run on this machine (the offline variants)."""
    return [k for k in load_suite(suite).metrics
            if set((METRICS.get(k).needs or {}).values()) <= OFFLINE_EXTRACTORS]


@pytest.mark.e2e
@pytest.mark.parametrize("suite", SUITES)
def test_build_and_oracle_smoke(suite, tmp_path_factory, capsys):
    base = tmp_path_factory.getbasetemp()
    ts, runs, cache = base / "ts", base / "runs", base / "cache"
    assert main(["build", suite, "--scale", "mini", "--testsets", str(ts)]) == 0
    metrics = offline_metrics(suite)
    assert metrics
    assert main(["run", suite, "--system", "oracle", "--limit", "3", "--testsets", str(ts), "--out", str(runs),
                 "--cache", str(cache), "--no-progress", "--metrics", ",".join(metrics)]) == 0
    res = json.loads((runs / suite / "oracle" / "0" / "results.json").read_text())
    assert res["suite"]["n_items"] == 3
    finite = 0
    for key in metrics:
        cell = res["metrics"][key]
        if cell["unavailable"]:
            # only allowed when none of the first 3 items is one the metric applies to (e.g. CER
            # on English-only items) or a set-level metric needs more clips than 3
            assert "no item" in cell["unavailable"] or "too few" in cell["unavailable"] \
                or "fewer" in cell["unavailable"] or "needs >=" in cell["unavailable"], (key, cell["unavailable"])
        else:
            assert cell["value"] is not None and math.isfinite(cell["value"]), key
            # PESQ finds no utterance in super_resolution's sound / music items (its YAML says so)
            pesq_on_non_speech = suite == "super_resolution" and key.startswith("pesq@")
            assert cell["n_failed"] == 0 or key.startswith("presence@") or pesq_on_non_speech, (key, cell)
            finite += 1
    assert finite >= 1
