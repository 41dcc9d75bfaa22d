"""The analytic parameter count equals the built network's, for every preset and variant."""
import pytest
import torch

from unison.config import ModelConfig, load_config
from unison.model import build_dit, count_parameters
from unison.model.size import count_from_config

PRESETS = ["d24", "d20", "d24_3b", "d24_l", "d24_ol", "s32", "tiny"]


def built(cfg: ModelConfig) -> int:
    with torch.device("meta"):
        return count_parameters(build_dit(cfg))


@pytest.mark.parametrize("name", PRESETS)
def test_count_from_config_matches_the_built_network(name):
    cfg = load_config([f"model={name}"], cross_checks=False).model
    assert count_from_config(cfg) == built(cfg)


@pytest.mark.parametrize("fusion,arch", [("deep", "double"), ("penultimate", "double"),
                                         ("deep+penultimate", "double"), ("deep", "single")])
def test_other_variants_and_odd_widths(fusion, arch):
    """Every variant at widths no preset uses (a non-integer MLP width, other kernels): still exact."""
    cfg = ModelConfig(fusion=fusion, arch=arch, hidden=96, heads=3, depth=3, mlp_ratio=2.5, input_mlp_hidden=50,
                      input_kernel=3, final_kernel=5, latent_channels=8, llm_layers=6, llm_hidden=40)
    assert count_from_config(cfg) == built(cfg)
