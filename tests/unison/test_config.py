"""Hydra presets compose to typed, validated configs; bad values give errors naming the field."""
import json

import pytest

from unison.config import (ConfigError, ModelConfig, UnisonConfig, from_dict, load_config, to_dict,
                           validate_model)

PROFILES = {
    # profile: (model name, depth, llm model id, sample rate, latent channels)
    "paper_d24": ("d24", 24, "Qwen/Qwen2.5-Omni-7B", 16000, 20),
    "paper_d20": ("d20", 20, "Qwen/Qwen2.5-Omni-7B", 44100, 40),
    "ablation_d24_3b": ("d24_3b", 24, "Qwen/Qwen2.5-Omni-3B", 16000, 20),
    "ablation_d24_l": ("d24_l", 24, "Qwen/Qwen2.5-Omni-7B", 16000, 20),
    "ablation_d24_ol": ("d24_ol", 24, "Qwen/Qwen2.5-Omni-7B", 16000, 20),
    "ablation_s32": ("s32", 32, "Qwen/Qwen2.5-Omni-7B", 16000, 20),
    "tiny": ("tiny", 4, "google/gemma-3-270m", 22050, 20),
}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profiles_compose_consistently(profile):
    name, depth, llm_id, sr, c = PROFILES[profile]
    cfg = load_config([f"profile={profile}"])
    assert isinstance(cfg, UnisonConfig) and isinstance(cfg.model, ModelConfig)
    assert (cfg.model.name, cfg.model.depth, cfg.llm.model_id, cfg.audio.mel.sample_rate) == (name, depth, llm_id, sr)
    assert cfg.model.latent_channels == cfg.audio.vae.latent_channels == c
    assert (cfg.model.llm_layers, cfg.model.llm_hidden) == (cfg.llm.num_layers, cfg.llm.hidden_size)


def test_default_is_paper_d24_and_equals_dataclass_defaults():
    assert load_config([]) == load_config(["profile=paper_d24"])
    assert load_config([]).model == ModelConfig()


def test_ablation_fields():
    assert load_config(["profile=ablation_d24_l"]).model.fusion == "penultimate"
    assert load_config(["profile=ablation_d24_ol"]).model.fusion == "deep+penultimate"
    s32 = load_config(["profile=ablation_s32"]).model
    assert (s32.arch, s32.fusion) == ("single", "deep")
    tiny = load_config(["profile=tiny"])
    assert (tiny.model.hidden, tiny.model.heads, tiny.llm.kind, tiny.audio.vocoder.kind) == (128, 4, "gemma3_gguf", "hifigan")
    assert (tiny.audio.mel.n_mels, tiny.audio.mel.hop_length, tiny.audio.mel.f_max) == (80, 256, 8000.0)


def test_field_override_and_command_line_wins_over_profile():
    cfg = load_config(["profile=tiny", "model.depth=6"])
    assert cfg.model.depth == 6
    assert load_config(["model=d20", "audio=44k"]).model.in_channels == 81


