"""VGGish (fad@vggish) against torchvggish's own code, same weights, same real clips.

Reference: the PyPI ``torchvggish`` (Harri Taylor's port that frechet-audio-distance and
audioldm_eval load through torch.hub; its front end — vggish_input, mel_features, vggish_params —
is the same code as the hub repository's, whose VGGish subclass only adds PCA and input dispatch).
Weights: one random full-size state dict in torchvggish's file format (``vggish-10086976.pth``),
loaded by torchvggish's ``VGG.load_state_dict`` and by our ``load_vggish``. As audioldm_eval
does, the reference drops the last ReLU and the PCA postprocessing.

Input recipes: ours = bench's loader (soundfile, soxr HQ to 16 kHz) + DC removal + 2 s padding.
audioldm_eval's current FAD input is ``WaveDataset.read_from_file`` (first channel, DC removal,
torchaudio resample, pad to 32000 samples) — the same function ships in its PyPI 0.0.3, which is
what runs here. Its 0.0.3 FAD used ``load_audio_task`` instead (int16 read, resampy, no DC
removal, no padding): the other choice, whose effect is measured below.
"""
import numpy as np
import pytest
import soundfile as sf
import torch

from unison.core.audio import read_mono
from bench.extractors import vggish as ours
from conformance_common import clip_paths, pkg, rel_diff, soundfile_load, write_pcm16

pytestmark = pytest.mark.conformance
torchvggish = pytest.importorskip("torchvggish")
load_mel = pytest.importorskip("audioldm_eval.datasets.load_mel")
fad_0_0_3 = pytest.importorskip("audioldm_eval.metrics.fad")
REF = f"{pkg('torchvggish')}, {pkg('audioldm_eval')}"
FLOAT32_TOL = 1e-5  # relative to the output range: float32 rounding, not a recipe difference


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    path = tmp_path_factory.mktemp("vggish") / "vggish-10086976.pth"
    torch.manual_seed(0)
    torch.save(torchvggish.VGG(torchvggish.make_layers(), postprocess=False).state_dict(), path)
    ref = torchvggish.VGG(torchvggish.make_layers(), postprocess=False)
    ref.load_state_dict(torch.load(path, map_location="cpu"))
    ref.embeddings = torch.nn.Sequential(*list(ref.embeddings.children())[:-1])  # audioldm_eval: no last ReLU
    ext = ours.VGGishExtractor(weights=path)
    return ref.eval(), ext


def ref_frames(ref, wave16k: np.ndarray) -> np.ndarray:
    """torchvggish's own front end (waveform_to_examples) and network on a 16 kHz wave."""
    with torch.no_grad():
        return ref(torchvggish.waveform_to_examples(np.asarray(wave16k, np.float64), 16000)).numpy()


def audioldm_eval_current_input(path) -> np.ndarray:
    """audioldm_eval's WaveDataset.read_from_file (its current FAD input), decoding via soundfile."""
    ds = load_mel.WaveDataset.__new__(load_mel.WaveDataset)  # the method needs only .sr
    ds.sr = 16000
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(load_mel.torchaudio, "load", soundfile_load)
        return ds.read_from_file(str(path))[0].numpy()


def test_front_end_and_network_match_torchvggish(nets, record):
    ref, ext = nets
    worst_mel = worst_net = 0.0
    for path in clip_paths():
        wave = ours.prepare(read_mono(path, 16000)[0])
        ex = torchvggish.waveform_to_examples(wave.astype(np.float64), 16000)  # (n, 1, 96, 64)
        worst_mel = max(worst_mel, rel_diff(ours.log_mel_examples(wave), ex[:, 0].detach().numpy()))
        with torch.no_grad():  # the same examples through both networks
            worst_net = max(worst_net, rel_diff(ext.net(ex).numpy(), ref(ex).numpy()))
    record("VGGish log-mel examples", REF, "waveform_to_examples vs ours, same 16 kHz waves", worst_mel, FLOAT32_TOL)
    record("VGGish network", REF, "128-d frames, same examples, same weights file", worst_net, FLOAT32_TOL)


def test_clip_embeddings_match_audioldm_eval_recipe(nets, record):
    """Each side's own loading and resampling. At 16 kHz only float rounding remains; at 8 and
    44.1 kHz the resamplers differ (soxr HQ vs torchaudio's sinc): a real, bounded difference."""
    ref, ext = nets
    worst: dict[int, float] = {}
    for path in clip_paths():
        sr = sf.info(str(path)).samplerate
        mine = ext.extract([read_mono(path, 16000)[0]], [None])[0]["frames"]
        theirs = ref_frames(ref, audioldm_eval_current_input(path))
        assert mine.shape == theirs.shape, path
        worst[sr] = max(worst.get(sr, 0.0), rel_diff(mine, theirs))
    record("VGGish clip frames", REF, "16 kHz clips, each side's own loading (DC removal, 2 s pad)",
           worst[16000], tolerance=FLOAT32_TOL)
    for sr, tol in ((8000, 0.05), (44100, 0.01)):
        record("VGGish clip frames", REF, f"{sr / 1000:g} kHz clips: soxr HQ vs torchaudio resampling to 16 kHz",
               worst[sr], tolerance=tol, note="resampler")


def test_audioldm_eval_0_0_3_recipe_differs_on_dc_and_short_clips(nets, record, tmp_path):
    """The choice we did not take (0.0.3's load_audio_task: no DC removal, no padding, resampy)."""
    ref, ext = nets
    libri, short = clip_paths("LibriVox 0870 (16 kHz, 7.1 s speech)", "asterisk agent-loggedoff (8 kHz, 1.5 s speech)")
    # A real 16 kHz clip with a 0.2 DC offset.
    wave = read_mono(libri, 16000)[0]
    offset = write_pcm16(tmp_path / "offset.wav", 0.5 * wave + 0.2, 16000)
    old_audio, old_sr = fad_0_0_3.load_audio_task(str(offset))
    assert old_sr == 16000
    old = ref_frames(ref, old_audio)
    mine = ext.extract([read_mono(offset, 16000)[0]], [None])[0]["frames"]
    dc_effect = rel_diff(old, mine)
    record("VGGish, audioldm_eval 0.0.3 recipe (no DC removal)", REF,
           "real 16 kHz clip + 0.2 DC offset: 0.0.3 vs ours", dc_effect, at_least=0.005)
    # Without the offset the two recipes agree to float rounding (the clip is >= 2 s, already 16 kHz).
    plain = write_pcm16(tmp_path / "plain.wav", 0.5 * wave, 16000)
    same = rel_diff(ref_frames(ref, fad_0_0_3.load_audio_task(str(plain))[0]),
                    ext.extract([read_mono(plain, 16000)[0]], [None])[0]["frames"])
    assert same < 1e-3, same  # the real clip's own mean is ~1e-4 of full scale
    # A 1.5 s clip: 0.0.3 makes one 0.96 s frame, the padded recipe two.
    n_old = ref_frames(ref, fad_0_0_3.load_audio_task(str(short))[0]).shape[0]
    n_new = ext.extract([read_mono(short, 16000)[0]], [None])[0]["frames"].shape[0]
    assert (n_old, n_new) == (1, 2)
