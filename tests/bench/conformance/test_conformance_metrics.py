"""Metric recipes against the reference projects' own metric code (importable from PyPI):
audioldm_eval's calculate_kl / calculate_isc / calculate_fid, frechet-audio-distance's
calculate_frechet_distance, jiwer. Inputs have the shapes the paper protocol produces
(527 AudioSet logits, 2048-d PANNs embeddings, 128-d VGGish frames)."""
import sys
import types

import numpy as np
import pytest
import torch

from bench.metrics.classifier import inception_score, kl_ref_gen
from bench.metrics.frechet import frechet_distance, frechet_distance_samples, gaussian_stats
from conformance_common import pkg, quiet

pytestmark = [pytest.mark.conformance, pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")]
ae_kl = pytest.importorskip("audioldm_eval.metrics.kl")
ae_isc = pytest.importorskip("audioldm_eval.metrics.isc")
ae_fid = pytest.importorskip("audioldm_eval.metrics.fid")
FLOAT64_TOL = 1e-9  # relative: both sides compute in float64


@pytest.fixture(scope="module")
def logits():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 3, size=(53, 527))
    return ref, ref + rng.normal(0, 2, size=ref.shape)


def as_featuresdict(x: np.ndarray, key: str) -> dict:
    return {key: torch.from_numpy(x), "file_path_": [f"clip{i}.wav" for i in range(len(x))]}


def test_kl_matches_audioldm_eval(logits, record):
    ref, gen = logits
    # audioldm_eval: input1 = generated, input2 = reference; KL(input2 || input1), mean over items.
    theirs = quiet(ae_kl.calculate_kl, as_featuresdict(gen, "logits"), as_featuresdict(ref, "logits"), "logits")[0]
    ours = float(kl_ref_gen(ref, gen).mean())
    d = abs(ours - theirs["kullback_leibler_divergence_softmax"]) / abs(theirs["kullback_leibler_divergence_softmax"])
    record("KL (kl@panns-cnn14-16k recipe)", pkg("audioldm_eval"), "calculate_kl softmax, 53 items x 527 classes",
           d, tolerance=FLOAT64_TOL)
    # The other direction is a different number: the recipe is not symmetric.
    assert abs(float(kl_ref_gen(gen, ref).mean()) - ours) > 0.01 * ours


def test_inception_score_matches_audioldm_eval(logits, record):
    _, gen = logits
    theirs = quiet(ae_isc.calculate_isc, as_featuresdict(gen, "logits"), feat_layer_name="logits", rng_seed=2020,
                   samples_shuffle=True, splits=10)
    mean, std = inception_score(gen)
    d = max(abs(mean - theirs["inception_score_mean"]) / theirs["inception_score_mean"],
            abs(std - theirs["inception_score_std"]) / theirs["inception_score_std"])
    record("IS (is@panns-cnn14-16k recipe)", pkg("audioldm_eval"), "calculate_isc mean and std, 53 items, 10 splits",
           d, tolerance=FLOAT64_TOL)


def _fad_package_fd():
    """frechet-audio-distance's calculate_frechet_distance. The package's __init__ imports laion_clap,
    whose import reads a tokenizer from the hub; a stub stands in (the function is numpy/scipy only)."""
    before = set(sys.modules)
    saved = sys.modules.get("laion_clap")
    sys.modules["laion_clap"] = types.ModuleType("laion_clap")
    try:
        fn = pytest.importorskip("frechet_audio_distance.fad").FrechetAudioDistance.calculate_frechet_distance
    finally:
        for name in set(sys.modules) - before:
            if name.startswith("frechet_audio_distance"):
                del sys.modules[name]
        if saved is None:
            sys.modules.pop("laion_clap", None)
        else:
            sys.modules["laion_clap"] = saved
    return lambda *a: float(quiet(fn, None, *a))


