"""PANNs CNN14-16k (fd / kl / is @panns-cnn14-16k) against audioldm_eval's own Cnn14.

Reference: ``audioldm_eval.feature_extractors.panns.Cnn14`` built as audioldm_eval's
EvaluationHelper builds it for 16 kHz (features "2048" and "logits"); its constructor loads
``ckpt/Cnn14_16k_mAP=0.438.pth`` from the working directory with its own ``load_state_dict``.
Weights: one random full-size checkpoint in the published format ({"model": state_dict}),
written there and given to our ``load_cnn14`` too.
Input: ours = bench's loader (soxr HQ) + DC removal + 2 s padding; audioldm_eval =
``WaveDataset.read_from_file`` (DC removal at the file rate, torchaudio resample, 2 s padding),
the same function in its PyPI 0.0.3 and its current code.
"""
import pytest
import soundfile as sf
import torch

from unison.core.audio import read_mono
from bench.extractors import panns as ours
from conformance_common import clip_paths, pkg, rel_diff, soundfile_load

pytestmark = pytest.mark.conformance
ae_models = pytest.importorskip("audioldm_eval.feature_extractors.panns.models")
load_mel = pytest.importorskip("audioldm_eval.datasets.load_mel")
REF = pkg("audioldm_eval")
FLOAT32_TOL = 1e-4  # relative to the output range; 12 conv layers + BN in float32


@pytest.fixture(scope="module")
def nets(tmp_path_factory):
    work = tmp_path_factory.mktemp("panns")
    (work / "ckpt").mkdir()
    torch.manual_seed(0)
    src = ours.Cnn14()
    for m in src.modules():  # non-trivial BN statistics so a wrong load would show
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    path = work / "ckpt" / "Cnn14_16k_mAP=0.438.pth"
    torch.save({"iteration": 0, "model": src.state_dict()}, path)
    del src
    (work / "ckpt" / "Cnn14_mAP=0.431.pth").write_bytes(b"")  # its constructor downloads this when absent
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        ref = ae_models.Cnn14(features_list=["2048", "logits"], sample_rate=16000, window_size=512, hop_size=160,
                              mel_bins=64, fmin=50, fmax=8000, classes_num=527)
    return ref.eval(), ours.PannsCnn14Extractor(weights=path)


def audioldm_eval_input(path) -> torch.Tensor:
    ds = load_mel.WaveDataset.__new__(load_mel.WaveDataset)  # read_from_file needs only .sr
    ds.sr = 16000
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(load_mel.torchaudio, "load", soundfile_load)  # TorchCodec is not installed
        return ds.read_from_file(str(path))  # (1, samples)


def test_network_matches_audioldm_eval_cnn14(nets, record):
    ref, ext = nets
    worst_emb = worst_logits = 0.0
    for path in clip_paths("LibriVox 0930 (16 kHz, 3.3 s speech)", "tuxpaint chilepepper (44.1 kHz, 1.1 s)"):
        wave = read_mono(path, 16000)[0]
        wave = ours.pad_to_min_samples(wave - wave.mean(), 32000)
        mine = ext.extract([wave], [None])[0]  # DC already removed: removing it again changes nothing
        with torch.no_grad():
            theirs = ref(torch.from_numpy(wave)[None])
        worst_emb = max(worst_emb, rel_diff(mine["embedding"], theirs["2048"][0]))
        worst_logits = max(worst_logits, rel_diff(mine["logits"], theirs["logits"][0]))
    record("PANNs CNN14-16k 2048-d embedding", REF, "same wave, same checkpoint file", worst_emb, tolerance=FLOAT32_TOL)
    record("PANNs CNN14-16k logits", REF, "same wave, same checkpoint file", worst_logits, tolerance=FLOAT32_TOL)


def test_clips_through_each_sides_loading(nets, record):
    ref, ext = nets
    worst: dict[int, float] = {}
    for path in clip_paths():
        sr = sf.info(str(path)).samplerate
        mine = ext.extract([read_mono(path, 16000)[0]], [None])[0]
        with torch.no_grad():
            theirs = ref(audioldm_eval_input(path))
        d = max(rel_diff(mine["embedding"], theirs["2048"][0]), rel_diff(mine["logits"], theirs["logits"][0]))
        worst[sr] = max(worst.get(sr, 0.0), d)
    record("PANNs CNN14-16k embedding + logits", REF, "16 kHz clips, each side's own loading (DC removal, 2 s pad)",
           worst[16000], tolerance=FLOAT32_TOL)
    for sr, tol in ((8000, 1e-3), (44100, 1e-3)):
        record("PANNs CNN14-16k embedding + logits", REF,
               f"{sr / 1000:g} kHz clips: soxr HQ vs torchaudio resampling to 16 kHz", worst[sr], tolerance=tol,
               note="resampler")
