import json
import os

import pytest
import torch

from unison import checkpoint as ck
from unison.config import load_config, to_dict


@pytest.fixture(scope="module")
def cfg():
    return load_config(["profile=tiny"])


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def test_round_trip_weights_and_metadata(tmp_path, cfg):
    net = _net()
    C = cfg.model.latent_channels
    stats = {"mean": torch.arange(C, dtype=torch.float32), "std": torch.ones(C) * 2}
    path = ck.save_checkpoint(tmp_path / "sub" / "u.safetensors", net.state_dict(), cfg, step=123,
                              latent_stats=stats, extra={"note": "t"})
    assert sorted(os.listdir(path.parent)) == ["u.safetensors"]  # no temp file left
    got = ck.load_checkpoint(path)
    assert to_dict(got.config) == to_dict(cfg) and got.step == 123
    assert torch.equal(got.latent_mean, stats["mean"]) and torch.equal(got.latent_std, stats["std"])
    meta = got.meta
    assert meta["format_version"] == ck.FORMAT_VERSION
    assert meta["llm"]["model_id"] == cfg.llm.model_id and meta["llm"]["template"] == cfg.llm.template
    assert meta["vae"]["weights"] == cfg.audio.vae.weights and "git" in meta and meta["extra"] == {"note": "t"}
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    ck.load_into(fresh, got.state_dict, path)
    for a, b in zip(fresh.state_dict().values(), net.state_dict().values()):
        assert torch.equal(a, b)
    # overrides change non-architecture fields of the recorded config
    over = ck.load_checkpoint(path, {"sample": {"steps": 7}})
    assert over.config.sample.steps == 7


def test_strict_load_names_file_keys_and_shapes(tmp_path, cfg):
    path = ck.save_checkpoint(tmp_path / "u.safetensors", _net().state_dict(), cfg)
    other = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Linear(5, 2), torch.nn.Linear(2, 2))
    with pytest.raises(ck.CheckpointError) as e:
        ck.load_into(other, ck.load_checkpoint(path).state_dict, path)
    msg = str(e.value)
    assert str(path) in msg and "missing keys (2): 2.bias, 2.weight" in msg
    assert "0.weight: checkpoint (4, 3) vs model (5, 3)" in msg and "--ckpt" in msg


def test_missing_and_foreign_files(tmp_path, cfg):
    with pytest.raises(ck.MissingCheckpointError, match="nope.safetensors.*--ckpt"):
        ck.load_checkpoint(tmp_path / "nope.safetensors")
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(1)}, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ck.CheckpointError, match="plain.safetensors.*no 'unison' metadata"):
        ck.load_checkpoint(tmp_path / "plain.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a file")
    with pytest.raises(ck.CheckpointError, match="junk.safetensors"):
        ck.read_metadata(tmp_path / "junk.safetensors")
    with pytest.raises(ck.CheckpointError, match="latent stats have 3 channels"):
        ck.save_checkpoint(tmp_path / "x.safetensors", {}, cfg, latent_stats={"mean": [0, 0, 0], "std": [1, 1, 1]})


def test_failed_write_leaves_nothing(tmp_path, cfg):
    t = torch.zeros(4)
    with pytest.raises(Exception):
        ck.save_checkpoint(tmp_path / "u.safetensors", {"a": t, "b": t[:2]}, cfg)  # shared storage is refused
    assert os.listdir(tmp_path) == []
