"""UNISON: unified flow-matching audio generation and editing with layer-wise deep LLM fusion."""
from unison.core import determinism

determinism.enable()  # before any matrix product: MKL reads its reproducibility mode once

__version__ = "0.1.0"
