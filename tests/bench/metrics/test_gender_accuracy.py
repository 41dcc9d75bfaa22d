"""gender-acc@voice2gender: per-item hit against item.gender, split by gender."""
import pytest

from bench.item import Item
from bench.metrics.gender import GenderAccuracy, canonical_gender


def _item(i, gender):
    return Item(id=f"i{i}", task="tts", instruction="say it", seconds=2.0, seed=i, gender=gender)


def test_accuracy_split_and_not_applicable():
    items = [_item(0, "male"), _item(1, "female"), _item(2, "F"), _item(3, None), _item(4, "male")]
    feats = {"gen": [{"gender": "male", "score": 0.1}, {"gender": "male", "score": 0.2},
                     {"gender": "female", "score": 0.9}, {"gender": "female", "score": 0.9}, None]}
    res = GenderAccuracy().score(items, feats)
    assert res.per_item == [1.0, 0.0, 1.0, None, None]
    assert res.value == pytest.approx(2 / 3) and res.n == 3
    assert res.extra["acc_male"] == 1.0 and res.extra["acc_female"] == 0.5
    assert res.extra["not_applicable"] == [3] and res.extra["n_failed"] == 1


def test_unknown_gender_label_is_an_error():
    with pytest.raises(ValueError, match="gender"):
        canonical_gender("robot", "item x")
