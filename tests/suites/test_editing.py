from collections import Counter

import numpy as np

from suite_helpers import assert_common, assert_deterministic, pcm

SUITE = "editing"


def test_mini_relations_exact(built):
    assert_deterministic(built)
    ts = built[0]
    assert_common(ts)
    assert Counter(it.subset for it in ts.items) == {"add": 6, "remove": 6, "replace": 6}
    for it in ts.items:
        src, tgt = pcm(ts, it.source), pcm(ts, it.target)
        st = {k: pcm(ts, v) for k, v in it.meta["stems"].items()}
        ev = st["event"]
        assert np.any(ev != 0)
        if it.subset == "add":
            assert it.task == "edit_add" and it.instruction.startswith("Add ")
            assert np.array_equal(tgt - src, ev)
        elif it.subset == "remove":
            assert it.task == "edit_remove" and it.instruction.startswith("Remove ")
            assert np.array_equal(src - tgt, ev)  # target = source minus the event, exactly
            assert np.array_equal(tgt, st["bg"] + st["floor"])
        else:
            assert it.task == "edit_replace" and it.instruction.startswith("Replace ")
            assert np.array_equal(src - ev, tgt - st["new_event"])
        # the event sits where the meta says
        start = int(round(it.meta["event_offset"] * 16000))
        assert np.all(ev[:start] == 0)
