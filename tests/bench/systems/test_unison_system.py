"""UNISON checkpoint system on a tiny random checkpoint saved in the real format (MiniLM text
encoder from the offline package, Griffin-Lim vocoder: nothing to download)."""
import numpy as np
import pytest
import soundfile as sf

from bench.item import Item
from bench.registry import create_system
from bench.spec import GenerationSettings

@pytest.fixture(scope="module")
def ckpt(random_tiny_ckpt):
    """The shared random tiny checkpoint, with a source / reference clip beside it."""
    path, _, root = random_tiny_ckpt
    t = np.arange(16000) / 16000
    sf.write(root / "src.wav", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 16000)
    return path, root


def _items():
    return [Item(id="a", task="t2a", instruction="A dog barks.", seconds=0.6, seed=0),
            Item(id="b", task="tts", instruction="A woman says: hello.", seconds=0.6, seed=0),
            Item(id="c", task="edit_add", instruction="Add rain.", seconds=0.6, seed=0, source="src.wav"),
            Item(id="d", task="zs_tts", instruction="Say hi.", seconds=0.6, seed=0, reference="src.wav"),
            # reference prefix + source: the pipeline refuses these without the source
            Item(id="e", task="target_speaker_extraction", instruction="Extract the enrolled speaker.", seconds=0.6,
                 seed=0, source="src.wav", reference="src.wav"),
            Item(id="f", task="voice_conversion", instruction="Convert to the reference voice.", seconds=0.6, seed=0,
                 source="src.wav", reference="src.wav")]


@pytest.mark.e2e
def test_generates_every_task_family_independent_of_batch_order(ckpt, monkeypatch):
    path, root = ckpt
    monkeypatch.setenv("UNISON_CHECKPOINT", str(path))
    s = create_system("unison", {"steps": "2"})  # checkpoint from the environment (the GPU workflow's way)
    s.configure(generation=GenerationSettings(seconds=10.0, steps=25, cfg=3.0), seed=5, suite="toy")
    items = _items()
    outs = list(s.generate(items, root))
    sr = s.pipeline().sample_rate
    for it, g in zip(items, outs):
        assert g.sample_rate == sr and g.wave.shape == (round(it.seconds * sr),) and np.isfinite(g.wave).all()
    rev = list(s.generate(items[::-1], root))[::-1]
    for g1, g2 in zip(outs, rev):  # bitwise: each item is sampled and decoded on its own
        assert np.array_equal(g1.wave, g2.wave)
    sig = s.signature()
    assert sig["sampler"]["steps"] == 2 and sig["sampler"]["cfg_scale"] == 3.0  # system arg > suite > checkpoint
    assert len(sig["checkpoint_sha256"]) == 64 and sig["config"]["model"] and sig["step"] == 1
    other = create_system(f"unison:{path}", {"steps": "2"})
    other.configure(generation=None, seed=6, suite="toy")
    assert not np.allclose(next(other.generate(items[:1], root)).wave, outs[0].wave)  # the run seed moves the noise


def test_missing_checkpoint_and_bad_arguments_are_clear(ckpt, monkeypatch, tmp_path):
    from unison.checkpoint import MissingCheckpointError

    monkeypatch.delenv("UNISON_CHECKPOINT", raising=False)
    with pytest.raises(ValueError, match="UNISON_CHECKPOINT"):
        create_system("unison")
    with pytest.raises(MissingCheckpointError, match="nope.safetensors"):
        create_system(f"unison:{tmp_path / 'nope.safetensors'}")
    with pytest.raises(ValueError, match="unknown arguments"):
        create_system(f"unison:{ckpt[0]}", {"stepz": "3"})


@pytest.mark.bad_input
def test_pipeline_input_rules_apply_to_the_system_and_are_recorded(ckpt):
    from unison.inputs import InputError

    path, root = ckpt
    s = create_system(f"unison:{path}", {"steps": "0"})
    s.configure(generation=None, seed=0, suite="toy")
    with pytest.raises(InputError, match=r"steps \(--steps\)"):
        next(s.generate(_items()[:1], root))
    s = create_system(f"unison:{path}", {"steps": "1", "sample.max_seconds": "5"})
    s.configure(generation=None, seed=0, suite="toy")
    with pytest.raises(InputError, match=r"seconds \(--seconds\).*sample.max_seconds = 5 s"):
        next(s.generate([Item(id="long", task="t2a", instruction="Rain.", seconds=60.0, seed=0)], root))
    assert s.signature()["input_limits"] == {"max_seconds": 5.0, "max_steps": 1000, "max_reference_seconds": 10.0,
                                             "silent_peak_dbfs": -60.0}


def test_a_task_the_task_table_lacks_fails_its_item_with_the_reason(ckpt):
    """The speech-processing suites name tasks (super_resolution, target_speaker_extraction,
    voice_conversion) that a checkpoint's build may not have yet: that item fails, clearly."""
    from bench.systems.base import ItemError
    from unison.tasks import TASKS

    path, root = ckpt
    s = create_system(f"unison:{path}", {"steps": "2"})
    s.configure(generation=None, seed=0, suite="toy")
    missing = "no_such_task"
    assert missing not in TASKS
    item = Item(id="vc", task=missing, instruction="Say it in her voice.", seconds=0.6, seed=0, source="src.wav")
    with pytest.raises(ItemError, match=rf"unavailable: task '{missing}' is not in this UNISON build's task table"):
        next(iter(s.generate([item], root)))
