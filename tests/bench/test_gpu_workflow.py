"""The GPU regression workflow cannot run here: check it parses and calls commands that exist."""
import argparse
import re
import shlex
from pathlib import Path

import yaml

from bench import regress
from bench.cli import LAZY_SUBCOMMANDS, build_parser

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "gpu-regress.yml"


def _workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def _commands():
    """Every `unison-bench ...` command of the run steps, line continuations joined."""
    steps = _workflow()["jobs"]["regress"]["steps"]
    scripts = [s["run"] for s in steps if "run" in s]
    cmds = []
    for script in scripts:
        joined = script.replace("\\\n", " ")
        cmds += [line.strip() for line in joined.splitlines() if line.strip().startswith("unison-bench ")]
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
    subs = [c.split()[1] for c in cmds]
    assert subs == ["run", "regress"]
    for cmd in cmds:
        argv = _placeholder(cmd)[1:]
        if argv[0] in LAZY_SUBCOMMANDS:
            p = argparse.ArgumentParser()
            regress.add_arguments(p)
            args = p.parse_args(argv[1:])  # raises SystemExit on an unknown flag
            assert args.summary and args.tolerances
        else:
            build_parser().parse_args(argv)


def test_default_tolerances_file_loads():
    tol = regress.load_tolerances(WORKFLOW.parents[2] / "bench" / "regress_configs" / "tolerances.yaml")
    assert tol.lookup("fd@yamnet-16k").rel == 0.05 and tol.lookup("wer@whisper-large-v3-seedtts").ci
