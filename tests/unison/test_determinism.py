import os
import subprocess
import sys

import torch

from unison.core import determinism

MACHINE_THREADS = torch.get_num_threads()


def test_importing_unison_turns_on_mkl_strict_mode():
    assert os.environ.get("MKL_CBWR") == determinism.MKL_CBWR
    assert determinism.settings()["MKL_CBWR"] == determinism.MKL_CBWR


def test_reduction_heavy_matmul_is_thread_independent_in_a_fresh_process():
    """A small-output, long-reduction product (the shape MKL splits across threads) gives the same
    bits with 1 and 2 threads once unison is imported, before any matmul has run."""
    code = ("import unison, torch\n"
            "g = torch.Generator().manual_seed(0)\n"
            "a, b = torch.randn(80, 2464, generator=g), torch.randn(2464, 128, generator=g)\n"
            "torch.set_num_threads(1); one = a @ b\n"
            "torch.set_num_threads(2); two = a @ b\n"
            "print(torch.equal(one, two))\n")
    env = {k: v for k, v in os.environ.items() if k != "MKL_CBWR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_a_users_own_mkl_mode_is_kept_and_recorded():
    code = "import unison, os; from unison.core import determinism; print(determinism.settings()['MKL_CBWR'])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MKL_CBWR": "COMPATIBLE"},
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "COMPATIBLE", out.stderr


def test_transformers_never_pulls_in_tensorflow():
    """setup.sh installs TensorFlow for the OpenL3 reference test; importing unison keeps transformers
    (and what uses it: sentence-transformers, CLAP) from importing it in our processes."""
    code = "import sys, unison, transformers, sentence_transformers; print('tensorflow' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "USE_TF"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
