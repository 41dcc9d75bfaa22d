"""UNISON: unified flow-matching audio generation and editing with layer-wise deep LLM fusion."""
import os

from unison.core import determinism

determinism.enable()  # before any matrix product: MKL reads its reproducibility mode once
# transformers imports TensorFlow whenever it is installed (the conformance extra installs it for the
# OpenL3 reference test): seconds per process and C++ notices on the terminal, for nothing we run.
os.environ.setdefault("USE_TF", "0")

__version__ = "0.1.0"