@pytest.mark.parametrize("n_gen, n_ref, dim, what", [
    (300, 280, 128, "FAD-like: 300 / 280 frames x 128"),
    (60, 50, 256, "FD-like, rank-deficient: 60 / 50 clips x 256"),
])
def test_frechet_distance_matches_references(n_gen, n_ref, dim, what, record):
    rng = np.random.default_rng(dim)
    mix = np.eye(dim) + rng.normal(size=(dim, dim)) / (2 * np.sqrt(dim))
    gen = np.maximum(rng.normal(size=(n_gen, dim)) @ mix + 0.3, 0)  # ReLU features, like PANNs' 2048-d
    ref = np.maximum(rng.normal(size=(n_ref, dim)), 0)
    ours = frechet_distance_samples(gen, ref)
    ae = quiet(ae_fid.calculate_fid, {"2048": torch.from_numpy(gen)}, {"2048": torch.from_numpy(ref)}, "2048")
    mu1, s1 = gaussian_stats(gen)
    mu2, s2 = gaussian_stats(ref)
    fadpkg = _fad_package_fd()(mu1, s1, mu2, s2)
    # with fewer clips than dimensions ours takes the exact sample route; the covariance route sums
    # square roots of the round-off eigenvalues of a singular matrix (tests/bench/metrics/test_frechet.py)
    assert frechet_distance(mu1, s1, mu2, s2) == (ours if n_gen > dim and n_ref > dim else pytest.approx(ours, rel=1e-7))
    d = max(abs(ours - ae["frechet_distance"]), abs(ours - fadpkg)) / ours
    tol = FLOAT64_TOL if n_gen > dim else 1e-6  # sqrtm of a singular product is less accurate (theirs)
    record("Fréchet distance (fd / fad)", f"{pkg('audioldm_eval')}, {pkg('frechet_audio_distance')}", what, d,
           tolerance=tol)


def _asterisk_prompts(clips_fixture, n: int) -> list[str]:
    texts = [t for t in clips_fixture.asterisk_transcripts().values() if len(t.split()) >= 4]
    return texts[:n]


def _perturb(text: str, i: int) -> str:
    """A deterministic 'ASR hypothesis': drop, substitute or insert a word, change case and punctuation."""
    words = text.split()
    k = i % len(words)
    if i % 3 == 0:
        words = words[:k] + words[k + 1:]
    elif i % 3 == 1:
        words[k] = "banana"
    else:
        words.insert(k, "uh,")
    return " ".join(words).upper() if i % 2 else " ".join(words).replace(".", "!")


def test_wer_and_cer_match_jiwer(clips, record):
    """seed-tts-eval scores with jiwer (compute_measures, renamed process_words in jiwer 4): per
    utterance and corpus WER on real prompt texts, and the character split of the CER against
    jiwer's own character error rate."""
    import jiwer

    from bench.metrics.asr import corpus_rate, edit_ops, normalize

    refs = _asterisk_prompts(clips, 40)
    hyps = [_perturb(r, i) for i, r in enumerate(refs)]
    ops = [edit_ops(r, h, "en") for r, h in zip(refs, hyps)]
    nr, nh = [normalize(r, "en") for r in refs], [normalize(h, "en") for h in hyps]
    per_utt = max(abs(o.rate - jiwer.process_words(r, h).wer) for o, r, h in zip(ops, nr, nh))
    corpus = abs(corpus_rate(ops) - jiwer.wer(nr, nh))
    assert 0 < corpus_rate(ops) < 1
    record("WER (wer, wer-corpus@whisper-large-v3-seedtts)", pkg("jiwer"),
           "40 real prompt texts: per-utterance and corpus rate vs jiwer", max(per_utt, corpus), tolerance=1e-12)
    # CER: our per-character tokens scored as words == jiwer.cer on the strings without spaces.
    zh_refs = ["今天天气很好我们去公园", "请输入您的密码然后按井号键", "这是一个测试"]
    zh_hyps = ["今天天气很好我去公园了", "请输入你的密码按井号键", "这是测试"]
    cer = max(abs(edit_ops(r, h, "zh").rate - jiwer.cer(r, h)) for r, h in zip(zh_refs, zh_hyps))
    record("CER (cer@paraformer-zh-seedtts)", pkg("jiwer"), "character split scored as words vs jiwer.cer",
           cer, tolerance=1e-12)
