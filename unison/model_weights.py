"""Every weights file the model itself can load (VAE, vocoder, text LLM), as resolver specs."""
from __future__ import annotations

from unison.core.weights import WeightSpec


def weight_specs() -> list[WeightSpec]:
    from unison.audio.vae import VAE_WEIGHTS
    from unison.audio.vocoder.bigvgan import VOCODER_WEIGHTS
    from unison.text.loaders import llm_weight_specs

    return [*VAE_WEIGHTS.values(), *VOCODER_WEIGHTS.values(), *llm_weight_specs()]
