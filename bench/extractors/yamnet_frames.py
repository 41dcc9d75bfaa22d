"""YAMNet per-patch class scores (the frame-level detections of the event metrics,
bench/metrics/events.py): the same model, front end and patching as ``yamnet-16k``
(bench/extractors/yamnet.py: 0.96 s patches, 0.48 s hop, the last partial patch zero-padded).

Per clip: ``frame_probs`` (P, 521) float32 = sigmoid of the float classifier output of each
patch; ``hop_s`` 0.48; ``win_s`` 0.96; ``duration_s`` the clip's length.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from bench.extractors.yamnet import HOP_LENGTH, PATCH_FRAMES, PATCH_HOP_FRAMES, SAMPLE_RATE, YAMNet

HOP_S = PATCH_HOP_FRAMES * HOP_LENGTH / SAMPLE_RATE  # 0.48
WIN_S = PATCH_FRAMES * HOP_LENGTH / SAMPLE_RATE  # 0.96


class YAMNetFrames(YAMNet):
    name = "yamnet-16k-frames"

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "output": "per-patch sigmoid scores (P, 521)", "frames_version": 1}

    def extract(self, waves: list[np.ndarray], sides: list[str | None]) -> list[dict[str, Any]]:
        out = []
        for wave, (_, logits) in zip(waves, self.patch_outputs(waves)):
            probs = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
            out.append({"frame_probs": probs.astype(np.float32), "hop_s": HOP_S, "win_s": WIN_S,
                        "duration_s": len(wave) / SAMPLE_RATE})
        return out


def build() -> YAMNetFrames:
    return YAMNetFrames()
