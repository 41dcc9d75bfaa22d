"""`unison info model=<cfg>`: the parameter table adds up and names the input channels."""
import torch

from unison.config import load_config
from unison.model import build_dit, count_parameters, info, parameter_table


def test_table_parts_sum_to_total():
    cfg = load_config(["model=d24_ol"], cross_checks=False).model
    with torch.device("meta"):
        model = build_dit(cfg)
    rows = parameter_table(model)
    assert rows[-1] == ("total trainable", count_parameters(model))
    assert sum(n for _, n in rows[:-1]) == rows[-1][1]


def test_info_text():
    text = info(load_config(["profile=paper_d20"]))
    assert "input channels 2C+1 = 81" in text
    assert "621,018,664" in text and "27.81 M" in text
    assert "[1, 2, 3, 5, 6, 8, 9, 10, 12, 13, 15, 16, 18, 19, 20, 22, 23, 25, 26, 28]" in text