@pytest.mark.parametrize("overrides, field", [
    (["model.heads=7"], "model.heads"),
    (["model.arch=triple"], "model.arch"),
    (["model.fusion=shallow"], "model.fusion"),
    (["model.arch=single", "model.fusion=penultimate"], "model.fusion"),
    (["llm=minilm", "model.llm_layers=18"], "model.llm_layers"),  # a size set against its LLM preset
    (["model=d20"], "model.latent_channels"),  # 40 channels with the 16 kHz VAE
    (["model.llm_hidden=2048"], "model.llm_hidden"),
    (["model.depth=1"], "model.depth"),
    (["model.input_kernel=6"], "model.input_kernel"),
    (["audio.vae.data_dim=128"], "audio.vae.data_dim"),
])
def test_validation_errors_name_the_field(overrides, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(overrides)


def test_unknown_key_and_wrong_type_are_errors():
    with pytest.raises(ConfigError, match="no_such_field"):
        load_config(["+model.no_such_field=1"])
    with pytest.raises(ConfigError, match="depth"):
        load_config(["model.depth=many"])


def test_llm_sizes_come_from_the_llm_preset():
    """L and H_llm are stated once, in the LLM preset; model presets built for one LLM select it."""
    assert (load_config(["profile=tiny", "llm=minilm"]).model.llm_layers,
            load_config(["profile=tiny", "llm=minilm"]).model.llm_hidden) == (6, 384)
    for overrides, llm_id, sizes in ((["model=tiny"], "google/gemma-3-270m", (18, 640)),
                                     (["model=d24_3b"], "Qwen/Qwen2.5-Omni-3B", (36, 2048)),
                                     (["model=d24_3b", "llm=qwen_omni_7b"], "Qwen/Qwen2.5-Omni-7B", (28, 3584))):
        cfg = load_config(overrides, cross_checks=False)
        assert cfg.llm.model_id == llm_id and (cfg.model.llm_layers, cfg.model.llm_hidden) == sizes


def test_recorded_sizes_still_load_and_must_agree():
    """Checkpoints record both groups' sizes: they load as recorded, and a disagreement is refused."""
    recorded = to_dict(load_config(["profile=tiny"]))
    assert from_dict(recorded).model.llm_layers == 18
    recorded["model"]["llm_layers"] = 6
    with pytest.raises(ConfigError, match=r"model\.llm_layers: 6 but the llm group .*num_layers=18"):
        from_dict(recorded)


def test_model_only_validation_for_info():
    cfg = load_config(["model=tiny"], cross_checks=False)
    assert cfg.model.name == "tiny"
    with pytest.raises(ConfigError, match="model.heads"):
        validate_model(ModelConfig(hidden=100, heads=8))


def test_to_dict_from_dict_roundtrip_through_json():
    cfg = load_config(["profile=paper_d20"])
    d = json.loads(json.dumps(to_dict(cfg)))
    assert from_dict(d) == cfg
    d["model"]["heads"] = 3
    with pytest.raises(ConfigError, match="model.heads"):
        from_dict(d)
    with pytest.raises(ConfigError, match="bogus"):
        from_dict({"model": {"bogus": 1}})


def test_from_dict_inverts_to_dict_exactly():
    """Tuple fields (train.betas) survive the trip through OmegaConf as tuples."""
    from unison.config import from_dict, load_config, to_dict

    cfg = load_config(["profile=tiny"])
    assert isinstance(cfg.train.betas, tuple)
    assert from_dict(to_dict(cfg)) == cfg


@pytest.mark.bad_input
@pytest.mark.parametrize("override, field", [
    ("sample.max_seconds=nan", "sample.max_seconds"),
    ("sample.max_seconds=0", "sample.max_seconds"),
    ("sample.steps=0", "sample.steps"),
    ("sample.steps=2000", "sample.steps"),
    ("sample.max_steps=0", "sample.max_steps"),
    ("sample.cfg_scale=inf", "sample.cfg_scale"),
    ("sample.solver=rk4", "sample.solver"),
    ("sample.max_reference_seconds=-1", "sample.max_reference_seconds"),
    ("sample.silent_peak_dbfs=3", "sample.silent_peak_dbfs"),
])
def test_input_limits_are_validated_config_values(override, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(["profile=tiny", override])
    cfg = load_config(["profile=tiny"])
    assert to_dict(cfg)["sample"]["max_seconds"] == 22.0  # recorded in checkpoints with the rest


@pytest.mark.bad_input
def test_config_errors_are_one_line_naming_the_key_and_the_known_ones():
    from unison.config import check_known_keys

    with pytest.raises(ConfigError) as e:
        load_config(["sample.bogus=1"])
    assert "\n" not in str(e.value) and "sample.bogus" in str(e.value) and "sample.max_steps" in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(["model=nope"])
    assert "\n" not in str(e.value) and "model/nope" in str(e.value) and "d24" in str(e.value)
    assert "_schema" not in str(e.value) and "search path" not in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(["model.depth=many"])
    assert "\n" not in str(e.value) and "model.depth" in str(e.value)
    with pytest.raises(ConfigError, match="bogus: not a config field.*the sections are: model, llm"):
        check_known_keys({"bogus": 1})
    check_known_keys({"data": {"task_probs": {"tts": 1.0}}, "sample": {"steps": 5}})  # mappings are open


def test_curriculum_preset_adds_the_new_tasks_and_the_default_keeps_the_paper_table():
    import math

    from unison.data.curriculum import TaskSampler
    from unison.tasks import TASKS

    assert load_config(["profile=tiny"]).data.task_probs == {}
    cfg = load_config(["profile=tiny", "curriculum=tiny_newtasks"])
    probs = dict(cfg.data.task_probs)
    assert set(probs) == set(TASKS) and math.isclose(sum(probs.values()), 1.0, abs_tol=1e-9)
    assert all(probs[t] > 0 for t in ("super_resolution", "target_speaker_extraction", "voice_conversion"))
    assert cfg.data.sr_cutoffs_hz == [2000.0, 4000.0, 6000.0] and cfg.data.holdout_every == 20
    assert set(TaskSampler(0, 0, probs).probabilities(0)) == set(TASKS)
