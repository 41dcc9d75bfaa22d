"""Resemblyzer GE2E embeddings: same speaker closer than different speakers on real voices."""
import numpy as np
import pytest

from bench.extractors.resemblyzer_ext import SAMPLE_RATE, Resemblyzer

SR = SAMPLE_RATE
T1 = "The quick brown fox jumps over the lazy dog near the river bank."
T2 = "Please call me back tomorrow morning after the meeting has finished."


@pytest.fixture(scope="module")
def enc():
    ext = Resemblyzer()
    if ext.available():
        pytest.skip(ext.available())
    return ext


def test_same_speaker_closer_than_different(enc, clips):
    voices = {v: [clips.flite(v, t, SR) for t in (T1, T2)] for v in ("slt", "rms", "kal")}
    voices["asterisk"] = [clips.asterisk("agent-alreadyon", SR), clips.asterisk("cannot-complete-as-dialed", SR)]
    names = list(voices)
    waves = [w for n in names for w in voices[n]]
    emb = np.stack([f["embedding"] for f in enc.extract(waves, [None] * len(waves))])
    assert emb.shape == (2 * len(names), 256)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    sim = emb @ emb.T
    same = [sim[2 * i, 2 * i + 1] for i in range(len(names))]
    for i, n in enumerate(names):
        others = [sim[2 * i + a, 2 * j + b] for j in range(len(names)) if j != i for a in (0, 1) for b in (0, 1)]
        assert same[i] > max(others), (n, same[i], max(others))


def test_matches_resemblyzers_own_embed_utterance(enc, clips):
    from resemblyzer import preprocess_wav

    wave = clips.asterisk("agent-alreadyon", SR)
    ours = enc.extract([wave], [None])[0]["embedding"]
    theirs = enc.encoder.embed_utterance(preprocess_wav(wave))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
