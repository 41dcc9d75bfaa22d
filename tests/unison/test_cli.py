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
