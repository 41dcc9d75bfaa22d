"""Layouts: how the outputs (and inputs) of a test set's items are named in folders that other
evaluation tools script against.

A layout answers two questions, the same way for ``unison-bench export`` (which writes the layout's
files beside ``items.jsonl``) and for the ``files`` system (which reads a model's outputs from a folder
in that layout, without renaming anything):

- ``stems(items)``: item id -> the relative names, without extension, that may hold its output in an
  outputs folder (``ids``: ``<item id>``; ``seedtts``: ``<lang>/<utt>``; ``audiocaps``: ``<youtube_id>``
  or ``<audiocap_id>``). Always computed over the whole test set, so a name never depends on --limit.
- ``rank(item)``: when several items share a name (Seed-TTS: the pure-TTS and the zero-shot item of
  one meta.lst line), the served item of lowest rank gets the file.
- ``export(items, testset)``: relative path -> bytes of the files the export writes under
  ``<DIR>/<layout name>/`` (nothing for ``ids``: items.jsonl is that layout).

A suite lists the layouts its export writes in its YAML (``layouts: [seedtts]``); the ``files`` system
accepts any layout on any suite whose items carry what the layout names them by.
"""
from __future__ import annotations

import importlib
from typing import Any

from bench.item import Item

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")  # what an outputs folder may hold (libsndfile decodes all four)
LAYOUTS = {"ids": "bench.layouts:Layout", "seedtts": "bench.layouts.seedtts:SeedTTSLayout",
           "audiocaps": "bench.layouts.audiocaps:AudioCapsLayout"}
EXPORTED = ("seedtts", "audiocaps")  # layouts that write files of their own in an export


class Layout:
    """The default (``ids``): every item's output is ``<item id>.<ext>`` at the top of the folder."""

    name = "ids"
    summary = "<item id>.<ext> at the top of the folder"

    def stems(self, items: list[Item]) -> dict[str, list[str]]:
        return {it.id: [it.id] for it in items}

    def rank(self, item: Item) -> int:
        return 0

    def export(self, items: list[Item], testset: Any) -> dict[str, bytes]:
        return {}


def get_layout(name: str) -> Layout:
    """The layout called ``name``; ValueError naming the known ones otherwise."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; layouts are {', '.join(LAYOUTS)}")
    module, _, attr = LAYOUTS[name].partition(":")
    return getattr(importlib.import_module(module), attr)()
