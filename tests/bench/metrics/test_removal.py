"""removal@yamnet-speech: threshold on YAMNet's max Speech score, real clips through YAMNet."""
import librosa
import pytest

from bench.item import Item
from bench.metrics.removal import THRESHOLD, SpeechRemovalRate


def _item(i, task="sis_delete"):
    return Item(id=f"i{i}", task=task, instruction="remove the speech", seconds=3.0, seed=i)


def test_rate_from_scores():
    items = [_item(0), _item(1), _item(2, task="sis_insert"), _item(3)]
    feats = {"gen": [{"speech_prob_max": 0.01}, {"speech_prob_max": 0.97}, {"speech_prob_max": 0.0}, None]}
    res = SpeechRemovalRate().score(items, feats)
    assert res.per_item == [1.0, 0.0, None, None] and res.value == 0.5
    assert res.extra["not_applicable"] == [2] and res.extra["threshold"] == THRESHOLD


def test_real_speech_not_removed_real_scene_removed():
    from bench.extractors.yamnet import YAMNet

    paths = ["/usr/share/asterisk/sounds/en/agent-pass.wav",
             "/usr/share/tuxpaint/stamps/household/vacuum_cleaner.ogg",
             "/usr/share/tuxpaint/stamps/animals/mammals/dogs/dog.ogg"]
    try:
        waves = [librosa.load(p, sr=16000)[0] for p in paths]
    except FileNotFoundError as e:
        pytest.skip(f"Debian sound packages missing: {e}")
    yam = YAMNet()
    if yam.available():
        pytest.skip(yam.available())
    feats = {"gen": yam.extract(waves, [None] * 3)}
    res = SpeechRemovalRate().score([_item(i) for i in range(3)], feats)
    assert res.per_item == [0.0, 1.0, 1.0]
