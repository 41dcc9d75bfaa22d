import math

import pytest
import torch

from unison import tasks


def test_task_names_and_mask_values():
    assert set(tasks.TASKS) == {
        "tts", "zs_tts", "t2a", "t2a_mix", "t2as", "timed", "edit_add", "edit_remove", "edit_replace",
        "sis_insert", "sis_delete", "sis_rewrite", "denoise", "edit_other",
        "super_resolution", "target_speaker_extraction", "voice_conversion",
    }
    assert tasks.TASKS["zs_tts"].m == 2
    for name in ("tts", "t2a", "t2a_mix", "t2as", "timed"):
        assert tasks.TASKS[name].m == 0 and tasks.TASKS[name].stage1
    for name in ("edit_add", "edit_remove", "edit_replace", "sis_insert", "sis_delete", "sis_rewrite",
                 "denoise", "edit_other"):
        spec = tasks.TASKS[name]
        assert spec.m == 1 and spec.is_editing and not spec.stage1 and spec.needs_source
    sr = tasks.TASKS["super_resolution"]
    assert sr.m == 1 and sr.needs_source and not sr.stage1 and not sr.with_source
    for name in ("target_speaker_extraction", "voice_conversion"):  # a reference prefix, then a source
        spec = tasks.TASKS[name]
        assert spec.m == 2 and spec.with_source and spec.needs_source and spec.needs_reference and not spec.stage1
    assert not tasks.TASKS["zs_tts"].with_source and not tasks.TASKS["zs_tts"].needs_source


def test_tasks_beyond_the_paper_table_are_off_by_default():
    p = tasks.stage_probabilities(2)
    for name in ("super_resolution", "target_speaker_extraction", "voice_conversion"):
        assert p[name] == 0.0
    assert list(tasks.TASKS)[-3:] == ["super_resolution", "target_speaker_extraction", "voice_conversion"]
    mask = tasks.task_loss_mask("target_speaker_extraction", 2, 10, torch.tensor([3, 4]))
    assert mask[0, :3].sum() == 0 and mask[1, :4].sum() == 0 and mask[:, 4:].all()
    with pytest.raises(ValueError, match="voice_conversion needs prefix_frames"):
        tasks.task_loss_mask("voice_conversion", 1, 10)


def test_stage2_probabilities_sum_to_one_and_split_70_30():
    p = tasks.stage_probabilities(2)
    assert math.isclose(sum(p.values()), 1.0, abs_tol=1e-9)
    gen = sum(v for k, v in p.items() if tasks.TASKS[k].is_generation)
    assert math.isclose(gen, 0.70, abs_tol=1e-9)
    p1 = tasks.stage_probabilities(1)
    assert math.isclose(sum(p1.values()), 1.0, abs_tol=1e-9)
    assert all(tasks.TASKS[k].stage1 for k in p1)
    with pytest.raises(ValueError):
        tasks.stage_probabilities(3)


def test_cli_aliases_resolve_and_unknown_lists_valid():
    for alias in ("t2a", "tts", "zs_tts", "t2as", "edit", "timed"):
        assert tasks.get_task(alias).name in tasks.TASKS
    assert tasks.get_task("edit").m == 1
    with pytest.raises(ValueError, match="Valid tasks: t2a, tts"):
        tasks.get_task("sing")


def test_build_input_layout():
    z_t = torch.randn(2, 5, 3)
    z_s = torch.randn(2, 5, 3)
    x = tasks.build_input(z_t, z_s, 1)
    assert x.shape == (2, 5, 7)
    assert torch.equal(x[..., :3], z_t) and torch.equal(x[..., 3:6], z_s)
    assert torch.all(x[..., 6] == 1)
    x0 = tasks.build_input(z_t, None, torch.tensor([0, 2]))
    assert torch.all(x0[..., 3:6] == 0)
    assert torch.equal(x0[:, :, 6], torch.tensor([[0.0] * 5, [2.0] * 5]))
    with pytest.raises(ValueError, match="z_s shape"):
        tasks.build_input(z_t, torch.zeros(2, 4, 3), 0)


def test_loss_mask_excludes_zero_shot_prefix():
    m = tasks.task_loss_mask("zs_tts", 2, 6, torch.tensor([2, 4]))
    assert m.tolist() == [[0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1]]
    assert torch.all(tasks.task_loss_mask("t2a", 2, 6) == 1)
    with pytest.raises(ValueError, match="prefix_frames"):
        tasks.task_loss_mask("zs_tts", 1, 6)


def test_prefix_source():
    ref = torch.randn(1, 3, 2)
    z_s = tasks.prefix_source(ref, 8)
    assert z_s.shape == (1, 8, 2)
    assert torch.equal(z_s[:, :3], ref) and torch.all(z_s[:, 3:] == 0)
    with pytest.raises(ValueError, match="reference prefix"):
        tasks.prefix_source(ref, 3)
