"""UNISON: unified flow-matching audio generation and editing with layer-wise deep LLM fusion."""

__version__ = "0.1.0"
