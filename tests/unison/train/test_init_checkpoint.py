"""The step-0 baseline checkpoint: the reference's config and stats, the trainer's initial weights."""
import pytest
import torch

from conftest import tiny_config
from unison import checkpoint as ck
from unison.model.dit import build_dit
from unison.train.init_checkpoint import write_init_checkpoint
from unison.train.run import initial_dit


def _trained(tmp_path, seed=3):
    cfg = tiny_config(seed=seed)
    torch.manual_seed(123)
    model = build_dit(cfg.model)
    for p in model.parameters():  # "trained": every weight moved away from its initial value
        p.data.add_(torch.randn_like(p))
    stats = {"mean": torch.arange(cfg.model.latent_channels, dtype=torch.float32), "std": torch.ones(cfg.model.latent_channels)}
    return cfg, ck.save_checkpoint(tmp_path / "trained.safetensors", model.state_dict(), cfg, step=800,
                                   latent_stats=stats, extra={"weights": "ema"})


def test_init_checkpoint_has_the_seeded_step0_weights_and_the_reference_metadata(tmp_path):
    cfg, ref = _trained(tmp_path)
    torch.manual_seed(999)
    before = torch.random.get_rng_state()
    out = write_init_checkpoint(ref, tmp_path / "init.safetensors")
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's RNG is untouched
    got, trained = ck.load_checkpoint(out), ck.load_checkpoint(ref)
    torch.manual_seed(cfg.train.seed)
    expected = build_dit(cfg.model).state_dict()  # what `unison train` starts from
    assert got.state_dict.keys() == expected.keys()
    assert all(torch.equal(got.state_dict[k], expected[k]) for k in expected)
    assert all(torch.equal(initial_dit(cfg).state_dict()[k], expected[k]) for k in expected)
    assert any(not torch.equal(got.state_dict[k], trained.state_dict[k]) for k in expected)
    assert got.step == 0 and got.meta["extra"]["weights"] == "init" and got.meta["extra"]["seed"] == 3
    assert torch.equal(got.latent_mean, trained.latent_mean) and torch.equal(got.latent_std, trained.latent_std)
    assert got.meta["config"] == trained.meta["config"]


def test_reference_of_another_architecture_is_refused(tmp_path):
    cfg, _ = _trained(tmp_path)
    other = build_dit(cfg.model).state_dict()
    other.pop(next(iter(other)))
    bad = ck.save_checkpoint(tmp_path / "bad.safetensors", other, cfg)
    with pytest.raises(ck.CheckpointError, match="missing keys"):
        write_init_checkpoint(bad, tmp_path / "init.safetensors")
    assert not (tmp_path / "init.safetensors").exists()
