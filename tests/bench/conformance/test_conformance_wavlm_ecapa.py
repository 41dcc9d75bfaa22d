"""WavLM + ECAPA-TDNN (sim@wavlm-ecapa) against the reference code seed-tts-eval runs.

seed-tts-eval (not on PyPI) vendors UniSpeech's ``ECAPA_TDNN_SMALL`` (not on PyPI either) and
builds its WavLM-large features with ``torch.hub.load('s3prl/s3prl', 'wavlm_large')``. What is
pip-installable: s3prl (the WavLM code and the ``wavlm_local`` hub entry that hub call ends in)
and F5-TTS's ``f5_tts.eval.ecapa_tdnn``, a copy of UniSpeech's file whose layers, feature
weighting and forward are the same code (it differs only in formatting, the dropped fbank/MFCC
front ends and a local-first hub path). Here the hub call resolves to s3prl's ``wavlm_local`` on a
tiny WavLM checkpoint in WavLM's published format ({"cfg", "model"}); the ECAPA model is saved as
``wavlm_large_finetune.pth`` ({"model": state_dict}) and loaded the way seed-tts-eval's
``init_model`` does (fresh model, ``load_state_dict(strict=False)``) and by our loader.
Input: seed-tts-eval's ``verification`` reads with librosa (native rate, first channel) and
resamples with torchaudio's ``Resample``; ours reads with soundfile and resamples with soxr HQ.
"""
import librosa
import numpy as np
import pytest
import soundfile as sf
import torch
import torch.nn.functional as F
import torchaudio

from unison.core.audio import read_mono
from bench.extractors.wavlm_ecapa import WavLMEcapaExtractor
from conformance_common import clip_paths, pkg, rel_diff

pytestmark = [pytest.mark.conformance,  # the reference code's own deprecation notices
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                         "ignore:Support for mismatched key_padding_mask:UserWarning")]
f5_ecapa = pytest.importorskip("f5_tts.eval.ecapa_tdnn")
s3prl_wavlm = pytest.importorskip("s3prl.upstream.wavlm.hubconf")
from s3prl.upstream.wavlm.WavLM import WavLM, WavLMConfig  # noqa: E402

REF = f"{pkg('s3prl')}, {pkg('f5-tts')} (UniSpeech ECAPA copy)"
FLOAT32_TOL = 1e-4  # relative to the embedding range: float32 through two implementations of WavLM
# WavLM-large's configuration with tiny widths (large: 1024 / 4096 / 16 heads / 24 layers, conv 512, conv_pos 128).
TINY_CFG = dict(extractor_mode="layer_norm", encoder_layers=2, encoder_embed_dim=16, encoder_ffn_embed_dim=32,
                encoder_attention_heads=2, layer_norm_first=True, normalize=True, conv_bias=False,
                conv_feature_layers="[(8,10,5)] + [(8,3,2)] * 4 + [(8,2,2)] * 2", conv_pos=8, conv_pos_groups=4,
                relative_position_embedding=True, gru_rel_pos=True, num_buckets=320, max_distance=800)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    work = tmp_path_factory.mktemp("wavlm_ecapa")
    torch.manual_seed(0)
    upstream = work / "WavLM-Large.pt"
    cfg = {**WavLMConfig().__dict__, **TINY_CFG}
    torch.save({"cfg": cfg, "model": WavLM(WavLMConfig(cfg)).state_dict()}, upstream)

    def build():
        with pytest.MonkeyPatch.context() as mp:  # torch.hub.load('s3prl/s3prl', 'wavlm_large') -> the local file
            mp.setattr(torch.hub, "load", lambda *a, **k: s3prl_wavlm.wavlm_local(str(upstream)))
            return f5_ecapa.ECAPA_TDNN_SMALL(feat_dim=16, feat_type="wavlm_large", config_path=None)

    src = build()
    with torch.no_grad():
        src.feature_weight.copy_(torch.tensor([0.3, -0.2, 0.5]))
        for m in src.modules():  # non-trivial BN statistics so a wrong load would show
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
        # The last BN takes the clips' pooled statistics (as training would make it): without that a
        # random head gives every clip nearly the same embedding and SIM ~ 1 for every pair.
        pooled = []
        hook = src.pooling.register_forward_hook(lambda m, i, o: pooled.append(o[0]))
        src.eval()
        for path in clip_paths():
            src(torch.from_numpy(read_mono(path, 16000)[0])[None])
        hook.remove()
        pooled = torch.stack(pooled)
        src.bn.running_mean.copy_(pooled.mean(0))
        src.bn.running_var.copy_(pooled.var(0) + pooled.var(0).mean())  # regularised: 5 clips only
    finetuned = work / "wavlm_large_finetune.pth"
    torch.save({"model": src.state_dict()}, finetuned)
    ref = build()  # seed-tts-eval's init_model
    ref.load_state_dict(torch.load(finetuned, map_location="cpu")["model"], strict=False)
    return ref.eval(), WavLMEcapaExtractor(weights=finetuned)


def seed_tts_eval_input(path) -> torch.Tensor:
    """seed-tts-eval verification(): librosa at the native rate, first channel, torchaudio Resample."""
    wav, sr = librosa.load(str(path), sr=None, mono=False)
    if wav.ndim == 2:
        wav = wav[0]
    return torchaudio.transforms.Resample(orig_freq=sr, new_freq=16000)(torch.from_numpy(wav)[None].float())


def test_embedding_matches_unispeech_ecapa_on_s3prl_wavlm(models, record):
    ref, ext = models
    worst = 0.0
    for path in clip_paths():
        wave = read_mono(path, 16000)[0]
        with torch.no_grad():
            theirs = ref(torch.from_numpy(wave)[None])[0].numpy()
        worst = max(worst, rel_diff(ext.extract([wave], [None])[0]["embedding"], theirs))
    record("WavLM + ECAPA-TDNN embedding", REF, "same 16 kHz waves, same checkpoint file", worst,
           tolerance=FLOAT32_TOL)


def test_sim_through_each_sides_loading(models, record):
    ref, ext = models
    paths = clip_paths()
    mine, theirs, rates = [], [], []
    for path in paths:
        mine.append(torch.from_numpy(ext.extract([read_mono(path, 16000)[0]], [None])[0]["embedding"]))
        with torch.no_grad():
            theirs.append(ref(seed_tts_eval_input(path))[0])
        rates.append(sf.info(str(path)).samplerate)
    worst_16k = max(rel_diff(m, t) for m, t, r in zip(mine, theirs, rates) if r == 16000)
    record("WavLM + ECAPA-TDNN embedding", REF, "16 kHz clips, each side's own loading", worst_16k,
           tolerance=FLOAT32_TOL)
    # SIM = cosine of two clips' embeddings, over every pair of clips.
    sims = np.array([[float(F.cosine_similarity(e[i][None], e[j][None])) for e in (mine, theirs)]
                     for i in range(len(paths)) for j in range(i + 1, len(paths))])
    assert sims[:, 1].max() - sims[:, 1].min() > 0.05, sims  # the tiny model tells the clips apart
    worst_sim = float(np.abs(sims[:, 0] - sims[:, 1]).max())
    # Not float rounding: the resamplers differ at -30..-45 dB (test_conformance_resamplers.py) and a
    # random tiny WavLM, whose conv filters weigh the 3.6-4 kHz band as much as any, magnifies that.
    record("SIM (sim@wavlm-ecapa)", REF, "cosine over pairs of 8 / 16 / 44.1 kHz clips: soxr HQ vs torchaudio "
           "Resample", worst_sim, tolerance=0.25, note="resampler, tiny random model")
