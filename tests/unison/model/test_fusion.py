"""Layer map i_k = floor(1 + k (L-1)/(D-1)) and the hidden_states indices each variant consumes."""
from fractions import Fraction
import math

import pytest
import torch

from unison.config import ModelConfig
from unison.model import build_dit
from unison.model.fusion import layer_map

D24_L28 = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 22, 23, 24, 25, 26, 28]  # docs/design.md §1
D20_L28 = [1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15, 16, 18, 19, 20, 22, 23, 25, 26, 28]  # docs/design.md §1
D24_L36 = [1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26, 28, 29, 31, 32, 34, 36]


def formula(depth: int, llm_layers: int) -> list[int]:
    return [math.floor(1 + Fraction(k * (llm_layers - 1), depth - 1)) for k in range(depth)]


def test_design_lists():
    assert layer_map(24, 28) == D24_L28
    assert layer_map(20, 28) == D20_L28


def test_3b_list_matches_formula():
    assert formula(24, 36) == D24_L36
    assert layer_map(24, 36) == D24_L36


@pytest.mark.parametrize("depth, llm_layers", [(2, 2), (4, 18), (24, 28), (20, 28), (24, 36), (32, 28), (7, 6)])
def test_endpoints_and_monotone(depth, llm_layers):
    m = layer_map(depth, llm_layers)
    assert m == formula(depth, llm_layers)
    assert len(m) == depth and m[0] == 1 and m[-1] == llm_layers
    assert all(a <= b for a, b in zip(m, m[1:]))


def test_layer_map_rejects_single_block():
    with pytest.raises(ValueError, match="depth"):
        layer_map(1, 28)


@pytest.mark.parametrize("fusion, arch, expected", [
    ("deep", "double", D24_L28),
    ("penultimate", "double", [27]),
    ("deep+penultimate", "double", D24_L28 + [27]),
])
def test_text_layers_per_variant(fusion, arch, expected):
    with torch.device("meta"):
        model = build_dit(ModelConfig(fusion=fusion, arch=arch))
    assert model.text_layers() == expected
