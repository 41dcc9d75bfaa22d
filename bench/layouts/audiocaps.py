"""The ``audiocaps`` layout: an AudioCaps-style CSV and outputs named by YouTube id or audiocap id.

Export (under ``<DIR>/audiocaps/``)::

    test.csv    audiocap_id,youtube_id,start_time,caption   one row per item, sorted by audiocap_id

Paper-scale AudioCaps items carry the release's ``audiocap_id``, ``youtube_id`` and ``start_time`` in
``meta`` (suites/_paper_data.py). Items without them (the mini scale's recorded sound effects) get
``youtube_id`` = the item id, ``audiocap_id`` = the item's 1-based position in the whole test set
(sorted by id, so --limit never renumbers) and ``start_time`` 0. The caption is the item's caption
(its instruction when it has none).

Outputs: ``<youtube_id>.<ext>`` or ``<audiocap_id>.<ext>`` at the top of the folder (either is
accepted; both for one item is an ambiguity that fails that item).
"""
from __future__ import annotations

import csv
import io
from typing import Any

from bench.item import Item
from bench.layouts import Layout

COLUMNS = ("audiocap_id", "youtube_id", "start_time", "caption")


def rows(items: list[Item], all_items: list[Item]) -> dict[str, dict[str, Any]]:
    """item id -> its CSV fields (positions are taken over ``all_items``, the whole test set)."""
    position = {it.id: k for k, it in enumerate(sorted(all_items, key=lambda it: it.id), 1)}
    return {it.id: {"audiocap_id": int(it.meta.get("audiocap_id", position[it.id])),
                    "youtube_id": str(it.meta.get("youtube_id", it.id)),
                    "start_time": it.meta.get("start_time", 0),
                    "caption": " ".join(str(it.caption or it.instruction).split())} for it in items}


class AudioCapsLayout(Layout):
    name = "audiocaps"
    summary = "<youtube_id>.<ext> or <audiocap_id>.<ext>, ids as in the export's audiocaps/test.csv"

    def stems(self, items: list[Item]) -> dict[str, list[str]]:
        return {i: [r["youtube_id"], str(r["audiocap_id"])] for i, r in rows(items, items).items()}

    def export(self, items: list[Item], testset: Any) -> dict[str, bytes]:
        fields = rows(items, testset.items)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in sorted(fields.values(), key=lambda r: r["audiocap_id"]):
            w.writerow([r[c] for c in COLUMNS])
        return {"test.csv": buf.getvalue().encode("utf-8")}
