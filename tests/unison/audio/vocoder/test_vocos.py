"""unison.audio.vocoder.vocos: exact output length, strict reload of the weights file (and one
clear error per kind of bad file), thread-count and batch invariance, the config path
(audio.vocoder.kind=vocos, path resolved like the VAE's), and the committed tiny22k weights."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from unison.audio.mel import MEL_PRESETS
from unison.audio.vocoder import build_vocoder
from unison.audio.vocoder.base import VocoderUnavailableError
from unison.audio.vocoder.vocos import (FORMAT, VocosArch, VocosGenerator, VocosVocoder, VocosWeightsError,
                                        load_vocos, read_vocos, save_vocos)
from unison.config import VocoderConfig

MACHINE_THREADS = torch.get_num_threads()
MEL = MEL_PRESETS["hifigan-22k"]  # the tiny22k front end
ARCH = VocosArch(n_mels=80, dim=32, intermediate_dim=64, num_layers=2, n_fft=1024, hop_length=256)
COMMITTED = Path(__file__).resolve().parents[4] / "checkpoints" / "tiny" / "vocos-tiny22k.safetensors"


def _generator(seed=0) -> VocosGenerator:
    torch.manual_seed(seed)
    gen = VocosGenerator(ARCH)
    with torch.no_grad():  # away from the init (zero biases, unit norms) so every weight matters
        for p in gen.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return gen.eval()


def _mels(batch=3, frames=431, seed=1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 80, frames, generator=g) * 2 - 6  # log-mel range


@pytest.mark.parametrize("frames", [1, 7, 431])
def test_output_is_exactly_frames_times_hop(frames):
    voc = VocosVocoder(_generator(), MEL)
    with torch.no_grad():
        wave = voc(_mels(2, frames))
    assert wave.shape == (2, frames * 256) and wave.dtype == torch.float32 and torch.isfinite(wave).all()


def test_saved_file_reloads_strictly_and_identically(tmp_path):
    gen = _generator()
    path = save_vocos(tmp_path / "v.safetensors", gen, MEL, extra={"fit": {"steps": 3}})
    arch, mel, state, meta = read_vocos(path)
    assert arch == ARCH and mel == MEL and meta["format"] == FORMAT and json.loads(meta["fit"]) == {"steps": 3}
    assert state.keys() == gen.state_dict().keys()
    voc = load_vocos(path)
    assert not any(p.requires_grad for p in voc.parameters())
    mel_in = _mels(1, 50)
    with torch.no_grad():
        assert torch.equal(voc(mel_in), VocosVocoder(gen, MEL)(mel_in))
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_weights_files_fail_with_one_clear_error(tmp_path):
    gen = _generator()
    good = save_vocos(tmp_path / "good.safetensors", gen, MEL)
    _, _, state, meta = read_vocos(good)
    with pytest.raises(VocoderUnavailableError, match="not found"):
        load_vocos(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(VocosWeightsError, match="not a safetensors file"):
        load_vocos(tmp_path / "junk.safetensors")
    save_file(state, tmp_path / "nometa.safetensors")
    with pytest.raises(VocosWeightsError, match="metadata format"):
        load_vocos(tmp_path / "nometa.safetensors")
    missing = {k: v for k, v in state.items() if not k.startswith("head.out")}
    save_file(missing, tmp_path / "partial.safetensors", metadata=meta)
    with pytest.raises(VocosWeightsError, match=r"missing keys \[2\]: head.out.weight, head.out.bias"):
        load_vocos(tmp_path / "partial.safetensors")
    wider = dict(meta, arch=json.dumps({**json.loads(meta["arch"]), "dim": 48}))
    save_file(state, tmp_path / "wider.safetensors", metadata=wider)
    with pytest.raises(VocosWeightsError, match="shape mismatches"):
        load_vocos(tmp_path / "wider.safetensors")


def _invariance(voc) -> None:
    mels = _mels(3, 431)
    outs = {}
    with torch.no_grad():
        for threads in (1, MACHINE_THREADS):
            torch.set_num_threads(threads)
            try:
                outs[threads] = (voc(mels), [voc(mels[i:i + 1]) for i in range(3)])
            finally:
                torch.set_num_threads(MACHINE_THREADS)
    for threads, (batch3, singles) in outs.items():
        assert torch.equal(batch3, torch.cat(singles)), f"batch 3 != batch 1 with {threads} threads"
    assert torch.equal(outs[1][0], outs[MACHINE_THREADS][0]), "1 thread != the machine's thread count"


def test_output_is_bitwise_independent_of_thread_count_and_batch():
    _invariance(VocosVocoder(_generator(), MEL))


def test_config_path_builds_it_and_checks_the_mel(tmp_path):
    path = save_vocos(tmp_path / "v.safetensors", _generator(), MEL)
    voc = build_vocoder(VocoderConfig(kind="vocos", weights="hifigan-universal-22k", path=str(path)), MEL)
    assert isinstance(voc, VocosVocoder) and voc.sample_rate == 22050 and voc.hop_length == 256
    with pytest.raises(ValueError, match="needs audio.vocoder.path"):
        build_vocoder(VocoderConfig(kind="vocos", path=None), MEL)
    with pytest.raises(ValueError, match=r"mel.f_max=7600.0 \(vocoder needs 8000.0\)"):
        build_vocoder(VocoderConfig(kind="vocos", path=str(path)), replace(MEL, f_max=7600.0))
    with pytest.raises(ValueError, match="mel.sample_rate"):
        build_vocoder(VocoderConfig(kind="vocos", path=str(path)), MEL_PRESETS["mmaudio-16k"])


TINY = COMMITTED.parent / "unison-tiny.safetensors"


@pytest.mark.skipif(not TINY.is_file(), reason="tiny UNISON checkpoint not present")
def test_a_tiny_checkpoint_switched_to_vocos_records_the_path_relative_to_its_folder(tmp_path):
    """The switch of a tiny checkpoint: audio.vocoder.kind=vocos + path, recorded relative to the
    checkpoint's folder like audio.vae.path, resolved on load from any working directory; the same
    as a command-line override of the unchanged checkpoint."""
    import shutil

    from unison.checkpoint import read_config, read_metadata, relocate_recorded_paths, rewrite_metadata

    folder = tmp_path / "ckpt"
    folder.mkdir()
    ckpt = Path(shutil.copy(TINY, folder / "u.safetensors"))
    voc_path = save_vocos(folder / "vocos.safetensors", _generator(), MEL)
    meta = read_metadata(ckpt)
    meta["config"]["audio"]["vocoder"] = {**meta["config"]["audio"]["vocoder"], "kind": "vocos", "weights": None,
                                          "path": str(voc_path)}
    rewrite_metadata(ckpt, meta)
    assert relocate_recorded_paths(ckpt)["config"]["audio"]["vocoder"]["path"] == "vocos.safetensors"
    cfg = read_config(ckpt)
    assert cfg.audio.vocoder.kind == "vocos" and Path(cfg.audio.vocoder.path) == voc_path.resolve()
    assert isinstance(build_vocoder(cfg.audio.vocoder, cfg.audio.mel), VocosVocoder)
    over = read_config(TINY, {"audio": {"vocoder": {"kind": "vocos", "path": str(voc_path)}}})
    assert isinstance(build_vocoder(over.audio.vocoder, over.audio.mel), VocosVocoder)
    assert read_config(TINY).audio.vocoder.kind == "vocos"  # the committed checkpoint uses the committed vocos
    assert Path(read_config(TINY).audio.vocoder.path).name == COMMITTED.name  # (checkpoints/tiny/set_vocoder.py)


@pytest.mark.skipif(not COMMITTED.is_file(), reason="committed tiny22k vocos weights not present")
def test_committed_tiny22k_weights_load_and_are_invariant():
    from unison.config import load_config

    audio = load_config(["profile=tiny"], cross_checks=False).audio
    voc = build_vocoder(replace(audio.vocoder, kind="vocos", path=str(COMMITTED)), audio.mel)
    assert sum(p.numel() for p in voc.parameters()) < 3_000_000  # a few MB of float32
    _invariance(voc)
