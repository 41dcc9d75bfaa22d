"""End to end on CPU: tiny DiT (random init) + tiny codec + the offline MiniLM text encoder, saved as
a real checkpoint, then `unison generate` and the pipeline's editing / zero-shot paths.

The checkpoint (conftest.random_tiny_ckpt) uses test-only overrides: the MiniLM encoder (fast to
load; the tiny profile's Gemma takes ~50 s) and a Griffin-Lim vocoder (no weights to load)."""
import math

import numpy as np
import pytest
import soundfile as sf
import torch

from unison import cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ckpt(random_tiny_ckpt):
    return random_tiny_ckpt


def test_cli_generate_writes_wav_of_requested_length(ckpt, capsys):
    path, cfg, root = ckpt
    out = root / "out" / "tts.wav"
    rc = cli.main(["generate", "--ckpt", str(path), "--task", "tts", "--text", "A woman says hello.",
                   "--seconds", "1.5", "--seed", "0", "--steps", "3", "-o", str(out)])
    assert rc == 0, capsys.readouterr().err
    wave, sr = sf.read(out, dtype="float32")
    frames = math.ceil(1.5 * cfg.audio.mel.sample_rate / cfg.audio.mel.hop_length / 2)
    assert sr == cfg.audio.mel.sample_rate == 22050
    assert wave.shape == (frames * 2 * cfg.audio.mel.hop_length,)
    assert np.isfinite(wave).all() and np.sqrt(np.mean(wave ** 2)) > 1e-4
    assert [p.name for p in out.parent.iterdir()] == ["tts.wav"]

    bad = root / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    out2 = root / "out" / "edit.wav"
    rc = cli.main(["generate", "--ckpt", str(path), "--task", "edit", "--text", "Remove the dog.",
                   "--source", str(bad), "--seconds", "1", "--steps", "2", "-o", str(out2)])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.wav" in err and not out2.exists()
    assert [p.name for p in out.parent.iterdir()] == ["tts.wav"]  # nothing partial left behind


def test_pipeline_edit_zero_shot_and_batch_invariance(ckpt, tmp_path):
    from unison.pipeline import UnisonPipeline

    path, cfg, _ = ckpt
    pipe = UnisonPipeline.from_checkpoint(path, ["sample.steps=2"])
    sr = pipe.sample_rate
    src = tmp_path / "src.wav"
    t = np.arange(int(1.2 * 16000)) / 16000
    sf.write(src, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)  # resampled to 22.05 kHz
    edited, _ = pipe.generate("edit", "Add rain.", 1.0, source=src, seed=1)
    n = pipe.codec.num_samples(pipe.codec.latent_len(1.0))
    assert edited.shape == (n,) and np.isfinite(edited).all()

    cloned, _ = pipe.generate("zs_tts", "Say good morning.", 1.0, reference=src, seed=1)
    assert cloned.shape == (n,) and np.isfinite(cloned).all()

    # Bitwise, whatever the batch, the item's position, its batch-mates' prompt lengths and the thread
    # count (the machine's own, then one).
    single = pipe.generate("t2a", "A dog barks.", 0.5, seed=7)[0]
    batch = pipe.generate_batch("t2a", ["Rain on a tin roof with distant thunder.", "A dog barks.", "Wind."], 0.5,
                                seeds=[3, 7, 5])
    assert np.array_equal(batch[1], single)
    machine = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        one_thread = pipe.generate_batch("t2a", ["Wind.", "A dog barks."], 0.5, seeds=[5, 7])
    finally:
        torch.set_num_threads(machine)
    assert np.array_equal(one_thread[1], single) and np.array_equal(one_thread[0], batch[2])
    edited_again = pipe.generate_batch("edit", ["Add rain.", "Remove the hum."], 1.0, seeds=[1, 2],
                                       sources=[src, src])[0]
    assert np.array_equal(edited_again, edited)
    with pytest.raises(ValueError, match=r"seconds \(--seconds\): must be a finite number > 0"):
        pipe.generate("t2a", "x", -1)
