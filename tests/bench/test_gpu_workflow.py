"""The GPU regression workflow cannot run here: check it parses and calls commands that exist."""
import argparse
import importlib
import re
import shlex
from pathlib import Path

import yaml

from bench import regress
from bench.cli import LAZY_SUBCOMMANDS, build_parser

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "gpu-regress.yml"


def _workflow():
    return yaml.safe_load(WORKFLOW.read_text())


TORCHRUN = re.compile(r"^torchrun\s+(?P<flags>(?:--[\w-]+(?:=\S+)?\s+)*)--no-python\s+(?P<cmd>unison-bench .*)$")


def _lines():
    """Every line of the run steps, line continuations joined."""
    steps = _workflow()["jobs"]["regress"]["steps"]
    return [line.strip() for s in steps if "run" in s for line in s["run"].replace("\\\n", " ").splitlines()]


def _commands():
    """Every `unison-bench ...` command of the run steps (also those launched by torchrun)."""
    cmds = []
    for line in _lines():
        m = TORCHRUN.match(line)
        if m:
            cmds.append(m.group("cmd"))
        elif line.startswith("unison-bench "):
            cmds.append(line)
    return cmds


def _placeholder(cmd):
    # ${{ inputs.x }} becomes the input's default, shell variables a plain word, so that argparse
    # checks the flags and their choices.
    wf = _workflow()
    inputs = wf.get("on", wf.get(True))["workflow_dispatch"]["inputs"]
    cmd = re.sub(r"\$\{\{\s*inputs\.(\w+)\s*\}\}", lambda m: str(inputs[m.group(1)].get("default", "X")), cmd)
    cmd = re.sub(r"\$\{\{[^}]*\}\}", "X", cmd)
    return [re.sub(r"\$\{?\w+\}?", "X", w) for w in shlex.split(cmd)]


def test_workflow_is_valid_yaml_with_gpu_runner():
    wf = _workflow()
    triggers = wf.get("on", wf.get(True))  # PyYAML reads the bare key `on` as True
    assert "workflow_dispatch" in triggers
    job = wf["jobs"]["regress"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    assert all("uses" in s or "run" in s for s in job["steps"])


def test_workflow_commands_exist_with_their_flags():
    cmds = _commands()
    subs = [" ".join(c.split()[1:3]) if c.split()[1] == "weights" else c.split()[1] for c in cmds]
    assert subs == ["weights fetch", "weights verify", "run", "regress"]
    for cmd in cmds:
        argv = _placeholder(cmd)[1:]
        if argv[0] in LAZY_SUBCOMMANDS:
            p = argparse.ArgumentParser()
            importlib.import_module(LAZY_SUBCOMMANDS[argv[0]][0]).add_arguments(p)
            args = p.parse_args(argv[1:])  # raises SystemExit on an unknown flag
            if argv[0] == "regress":
                assert args.summary and args.tolerances
            else:
                assert args.protocol == "paper"
        else:
            build_parser().parse_args(argv)


def test_suites_run_one_process_per_gpu_under_torchrun():
    runs = [line for line in _lines() if TORCHRUN.match(line) and " run " in line]
    assert len(runs) == 1 and '--nproc_per_node="$NGPU"' in runs[0]
    assert any(line.startswith("NGPU=$(nvidia-smi -L") for line in _lines())


def test_evaluator_weights_are_cached_fetched_online_then_verified():
    steps = _workflow()["jobs"]["regress"]["steps"]
    names = [s.get("name") for s in steps]
    cache = steps[names.index("Cache evaluator weights")]
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["path"] == "${{ env.UNISON_WEIGHTS_DIR }}" and "hashFiles(" in cache["with"]["key"]
    fetch = steps[names.index("Fetch and verify evaluator weights")]
    assert fetch["env"]["HF_HUB_OFFLINE"] == "0"  # the job is offline everywhere else
    assert names.index("Cache evaluator weights") < names.index("Fetch and verify evaluator weights") \
        < names.index("Run suites")
    assert "UNISON_WEIGHTS_DIR" in _workflow()["jobs"]["regress"]["env"]


def test_default_tolerances_file_loads():
    tol = regress.load_tolerances(WORKFLOW.parents[2] / "bench" / "regress_configs" / "tolerances.yaml")
    assert tol.lookup("fd@yamnet-16k").rel == 0.05 and tol.lookup("wer@whisper-large-v3-seedtts").ci
