"""Recorded file paths (audio.vae.path, ...) in checkpoints: relative to the checkpoint's folder when
written, resolved against that folder (then the working directory) when read, so a checkpoint
works from any working directory; metadata rewrites leave the tensor bytes unchanged."""
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from unison import checkpoint as ck
from unison.config import load_config

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "checkpoints" / "tiny" / "unison-tiny.safetensors"


@pytest.fixture
def cfg():
    return load_config(["profile=tiny"])


def _weights():
    torch.manual_seed(0)
    return {"w": torch.randn(5, 3), "b": torch.randn(3).to(torch.bfloat16)}


def _layout(tmp_path):
    """tmp/models/{u.safetensors, vae.pth} and an unrelated working directory tmp/elsewhere."""
    models, elsewhere = tmp_path / "models", tmp_path / "elsewhere"
    models.mkdir()
    elsewhere.mkdir()
    (models / "vae.pth").write_bytes(b"vae")
    return models, elsewhere


def test_path_inside_the_folder_is_recorded_relative_and_loads_from_any_cwd(tmp_path, cfg, monkeypatch):
    models, elsewhere = _layout(tmp_path)
    cfg.audio.vae.path = str(models / "vae.pth")
    cfg.audio.vocoder.path = str(tmp_path / "voc.pt")  # outside the folder: kept as given
    path = ck.save_checkpoint(models / "u.safetensors", _weights(), cfg)
    recorded = ck.read_metadata(path)["config"]["audio"]
    assert recorded["vae"]["path"] == "vae.pth" and recorded["vocoder"]["path"] == str(tmp_path / "voc.pt")
    monkeypatch.chdir(elsewhere)
    got = ck.load_checkpoint(Path("..") / "models" / "u.safetensors")
    assert got.config.audio.vae.path == str((models / "vae.pth").resolve())


def test_cwd_relative_path_still_loads_and_is_relocated_without_touching_the_weights(tmp_path, cfg, monkeypatch):
    models, elsewhere = _layout(tmp_path)
    monkeypatch.chdir(tmp_path)  # a checkpoint written the old way: path relative to the repo root
    path = ck.save_checkpoint(models / "u.safetensors", _weights(), cfg)
    meta = ck.read_metadata(path)
    meta["config"]["audio"]["vae"]["path"] = "models/vae.pth"
    ck.rewrite_metadata(path, meta)
    data_hash, tensors = ck.tensor_data_sha256(path), load_file(str(path))
    assert ck.load_checkpoint(path).config.audio.vae.path == str(models / "vae.pth")  # via the CWD
    monkeypatch.chdir(elsewhere)
    with pytest.raises(FileNotFoundError):  # from elsewhere the old record points nowhere
        Path(ck.load_checkpoint(models / "u.safetensors").config.audio.vae.path).resolve(strict=True)
    monkeypatch.chdir(tmp_path)
    new = ck.relocate_recorded_paths(path)
    assert new["config"]["audio"]["vae"]["path"] == "vae.pth"
    assert ck.tensor_data_sha256(path) == data_hash
    after = load_file(str(path))
    assert after.keys() == tensors.keys() and all(torch.equal(after[k], tensors[k]) for k in tensors)
    assert {k: v for k, v in ck.read_metadata(path).items() if k != "config"} == \
        {k: v for k, v in meta.items() if k != "config"}  # step, stats, git, created: as they were
    monkeypatch.chdir(elsewhere)
    assert ck.load_checkpoint(models / "u.safetensors").config.audio.vae.path == str(models / "vae.pth")


def test_overrides_stay_relative_to_the_working_directory(tmp_path, cfg, monkeypatch):
    models, elsewhere = _layout(tmp_path)
    cfg.audio.vae.path = str(models / "vae.pth")
    path = ck.save_checkpoint(models / "u.safetensors", _weights(), cfg)
    (elsewhere / "vae.pth").write_bytes(b"other")
    monkeypatch.chdir(elsewhere)
    got = ck.load_checkpoint(path, {"audio": {"vae": {"path": "vae.pth"}}})
    assert got.config.audio.vae.path == "vae.pth"  # the user's own file in the CWD, not the recorded one


def test_rewrite_refuses_foreign_files(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ck.CheckpointError, match="no 'unison' metadata"):
        ck.rewrite_metadata(tmp_path / "plain.safetensors", {"format": ck.FORMAT_NAME})


@pytest.mark.skipif(not TINY.is_file(), reason="the committed tiny checkpoint is not in this checkout")
def test_committed_tiny_checkpoint_loads_its_vae_from_another_directory(tmp_path, monkeypatch):
    from unison.audio.vae import load_vae

    monkeypatch.chdir(tmp_path)
    got = ck.load_checkpoint(TINY)
    assert Path(got.config.audio.vae.path) == (TINY.parent / "vae.pth").resolve()
    vae = load_vae(got.config.audio.vae)
    assert sum(p.numel() for p in vae.parameters()) > 1_000_000
