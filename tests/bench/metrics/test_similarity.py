import math

import numpy as np
import pytest

from bench.item import Item
from bench.metrics.similarity import SIM, CLAPScore, cosine


def test_cosine():
    assert cosine(np.array([1.0, 0]), np.array([0, 2.0])) == 0.0
    assert cosine(np.array([1.0, 1]), np.array([2.0, 2])) == pytest.approx(1.0)
    assert cosine(np.array([3.0, 4]), np.array([4.0, 3])) == pytest.approx(24 / 25)
    with pytest.raises(FloatingPointError):
        cosine(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError):
        cosine(np.ones(2), np.ones(3))


def _items():
    return [Item(id="a", task="zs_tts", instruction="x", seconds=1, seed=0, reference="p.wav", target="t.wav"),
            Item(id="b", task="zs_tts", instruction="x", seconds=1, seed=1, reference="p.wav", target="t.wav"),
            Item(id="c", task="tts", instruction="x", seconds=1, seed=2)]


def test_sim_against_reference_prompt():
    gen = [{"embedding": np.array([1.0, 0.0])}, {"embedding": np.array([1.0, 1.0])}, {"embedding": np.ones(2)}]
    ref = [{"embedding": np.array([1.0, 0.0])}, {"embedding": np.array([1.0, 0.0])}, None]
    m = SIM("wavlm-ecapa", paper_protocol=True)
    assert m.key == "sim@wavlm-ecapa" and m.needs == {"gen": "wavlm-ecapa", "reference": "wavlm-ecapa"}
    res = m.score(_items(), {"gen": gen, "reference": ref})
    assert res.per_item[:2] == [pytest.approx(1.0), pytest.approx(1 / math.sqrt(2))]
    assert res.value == pytest.approx((1 + 1 / math.sqrt(2)) / 2)
    assert res.extra["not_applicable"] == [2]


def test_clap_and_gt_clap():
    rows = [{"audio_embedding": np.array([1.0, 0.0]), "text_embedding": np.array([0.0, 1.0])},
            {"audio_embedding": np.array([1.0, 0.0]), "text_embedding": np.array([1.0, 0.0])},
            {"audio_embedding": np.array([1.0, 1.0]), "text_embedding": np.array([1.0, 0.0])}]
    clap = CLAPScore("laion-clap-music-speech", "laion-music-speech", paper_protocol=True)
    assert clap.key == "clap@laion-music-speech" and clap.needs == {"gen": "laion-clap-music-speech"}
    res = clap.score(_items(), {"gen": rows})
    assert res.value == pytest.approx((0 + 1 + 1 / math.sqrt(2)) / 3) and res.n == 3

    gt = CLAPScore("laion-clap-music-speech", "laion-music-speech", role="target")
    assert gt.key == "clap-gt@laion-music-speech" and gt.needs == {"target": "laion-clap-music-speech"}
    res = gt.score(_items(), {"target": rows[:2] + [None]})
    assert res.value == pytest.approx(0.5) and res.extra["not_applicable"] == [2]
    with pytest.raises(KeyError, match="text_embedding"):
        clap.score(_items(), {"gen": [{"audio_embedding": np.ones(2)}] * 3})
