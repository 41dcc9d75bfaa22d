import re
from collections import Counter

import numpy as np

from suite_helpers import assert_common, assert_deterministic, pcm

SUITE = "speech_in_scene"


def test_mini_relations_exact(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert Counter(it.subset for it in ts.items) == {"insert": 6, "delete": 6, "rewrite": 6}
    for it in ts.items:
        src, tgt = pcm(ts, it.source), pcm(ts, it.target)
        st = {k: pcm(ts, v) for k, v in it.meta["stems"].items()}
        start = int(round(it.meta["speech_start"] * 16000))
        assert np.all(st["speech"][:start] == 0) and np.any(st["speech"][start:start + 3200] != 0)
        if it.subset == "insert":
            assert it.task == "sis_insert" and np.array_equal(tgt - src, st["speech"])
            stated = float(re.search(r"at ([\d.]+) seconds", it.instruction).group(1))
            assert stated == it.meta["speech_start"] and it.text in it.instruction
        elif it.subset == "delete":
            assert it.task == "sis_delete" and it.text is None
            assert np.array_equal(src - tgt, st["speech"])
        else:
            assert it.task == "sis_rewrite"
            assert np.array_equal(src - st["speech"], tgt - st["new_speech"])
            assert it.text != it.meta["old_text"] and it.text in it.instruction
            assert it.meta["new_speech_src"].rsplit("-", 1)[0] == it.meta["speech_src"].rsplit("-", 1)[0] \
                or it.meta["speech_src"].startswith("asterisk")  # same speaker
