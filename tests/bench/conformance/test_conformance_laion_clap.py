"""LAION-CLAP (clap@laion-*) against laion-clap's own loading and file path, same weights.

Reference: ``CLAP_Module.load_ckpt(ckpt=...)`` (laion-clap's ``load_state_dict``: strips
"module.", deletes ``position_ids``) and ``get_audio_embedding_from_filelist`` (librosa.load at
48 kHz, int16 quantisation, repeat-pad / random crop to 10 s) and ``get_text_embedding``.
Ours: our strict loader and ``get_audio_embedding_from_data`` on bench's soxr-resampled clip.
laion-clap does not seed its random 10 s crop; we seed numpy with 0 per clip (signature), so the
reference is seeded the same way before each call. HTSAT-tiny (the 630k checkpoint's audio
model; the paper protocol's HTSAT-base goes through the same code) with tiny RoBERTa / BERT /
BART tokenizer files in a temporary Hugging Face cache, in a subprocess because the hub cache
location is fixed when huggingface_hub is imported."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conformance_common import clip_paths, pkg
from test_laion_clap import make_tiny_text_models

pytestmark = pytest.mark.conformance
REPO_ROOT = Path(__file__).resolve().parents[3]
FLOAT32_TOL = 1e-5  # relative to the (unit-norm) embedding range

SCRIPT = textwrap.dedent("""
    import contextlib, io, json, sys
    import numpy as np, torch
    import laion_clap
    from unison.core.audio import read_mono
    from bench.extractors.laion_clap import LaionClapExtractor

    ckpt, clips = sys.argv[1], sys.argv[2:]
    torch.manual_seed(0)
    src = laion_clap.CLAP_Module(enable_fusion=False, amodel="HTSAT-tiny", device="cpu")
    sd = {"module." + k: v for k, v in src.model.state_dict().items()}
    sd["module.text_branch.embeddings.position_ids"] = torch.arange(80)[None]  # as in the published files
    torch.save({"epoch": 45, "state_dict": sd}, ckpt)
    del src
    ref = laion_clap.CLAP_Module(enable_fusion=False, amodel="HTSAT-tiny", device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        ref.load_ckpt(ckpt=ckpt)
    ref.eval()
    ext = LaionClapExtractor("630k", weights=ckpt)
    caps = ["a man speaks on the telephone", "a woman reads a story aloud", "a short spoken word"][: len(clips)]
    ours = ext.extract([read_mono(c, 48000)[0] for c in clips], caps)
    import librosa
    out = {"audio": [], "same_length": [], "text": 0.0, "spread": 0.0}
    with torch.no_grad():
        theirs_text = ref.get_text_embedding(caps)
        theirs_audio = []
        for c in clips:
            np.random.seed(0)
            theirs_audio.append(ref.get_audio_embedding_from_filelist([c])[0])
    for c, o, ta, tt in zip(clips, ours, theirs_audio, theirs_text):
        out["audio"].append(float(np.abs(o["audio_embedding"] - ta).max() / np.abs(ta).max()))
        out["same_length"].append(len(read_mono(c, 48000)[0]) == len(librosa.load(c, sr=48000)[0]))
        out["text"] = max(out["text"], float(np.abs(o["text_embedding"] - tt).max() / np.abs(tt).max()))
    out["spread"] = float(np.abs(theirs_audio[0] - theirs_audio[1]).max())
    print("RESULT" + json.dumps(out))
""")


def test_clap_embeddings_match_laion_clap(tmp_path, record):
    if importlib.util.find_spec("laion_clap") is None:  # importing it here would need the HF files
        pytest.skip("laion-clap is not installed")
    clips = clip_paths("asterisk demo-congrats (8 kHz, 30.3 s speech)", "LibriVox 0870 (16 kHz, 7.1 s speech)",
                       "tuxpaint chilepepper (44.1 kHz, 1.1 s)")
    hub = tmp_path / "hf" / "hub"
    make_tiny_text_models(hub, tmp_path)
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "630k-audioset-best.pt"), *map(str, clips)],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, proc.stderr[-3000:]
    out = json.loads(line[0][len("RESULT"):])
    assert out["spread"] > 0.01  # the clips' embeddings differ: the comparison can tell
    ref = pkg("laion_clap")
    same = [d for d, s in zip(out["audio"], out["same_length"]) if s]
    other = [d for d, s in zip(out["audio"], out["same_length"]) if not s]
    assert len(same) == 2 and len(other) == 1  # the 44.1 kHz clip: one sample fewer than librosa's
    record("LAION-CLAP audio embedding", ref, "HTSAT-tiny; 30 s (cropped) 8 kHz and 7 s 16 kHz clips; load_ckpt + "
           "get_audio_embedding_from_filelist vs ours", max(same), tolerance=FLOAT32_TOL)
    # soxr returns round(n * 48000 / 44100) samples, librosa.load ceil(...): 51682 vs 51683 here, so the
    # 1.1 s clip repeat-padded to 10 s is tiled with a growing shift.
    record("LAION-CLAP audio embedding", ref, "1.1 s 44.1 kHz clip, repeat-padded: one sample shorter than "
           "librosa's resampled length", max(other), tolerance=1e-3, note="length rounding")
    record("LAION-CLAP text embedding", ref, "RoBERTa (tiny); get_text_embedding after load_ckpt vs ours",
           out["text"], tolerance=FLOAT32_TOL)
