"""Session fixtures: tiny real-format text LLM checkpoints (built by tiny_llms.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from tiny_llms import save_tiny_llama, save_tiny_qwen_omni


@pytest.fixture(scope="session")
def tiny_qwen_omni_dir(tmp_path_factory) -> Path:
    return save_tiny_qwen_omni(tmp_path_factory.mktemp("tiny-qwen-omni"))


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
