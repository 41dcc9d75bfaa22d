"""Point tiny checkpoints at another vocoder: rewrites the recorded ``audio.vocoder`` block (and
notes the change under ``extra.vocoder_changes``); the DiT weights are copied byte for byte.

    python checkpoints/tiny/set_vocoder.py --kind vocos --path checkpoints/tiny/vocos-tiny22k.safetensors \
        checkpoints/tiny/unison-tiny.safetensors checkpoints/tiny/unison-tiny-l.safetensors

The vocoder is not trained with the DiT (it inverts the preset's mel), so swapping it changes how
a checkpoint's mels become audio, not what the DiT learned. The new vocoder must fit the recorded
mel front end: it is loaded and checked before anything is written.
"""
import argparse
import sys
from pathlib import Path

from unison.audio.vocoder import build_vocoder
from unison.checkpoint import read_config, read_metadata, recorded_relative_paths, rewrite_metadata, tensor_data_sha256
from unison.core.exit_codes import EXIT_BAD_INPUT, EXIT_OK


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", type=Path)
    p.add_argument("--kind", required=True, help="vocoder kind (hifigan, bigvgan_v1, bigvgan_v2, vocos, griffinlim)")
    p.add_argument("--path", type=Path, default=None, help="weights file (vocos)")
    p.add_argument("--weights", default=None, help="named published weights (hifigan, bigvgan)")
    a = p.parse_args()
    new = {"kind": a.kind, "weights": a.weights, "path": str(a.path.resolve()) if a.path else None}
    for ckpt in a.checkpoints:
        try:
            meta = read_metadata(ckpt)
            cfg = read_config(ckpt, {"audio": {"vocoder": new}})
            build_vocoder(cfg.audio.vocoder, cfg.audio.mel)  # loads and checks the mel fit before writing
        except Exception as e:  # noqa: BLE001 - one line naming the checkpoint and the reason
            print(f"error: {ckpt}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        old = dict(meta["config"]["audio"]["vocoder"])
        vocoder = {**old, **new}
        config = {**meta["config"], "audio": {**meta["config"]["audio"], "vocoder": vocoder}}
        config = recorded_relative_paths(config, ckpt.resolve().parent)
        extra = dict(meta.get("extra") or {})
        extra["vocoder_changes"] = [*extra.get("vocoder_changes", []),
                                    {"from": old, "to": config["audio"]["vocoder"], "by": "checkpoints/tiny/set_vocoder.py"}]
        before = tensor_data_sha256(ckpt)
        rewrite_metadata(ckpt, {**meta, "config": config, "extra": extra})
        assert tensor_data_sha256(ckpt) == before  # weights untouched
        print(f"{ckpt}: vocoder {old['kind']} -> {a.kind}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
