import re

import pytest

from unison import cli


def test_info_prints_parameter_table_and_channels(capsys):
    assert cli.main(["info", "model=d24"]) == 0
    out = capsys.readouterr().out
    assert "input channels 2C+1 = 41" in out
    total = int(re.search(r"total trainable\s+([\d,]+)", out).group(1).replace(",", ""))
    assert abs(total - 732e6) / 732e6 < 0.005  # the paper's 732 M
    assert cli.main(["info", "model=d20"]) == 0
    assert "input channels 2C+1 = 81" in capsys.readouterr().out


def test_generate_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    out = tmp_path / "o.wav"
    rc = cli.main(["generate", "--ckpt", str(tmp_path / "missing.safetensors"), "--task", "tts",
                   "--text", "hi", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "missing.safetensors" in err and "--ckpt" in err and not out.exists()
    with pytest.raises(SystemExit):
        cli.main(["generate", "--ckpt", "x", "--task", "sing", "--text", "hi", "-o", str(out)])
    assert "invalid choice: 'sing'" in capsys.readouterr().err


def test_perf_subcommand_is_wired():
    args = cli.build_parser().parse_args(["perf", "--threads", "1", "--steps", "2", "--json", "p.json"])
    assert args.func is cli._perf and args.threads == 1 and args.steps == 2


# ---- bad inputs: one line on stderr naming the option or file, exit 2, no traceback, no output ----

import os  # noqa: E402
import pickle  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


class _RunsCode:
    """Unpickling this runs a shell command: what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious(path, marker, torch_format=True):
    """A pickle that would create ``marker`` if loaded by an unsafe loader."""
    import torch

    if torch_format:
        torch.save({"generator": {"w": _RunsCode(marker)}}, path)
    else:
        path.write_bytes(pickle.dumps({"w": _RunsCode(marker)}))
    return path


def _refused(rc, err, *names, out=None):
    assert rc == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    for name in names:
        assert name in errors[0], (name, errors[0])
    if out is not None:
        assert not out.exists() and not list(out.parent.glob(f".{out.name}.*"))


def _generate(ckpt, out, *extra, task="tts", text="A woman says hello."):
    return ["generate", "--ckpt", str(ckpt), "--task", task, "--text", text, "--seconds", "0.5", "--steps", "1",
            "-o", str(out), *extra]


@pytest.mark.bad_input
@pytest.mark.parametrize("extra, names", [
    (["--seconds", "nan"], ["--seconds", "nan"]),
    (["--seconds", "inf"], ["--seconds"]),
    (["--seconds", "0"], ["--seconds"]),
    (["--seconds", "1e6"], ["--seconds", "sample.max_seconds = 22 s"]),
    (["--steps", "0"], ["--steps", "sample.max_steps"]),
    (["--steps", "100000"], ["--steps"]),
    (["--cfg-scale", "nan"], ["--cfg-scale"]),
    (["--seed", "-1"], ["--seed"]),
    (["--seed", str(2 ** 63)], ["--seed"]),
    (["--text", ""], ["--text", "empty"]),
    (["--text", "  \t "], ["--text"]),
    (["sample.bogus=1"], ["sample.bogus", "not a config field", "sample.steps"]),
    (["sample.steps=abc"], ["sample.steps"]),
    (["-o", "out.mp3"], ["-o/--output", ".wav"]),
    (["--device", "gpu0"], ["--device", "not a torch device"]),
])
def test_generate_refuses_bad_options_before_loading(random_tiny_ckpt, tmp_path, capsys, extra, names):
    path, _, _ = random_tiny_ckpt
    out = tmp_path / "o.wav"
    t0 = time.perf_counter()
    rc = cli.main(_generate(path, out, *extra))
    _refused(rc, capsys.readouterr().err, *names, out=out)
    assert time.perf_counter() - t0 < 20  # checked before the model loads; --seconds 1e6 never starts
    assert list(tmp_path.iterdir()) == []


def _wav(path, wave, sr=16000, subtype="PCM_16"):
    sf.write(path, np.asarray(wave, np.float32), sr, subtype=subtype)
    return path


@pytest.mark.bad_input
def test_generate_refuses_unusable_audio_naming_the_file(random_tiny_ckpt, tmp_path, capsys):
    path, _, _ = random_tiny_ckpt
    out = tmp_path / "out" / "o.wav"
    tone = 0.3 * np.sin(np.arange(16000) / 3.0)
    cases = [
        (_wav(tmp_path / "ten_samples.wav", tone[:10]), "edit", "--source", ["ten_samples.wav", "too short"]),
        (_wav(tmp_path / "silent.wav", np.zeros(16000)), "zs_tts", "--reference", ["silent.wav", "silent"]),
        (_wav(tmp_path / "nan.wav", np.full(16000, np.nan), subtype="FLOAT"), "edit", "--source",
         ["nan.wav", "NaN"]),
        (tmp_path / "absent.wav", "zs_tts", "--reference", ["absent.wav", "not found", "--reference"]),
    ]
    for wav, task, option, names in cases:
        rc = cli.main(_generate(path, out, option, str(wav), task=task))
        _refused(rc, capsys.readouterr().err, *names, out=out)
    assert not out.parent.exists()


@pytest.mark.bad_input
def test_ten_minute_reference_is_trimmed_with_a_warning_quickly(random_tiny_ckpt, tmp_path, capsys, caplog):
    path, cfg, _ = random_tiny_ckpt
    ref = _wav(tmp_path / "ten_minutes.wav", 0.3 * np.sin(np.arange(600 * 16000) / 7.0))
    out = tmp_path / "cloned.wav"
    t0 = time.perf_counter()
    with caplog.at_level("INFO"):
        rc = cli.main(_generate(path, out, "--reference", str(ref), task="zs_tts"))
    elapsed = time.perf_counter() - t0
    assert rc == 0, capsys.readouterr().err
    assert elapsed < 60, elapsed  # before the rule, a 10-minute prompt ran past 10 minutes
    warning = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert str(ref) in warning and "600.00 s: using its first 9.98 s" in warning
    assert "sample.max_reference_seconds = 10 s" in warning
    assert "after a 430-frame reference" in caplog.text  # floor(10 s * 22050 / 512) whole latent frames
    assert sf.info(str(out)).frames == 22 * 512  # 0.5 s -> 22 latent frames of 2 * 256 samples


@pytest.mark.bad_input
def test_malicious_vae_pickle_is_refused_in_a_real_process(random_tiny_ckpt, tmp_path):
    path, _, _ = random_tiny_ckpt
    marker = tmp_path / "pwned"
    evil = _malicious(tmp_path / "vae.pth", marker)
    out = tmp_path / "o.wav"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, "-m", "unison.cli", *_generate(path, out, f"audio.vae.path={evil}")],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    _refused(res.returncode, res.stderr, "audio.vae.path", str(evil), "refused by the weights-only loader",
             "posix.system", out=out)
    assert not marker.exists()  # nothing of the file ran


@pytest.mark.bad_input
@pytest.mark.parametrize("override, name", [
    ("audio.vae.path", "audio.vae.path"),
    ("audio.vocoder.path", "audio.vocoder.path"),
])
@pytest.mark.parametrize("torch_format", [True, False])
def test_malicious_or_foreign_weights_files_are_refused(random_tiny_ckpt, tmp_path, capsys, override, name,
                                                        torch_format):
    path, _, _ = random_tiny_ckpt
    marker = tmp_path / "pwned"
    evil = _malicious(tmp_path / "weights.pth", marker, torch_format)
    out = tmp_path / "o.wav"
    kind = ["audio.vocoder.kind=bigvgan_v1"] if "vocoder" in override else []
    rc = cli.main(_generate(path, out, f"{override}={evil}", *kind))
    _refused(rc, capsys.readouterr().err, name, str(evil), out=out)
    assert not marker.exists()
    foreign = tmp_path / "notes.pth"
    foreign.write_text("not weights at all")
    rc = cli.main(_generate(path, out, f"{override}={foreign}", *kind))
    _refused(rc, capsys.readouterr().err, name, "notes.pth", "not a readable PyTorch weights file", out=out)
    rc = cli.main(_generate(path, out, f"{override}={tmp_path / 'absent.pth'}", *kind))
    _refused(rc, capsys.readouterr().err, "absent.pth", "not found", out=out)


@pytest.mark.bad_input
def test_malicious_or_foreign_checkpoint_is_refused(tmp_path, capsys):
    marker = tmp_path / "pwned"
    out = tmp_path / "o.wav"
    for ckpt in (_malicious(tmp_path / "evil.safetensors", marker),
                 _malicious(tmp_path / "evil.pkl", marker, torch_format=False)):
        rc = cli.main(_generate(ckpt, out))
        _refused(rc, capsys.readouterr().err, str(ckpt), "--ckpt", out=out)
    assert not marker.exists()


@pytest.mark.bad_input
def test_other_commands_refuse_bad_overrides_and_missing_manifests(tmp_path, capsys):
    missing = tmp_path / "absent.jsonl"
    cases = [
        (["info", "model.bogus=1"], ["model.bogus", "not a config field"]),
        (["info", "model=nope"], ["model/nope", "d24"]),
        (["data", "check", str(missing)], ["absent.jsonl", "not found"]),
        (["train", "profile=tiny", f"train.manifest={missing}", "--out", str(tmp_path / "run")],
         ["absent.jsonl", "not found"]),
        (["train", "profile=tiny", "train.bogus=1", "--out", str(tmp_path / "run")], ["train.bogus"]),
        (["train-vae", "profile=tiny", "--manifest", str(missing), "--out", str(tmp_path / "vae.pth")],
         ["absent.jsonl", "not found"]),
        (["train-vae", "profile=tiny", "audio.vae.bogus=1", "--manifest", str(missing), "--out",
          str(tmp_path / "vae.pth")], ["audio.vae.bogus"]),
    ]
    for argv, names in cases:
        t0 = time.perf_counter()
        _refused(cli.main(argv), capsys.readouterr().err, *names)
        assert time.perf_counter() - t0 < 20, argv  # before any codec or model is built
    assert list(tmp_path.iterdir()) == []


@pytest.mark.bad_input
def test_train_refuses_a_malicious_vae_pickle(tmp_path, capsys):
    from unison.data.manifests import ManifestRow, write_manifest

    _wav(tmp_path / "a.wav", 0.3 * np.sin(np.arange(16000) / 3.0))
    manifest = write_manifest(tmp_path / "m.jsonl", [ManifestRow("a", "a.wav", 1.0, "sound", "a tone")])
    marker = tmp_path / "pwned"
    evil = _malicious(tmp_path / "vae.pth", marker)
    rc = cli.main(["train", "profile=tiny", f"train.manifest={manifest}", f"audio.vae.path={evil}",
                   "--out", str(tmp_path / "run")])
    _refused(rc, capsys.readouterr().err, "audio.vae.path", str(evil))
    assert not marker.exists() and not (tmp_path / "run").exists()
