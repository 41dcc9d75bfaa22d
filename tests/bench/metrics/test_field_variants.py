"""The catalog lines added for the 2025-2026 metrics build metrics whose key is the catalog key,
with a version, needs that the runner knows, and the right protocol flag."""
import importlib

import pytest

from bench.extractors.catalog import EXTRACTORS
from bench.metrics.base import Metric
from bench.metrics.catalog import METRICS

MODULES = ("bench.metrics.signal", "bench.metrics.mos", "bench.metrics.fad_inf", "bench.metrics.events",
           "bench.metrics.field")
ENTRIES = {k: v for k, v in METRICS.items() if v.split(":")[0] in MODULES}
PAPER = {"clap@msclap-2023", "clap-gt@msclap-2023", "fad-inf@vggish", "fd-inf@panns-cnn14-16k", "fd@passt-avbench",
         "fd-inf@passt-avbench", "kl@passt-avbench", "aes-ce@audiobox-aesthetics", "aes-cu@audiobox-aesthetics",
         "aes-pc@audiobox-aesthetics", "aes-pq@audiobox-aesthetics", "utmos@utmos22-strong",
         "fd@openl3-mel256-music-512-48k-mono", "fd@openl3-mel256-env-512-48k-mono", "fd-inf@openl3-mel256-music-512-48k-mono",
         "fd-inf@openl3-mel256-env-512-48k-mono"}


def test_expected_keys():
    for key in ("pesq@wb-16k", "pesq@nb-8k", "stoi@16k", "estoi@16k", "si-sdr@16k-cap100", "si-sdri@16k-cap100",
                "mcd@pymcd-dtw", "dnsmos-ovrl@p835-16k", "dnsmos@p808-16k", "fad-inf@yamnet-16k", "fd-inf@yamnet-16k",
                "event-f1@yamnet-dcase", "onset-err@yamnet", "offset-err@yamnet", *PAPER):
        assert key in ENTRIES, key


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_factory_builds_matching_metric(key):
    module, factory = ENTRIES[key].split(":")
    m = getattr(importlib.import_module(module), factory)()
    assert isinstance(m, Metric) and m.key == key and m.version
    assert m.needs and set(m.needs) <= {"gen", "target", "source", "reference"}
    assert all(ext in EXTRACTORS for ext in m.needs.values()), m.needs
    assert m.paper_protocol == (key in PAPER)
