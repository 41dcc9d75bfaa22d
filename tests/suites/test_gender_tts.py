from collections import Counter

import pytest

from bench.registry import load_suite
from bench.testset import TestSetWriter
from suites import gender_tts
from suite_helpers import assert_common, assert_deterministic

SUITE = "gender_tts"


def test_mini_balanced_and_stated(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert Counter(it.subset for it in ts.items) == {"male-en": 5, "female-en": 5, "male-zh": 5, "female-zh": 5}
    for it in ts.items:
        word = {"male": "A man says:", "female": "A woman says:"}[it.gender]
        assert it.instruction == f"{word} {it.text}"
        assert it.subset == f"{it.gender}-{it.lang}"
        # the pseudo-GT is spoken by a voice of the stated gender
        from unison.core.sources.voices import VOICES

        assert VOICES[it.meta["target_voice"]].gender == it.gender
        assert VOICES[it.meta["target_voice"]].lang == it.lang
    assert len({it.text for it in ts.items if it.lang == "en"}) == 10  # no repeated sentence


def test_odd_count_rejected(tmp_path):
    spec = load_suite(SUITE)
    with pytest.raises(ValueError, match="must be even"):
        gender_tts.build(dict(spec.params("mini"), n_per_lang=3), TestSetWriter(tmp_path, SUITE, 0))


def test_paper_scale_300_balanced_from_seedtts_texts(tmp_path, monkeypatch):
    root = tmp_path / "seed"
    for lang, word in (("en", "Sentence number"), ("zh", "句子")):
        (root / lang).mkdir(parents=True)
        lines = [f"u{i}|p|prompt-wavs/p{i}.wav|{word} {i}" for i in range(160)]
        (root / lang / "meta.lst").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("SEEDTTS_EVAL_ROOT", str(root))
    spec = load_suite(SUITE)
    out = TestSetWriter(tmp_path / "ts", SUITE, spec.seed)
    gender_tts.build(spec.params("paper"), out)
    items = list(out._items.values())
    assert len(items) == 300
    assert Counter((it.lang, it.gender) for it in items) == {("en", "male"): 75, ("en", "female"): 75,
                                                              ("zh", "male"): 75, ("zh", "female"): 75}
    assert all(it.target is None for it in items)
