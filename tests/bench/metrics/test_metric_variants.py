"""Every metric catalog entry builds a metric whose key is its catalog key."""
import importlib

import pytest

from bench.extractors.catalog import EXTRACTORS
from bench.metrics.base import Metric
from bench.metrics.catalog import METRICS

OURS = ("bench.metrics.frechet", "bench.metrics.classifier", "bench.metrics.lsd",
        "bench.metrics.asr", "bench.metrics.similarity")
ENTRIES = {k: v for k, v in METRICS.items() if v.split(":")[0] in OURS}


def test_expected_variants_registered():
    for key in ("fad@vggish", "fd@panns-cnn14-16k", "kl@panns-cnn14-16k", "is@panns-cnn14-16k",
                "clap@laion-music-speech", "wer@whisper-large-v3-seedtts", "cer@paraformer-zh-seedtts",
                "sim@wavlm-ecapa", "lsd@ssr-eval", "fd@yamnet-16k", "kl@yamnet-16k", "is@yamnet-16k",
                "kad@yamnet-16k", "wer@faster-whisper-base-seedtts", "cer@faster-whisper-base-seedtts",
                "wer-corpus@faster-whisper-base-seedtts", "sim@resemblyzer"):
        assert key in ENTRIES


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_factory_builds_matching_metric(key):
    module, factory = ENTRIES[key].split(":")
    metric = getattr(importlib.import_module(module), factory)()
    assert isinstance(metric, Metric) and metric.key == key
    assert metric.needs and set(metric.needs) <= {"gen", "target", "reference"}
    desc = metric.describe()
    assert desc["name"] == metric.name and desc["variant"] == metric.variant
    for ext in metric.needs.values():
        if ext.startswith("waveform-"):
            assert ext in EXTRACTORS  # ours; the others are registered by the extractor helpers


def test_paper_protocol_flags():
    build = lambda k: getattr(importlib.import_module(ENTRIES[k].split(":")[0]), ENTRIES[k].split(":")[1])()  # noqa: E731
    assert build("fd@panns-cnn14-16k").paper_protocol and not build("fd@yamnet-16k").paper_protocol
    assert build("wer@whisper-large-v3-seedtts").paper_protocol
    assert not build("wer@faster-whisper-base-seedtts").paper_protocol
