import re
from collections import Counter

import numpy as np

from suite_helpers import assert_common, assert_deterministic, pcm

SUITE = "timed_clap"
SR = 16000


def stated_times(instruction: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in re.findall(r"from ([\d.]+) to ([\d.]+) seconds", instruction)]


def test_mini_segments_match_instruction_and_audio(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert Counter(it.subset for it in ts.items) == {"sequential": 8, "overlapping": 8}
    for it in ts.items:
        segs = list(it.segments)
        assert stated_times(it.instruction) == [(s["start"], s["end"]) for s in segs]
        for s in segs:
            assert 0.0 <= s["start"] < s["end"] <= it.seconds and s["end"] - s["start"] >= 1.0
            assert s["caption"].lower().split()[-1] in it.instruction.lower()
        pairs = list(zip(segs, segs[1:]))
        if it.subset == "sequential":
            assert all(a["end"] <= b["start"] for a, b in pairs)
        else:
            assert all(b["start"] < a["end"] - 0.49 for a, b in pairs)
        stems = {k: pcm(ts, v) for k, v in it.meta["stems"].items()}
        total = sum(stems.values())
        assert np.array_equal(pcm(ts, it.target), total)
        for i, s in enumerate(segs):  # each event's energy lies inside its stated interval
            x = stems[f"seg{i}"]
            a, b = int(round(s["start"] * SR)), int(round(s["end"] * SR))
            assert np.all(x[:a] == 0) and np.all(x[b:] == 0) and np.any(x[a:b] != 0)
