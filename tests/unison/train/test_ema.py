import pytest
import torch

from unison.train.ema import EMA


def test_updates_only_every_n_steps_with_decay():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = EMA(model, decay=0.9, every=10)
    with torch.no_grad():
        model.weight.fill_(1.0)
    updated = [ema.update(model, step) for step in range(1, 31)]
    assert [s for s, u in zip(range(1, 31), updated) if u] == [10, 20, 30]
    assert ema.num_updates == 3
    expected = 1 - 0.9 ** 3  # three updates towards 1 from 0
    assert torch.allclose(ema.shadow["weight"], torch.full((1, 2), expected))


def test_state_round_trip_and_weights():
    model = torch.nn.Linear(3, 2)
    ema = EMA(model, decay=0.999, every=10)
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model, 10)
    other = EMA(model, decay=0.5, every=3)
    other.load_state_dict(ema.state_dict())
    assert other.decay == 0.999 and other.every == 10 and other.num_updates == 1
    assert all(torch.equal(other.shadow[k], ema.shadow[k]) for k in ema.shadow)
    w = ema.weights(model)
    assert set(w) == set(model.state_dict()) and torch.equal(w["weight"], ema.shadow["weight"])
    with pytest.raises(ValueError, match="ema_decay"):
        EMA(model, decay=1.5)
