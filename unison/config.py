"""Typed, validated configuration (hydra structured configs). One dataclass per concern.

The architecture lives here, not in factory code: every number that defines a model variant
is a field, recorded in every checkpoint's metadata. A size has one source: the LLM preset owns
its layer count and width, the model preset reads them (unison/conf/model/d24.yaml). Owners:
model (unison.model), llm (unison.text), audio (unison.audio), flow/sample (unison.flow,
unison.sampler), train (unison.train). YAML presets live in unison/conf/.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class LLMConfig:
    """Frozen text LLM. kind: qwen2_5_omni | hf_causal | gemma3_gguf | minilm."""

    kind: str = "qwen2_5_omni"
    model_id: str = "Qwen/Qwen2.5-Omni-7B"
    num_layers: int = 28  # L (decoder layers); the model's llm_layers is read from here
    hidden_size: int = 3584  # H_llm; the model's llm_hidden is read from here
    revision: str = "main"
    path: Optional[str] = None  # explicit local path; else the weights resolver
    template: str = "raw"  # raw | chat
    system_prompt: str = "You are an audio generation assistant. Follow the instruction."
    max_tokens: int = 256
    dtype: str = "bfloat16"
    cache_dir: Optional[str] = None  # on-disk hidden-state cache; None = ~/.cache/unison/llm
    # Storage dtype of cached hidden states. bfloat16: lossless w.r.t. a bf16 LLM and safe for the
    # ~1e5 outlier activations of Gemma/Qwen middle layers (float16 overflows there).
    cache_dtype: str = "bfloat16"  # bfloat16 | float16 | float32
    memory_cache_mb: float = 256.0  # in-memory LRU in front of the on-disk cache


@dataclass
class ModelConfig:
    """DeepFusion MM-DiT (docs/design.md §1). ``fusion``: deep = per-block projector from
    LLM layer i_k; penultimate = one shared projector from layer L-1 feeding a persistent text stream
    (L); deep+penultimate = both (OL). ``arch``: double (MM-DiT double-stream) or single (FLUX-style).
    ``llm_layers`` / ``llm_hidden`` are the selected LLM's sizes: the presets read them from the llm
    group (``${llm.num_layers}``), so choosing ``llm=...`` sets them; they are kept here because the
    model's shapes depend on them and a checkpoint records them with the model."""

    name: str = "d24"
    arch: str = "double"
    fusion: str = "deep"
    hidden: int = 1024
    heads: int = 8
    depth: int = 24
    latent_channels: int = 20
    mlp_ratio: float = 4.0
    input_mlp_hidden: int = 2816
    input_kernel: int = 7
    final_kernel: int = 7
    timestep_freq_dim: int = 256
    rope_theta: float = 10000.0
    llm_layers: int = LLMConfig.num_layers  # L of the frozen LLM
    llm_hidden: int = LLMConfig.hidden_size  # H_llm
    llm_layer_norm: bool = False  # LayerNorm each selected LLM layer before its projector

    @property
    def in_channels(self) -> int:
        return 2 * self.latent_channels + 1


@dataclass
class MelConfig:
    sample_rate: int = 16000
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 256
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float = 8000.0
    log: str = "log10"  # log10 | ln
    clamp: float = 1e-5


@dataclass
class VAEConfig:
    kind: str = "mmaudio"
    weights: Optional[str] = "mmaudio-vae-16k"  # weight-spec name for the resolver (None = random init)
    path: Optional[str] = None
    data_dim: int = 80
    latent_channels: int = 20
    hidden: int = 384
    channel_mult: list[int] = field(default_factory=lambda: [1, 2, 4])  # widths hidden * mult per level
    res_blocks: int = 2  # per encoder level (decoder: res_blocks + 1)


@dataclass
class VocoderConfig:
    kind: str = "bigvgan_v1"  # bigvgan_v1 | bigvgan_v2 | hifigan | vocos | griffinlim
    weights: Optional[str] = "bigvgan-v1-16k"  # named published weights (bigvgan, hifigan); unused by vocos
    path: Optional[str] = None  # a weights file; required by vocos (relative to a checkpoint's folder when recorded)
    griffinlim_iters: int = 32  # only for kind=griffinlim


@dataclass
class AudioConfig:
    mel: MelConfig = field(default_factory=MelConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    vocoder: VocoderConfig = field(default_factory=VocoderConfig)
    seconds: float = 10.0


@dataclass
class FlowConfig:
    t_distribution: str = "logit_normal"  # logit_normal | uniform
    text_dropout: float = 0.1


@dataclass
class SampleConfig:
    steps: int = 100
    solver: str = "euler"  # euler | heun | midpoint
    cfg_scale: float = 4.5
    cfg_formula: str = "uncond+w*(cond-uncond)"
    # Limits on what generation accepts (unison.inputs). The paper is silent on them; they keep a
    # request inside what the model was trained on and bound its time and memory.
    max_seconds: float = 22.0  # longest sequence trained on: 10-s clips, then a 22-s long-speech fine-tune
    max_steps: int = 1000  # each step is one full DiT forward; Euler's error is negligible long before this
    # A zero-shot prompt longer than this is trimmed to its first max_reference_seconds: training
    # pairs put the reference and the new utterance in one 10-s clip, so longer prompts add cost,
    # not speaker information. The prompt and the output also share one sequence of at most max_seconds.
    max_reference_seconds: float = 10.0
    silent_peak_dbfs: float = -60.0  # source/reference audio whose peak is below this is refused as silent
    # super_resolution: the output keeps the input's own band below its cut-off (unison.audio.band_keep);
    # not in the paper (its table has no super-resolution); false = the decoded output as it is.
    sr_keep_input_band: bool = True


@dataclass
class TrainConfig:
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.01
    warmup_steps: int = 2000
    total_steps: int = 300_000
    grad_clip: float = 1.0
    bf16: bool = True
    ema_decay: float = 0.999
    ema_every: int = 10
    batch_size: int = 56
    stage1_steps: int = 150_000
    seed: int = 0
    min_lr_ratio: float = 0.0  # cosine decays to lr * min_lr_ratio at total_steps
    parallel: str = "ddp"  # ddp | fsdp (under torchrun; ignored for one process)
    manifest: Optional[str] = None  # training corpus manifest (JSONL, unison.data.manifests)
    pool_per_task: int = 0  # 0 = online synthesis every step; N = N cached batches per task (small CPUs)
    ckpt_every: int = 5000
    keep_checkpoints: int = 2  # complete checkpoints kept on disk (the newest ones)
    log_every: int = 100
    export: str = "ema"  # weights in the exported inference checkpoint: ema | model
    stats_clips: int = 2000  # corpus clips used for the latent statistics (posterior means)
    # Fine-tune: a fresh run (no checkpoint in --out yet) starts from these inference-checkpoint
    # weights (raw and EMA) and latent statistics instead of the seeded initialisation; the
    # architecture must match. A resumed run ignores it (its own checkpoint has the weights).
    init_from: Optional[str] = None


@dataclass
class DataConfig:
    """Training data (unison.data): manifest validation, online synthesis, curriculum sampling.
    The stage-1 length is train.stage1_steps; stage-2 task probabilities default to the paper's table."""

    require_sample_rate: bool = False  # skip files not already at the profile rate (else resample on load)
    min_seconds: float = 0.3  # shorter rows are skipped
    silence_dbfs: float = -60.0  # rows whose RMS is below this are skipped as silent
    zh_prob: float = 0.3  # sound-only instructions in Chinese when every caption has a Chinese version
    cache_mb: float = 2048.0  # decoded clip cache of the synthesis pool
    task_probs: dict[str, float] = field(default_factory=dict)  # stage-2 override {task: p}; {} = paper table
    # Synthesis ranges (unison.data.synthesis.SynthesisConfig), here so runs state and record them.
    noise_snr_db: list[float] = field(default_factory=lambda: [0.0, 20.0])  # denoise: clean over noise
    sr_cutoffs_hz: list[float] = field(default_factory=lambda: [2000.0, 4000.0, 6000.0])  # super_resolution
    sr_min_high_db: float = -30.0  # super_resolution: a clip needs this much energy above the cut-off (re total)
    tse_sir_db: list[float] = field(default_factory=lambda: [-5.0, 5.0])  # target_speaker_extraction
    # Rows held out of training: crc32(id) % holdout_every == 0 (the VAE fit's rule); 0 = none.
    holdout_every: int = 0


@dataclass
class UnisonConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)


# ---------------------------------------------------------------------------------------------
# Hydra registration, loading, validation, (de)serialisation for checkpoint metadata.
# ---------------------------------------------------------------------------------------------

ARCHS = ("double", "single")
FUSIONS = ("deep", "penultimate", "deep+penultimate")


class ConfigError(ValueError):
    """A configuration value is invalid or inconsistent; the message names the field."""


def register_configs() -> None:
    """Register the typed schemas so hydra validates every YAML preset against them."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="unison_schema", node=UnisonConfig)
    cs.store(group="model", name="model_schema", node=ModelConfig)
    cs.store(group="llm", name="llm_schema", node=LLMConfig)
    cs.store(group="audio", name="audio_schema", node=AudioConfig)


def _require(ok: bool, field_name: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{field_name}: {message}")


def validate_model(m: ModelConfig, prefix: str = "model") -> None:
    """Checks that need only the model config (shapes that the DiT can actually be built with)."""
    _require(m.arch in ARCHS, f"{prefix}.arch", f"unknown value {m.arch!r}; choose one of {ARCHS}")
    _require(m.fusion in FUSIONS, f"{prefix}.fusion", f"unknown value {m.fusion!r}; choose one of {FUSIONS}")
    _require(m.arch == "double" or m.fusion == "deep", f"{prefix}.fusion",
             f"the single-stream arch supports only fusion='deep', got {m.fusion!r}")
    for name in ("hidden", "heads", "depth", "latent_channels", "input_mlp_hidden", "input_kernel",
                 "final_kernel", "timestep_freq_dim", "llm_layers", "llm_hidden"):
        _require(getattr(m, name) > 0, f"{prefix}.{name}", f"must be positive, got {getattr(m, name)}")
    _require(m.hidden % m.heads == 0, f"{prefix}.heads",
             f"must divide model.hidden ({m.hidden}), got {m.heads}")
    _require((m.hidden // m.heads) % 2 == 0, f"{prefix}.heads",
             f"head dim hidden/heads = {m.hidden // m.heads} must be even for RoPE")
    _require(m.timestep_freq_dim % 2 == 0, f"{prefix}.timestep_freq_dim", "must be even (cos and sin halves)")
    _require(m.input_kernel % 2 == 1, f"{prefix}.input_kernel", f"must be odd ('same' padding), got {m.input_kernel}")
    _require(m.final_kernel % 2 == 1, f"{prefix}.final_kernel", f"must be odd ('same' padding), got {m.final_kernel}")
    _require(m.mlp_ratio > 0, f"{prefix}.mlp_ratio", f"must be positive, got {m.mlp_ratio}")
    if "deep" in m.fusion:
        _require(m.depth >= 2, f"{prefix}.depth", "deep fusion needs at least 2 blocks (layer map spans D-1 steps)")
        _require(m.llm_layers >= 2, f"{prefix}.llm_layers", "deep fusion needs an LLM with at least 2 layers")
    if "penultimate" in m.fusion:
        _require(m.llm_layers >= 2, f"{prefix}.llm_layers", "penultimate fusion needs at least 2 LLM layers")


def validate(cfg: UnisonConfig) -> UnisonConfig:
    """Validate a full config: the model alone, then its agreement with the llm and audio groups."""
    validate_model(cfg.model)
    m, llm, audio = cfg.model, cfg.llm, cfg.audio
    for mine, theirs, value in (("llm_layers", "num_layers", llm.num_layers), ("llm_hidden", "hidden_size", llm.hidden_size)):
        _require(getattr(m, mine) == value, f"model.{mine}",
                 f"{getattr(m, mine)} but the llm group ({llm.model_id}) has {theirs}={value}; model.{mine} follows "
                 f"the llm preset: choose the LLM with llm=<preset> and do not set model.{mine}")
    _require(m.latent_channels == audio.vae.latent_channels, "model.latent_channels",
             f"{m.latent_channels} but audio.vae.latent_channels is {audio.vae.latent_channels}; "
             "pick a consistent profile (e.g. profile=paper_d20) or matching model/audio presets")
    _require(audio.vae.data_dim == audio.mel.n_mels, "audio.vae.data_dim",
             f"{audio.vae.data_dim} but audio.mel.n_mels is {audio.mel.n_mels} (the VAE encodes mel frames)")
    _require(audio.mel.f_max <= audio.mel.sample_rate / 2, "audio.mel.f_max",
             f"{audio.mel.f_max} Hz exceeds Nyquist ({audio.mel.sample_rate / 2} Hz)")
    _require(audio.seconds > 0, "audio.seconds", f"must be positive, got {audio.seconds}")
    validate_sample(cfg.sample)
    return cfg


SOLVERS = ("euler", "midpoint", "heun")  # the step functions of unison.sampler


def validate_sample(s: SampleConfig, prefix: str = "sample") -> None:
    """The sampler settings and the input limits (unison.inputs relies on them being sane)."""
    from math import isfinite as finite

    _require(finite(s.max_seconds) and s.max_seconds > 0, f"{prefix}.max_seconds",
             f"must be a positive number of seconds, got {s.max_seconds}")
    _require(s.max_steps >= 1, f"{prefix}.max_steps", f"must be >= 1, got {s.max_steps}")
    _require(1 <= s.steps <= s.max_steps, f"{prefix}.steps",
             f"must be in [1, sample.max_steps={s.max_steps}], got {s.steps}")
    _require(s.solver in SOLVERS, f"{prefix}.solver", f"unknown value {s.solver!r}; choose one of {SOLVERS}")
    _require(finite(s.cfg_scale) and s.cfg_scale >= 0, f"{prefix}.cfg_scale",
             f"must be a finite number >= 0, got {s.cfg_scale}")
    _require(finite(s.max_reference_seconds) and s.max_reference_seconds > 0, f"{prefix}.max_reference_seconds",
             f"must be a positive number of seconds, got {s.max_reference_seconds}")
    _require(finite(s.silent_peak_dbfs) and s.silent_peak_dbfs < 0, f"{prefix}.silent_peak_dbfs",
             f"must be a finite level below 0 dBFS, got {s.silent_peak_dbfs}")


def load_config(overrides: list[str] | None = None, *, cross_checks: bool = True) -> UnisonConfig:
    """Compose ``unison/conf/config.yaml`` with hydra overrides (``profile=tiny``, ``model.depth=4``),
    return the typed UnisonConfig, validated. ``cross_checks=False`` validates the model alone (e.g.
    for ``unison info model=s32`` where the LLM/audio groups do not matter)."""
    from hydra import compose, initialize_config_module
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    register_configs()
    dotted = [o.split("=", 1)[0].lstrip("+~") for o in overrides or [] if "=" in o]
    check_known_keys([k for k in dotted if "." in k])  # hydra's own message suggests `+key`, which is refused below
    try:
        with initialize_config_module(config_module="unison.conf", version_base=None):
            composed = compose(config_name="config", overrides=list(overrides or []))
        cfg = _restore_tuples(OmegaConf.to_object(composed))
        extra = _extra_keys(OmegaConf.to_container(composed, resolve=True), to_dict(cfg))
    except (HydraException, OmegaConfBaseException) as e:
        raise ConfigError(f"cannot compose config from overrides {list(overrides or [])}: {one_line(e)}") from e
    if extra:  # hydra's `+key=value` bypasses the schema; to_object would silently drop the key
        raise ConfigError(f"{extra[0]}: not a field of the typed config (unknown keys: {extra})")
    if cross_checks:
        return validate(cfg)
    validate_model(cfg.model)
    return cfg


def _extra_keys(given: dict, typed: dict, prefix: str = "") -> list[str]:
    """Dotted keys present in ``given`` but not in ``typed`` (both plain nested dicts)."""
    extra = []
    for key, value in given.items():
        if key not in typed:
            extra.append(prefix + str(key))
        elif isinstance(value, dict) and isinstance(typed[key], dict):
            extra += _extra_keys(value, typed[key], f"{prefix}{key}.")
    return extra


def check_known_keys(given: dict | list[str], what: str = "override") -> None:
    """Refuse keys of ``given`` (dotted keys, or a nested dict such as parsed command-line
    overrides) that are not fields of UnisonConfig, naming the key and listing the fields of its
    section. Mapping fields (e.g. data.task_probs) are open: any key below them is accepted."""
    if isinstance(given, list):
        nested: dict = {}
        for key in given:
            d = nested
            for part in key.split(".")[:-1]:
                d = d.setdefault(part, {}) if isinstance(d.get(part, {}), dict) else {}
            d[key.split(".")[-1]] = None
        given = nested
    typed = to_dict(UnisonConfig())
    for key in _extra_keys(given, typed):
        parent, _, _ = key.rpartition(".")
        section = typed
        for part in parent.split(".") if parent else []:
            section = section.get(part, {})
        if not section and parent:
            continue  # an open mapping such as data.task_probs
        known = ", ".join(f"{parent}.{k}" if parent else k for k in section)
        where = f"the fields of {parent}" if parent else "the sections"
        raise ConfigError(f"{key}: not a config field ({what}); {where} are: {known}")


def one_line(e: BaseException) -> str:
    """Hydra and OmegaConf spread a message over lines (option lists, full_key, object_type, caret
    markers); a user error is reported on one line."""
    key, msg = getattr(e, "full_key", None), getattr(e, "msg", None)
    if key and msg:
        return f"{key}: {str(msg).strip().splitlines()[0]}"  # the lines after it repeat the key and types
    if str(e).startswith("Error merging override") and e.__cause__ is not None:
        return one_line(e.__cause__)  # the cause names the key and the expected type
    text, listing = "", False
    for line in (raw.strip() for raw in str(e).splitlines()):
        if line.startswith("Config search path"):
            break  # hydra's provider list: not the user's concern
        if not line or set(line) <= {"^"} or line.endswith("_schema"):
            continue  # blank lines, caret markers, the schema entries hydra lists among presets
        if not text:
            text = line
        elif text.endswith(":"):
            text, listing = f"{text} {line}", True
        else:
            text += (", " if listing else "; ") + line
    return text


def to_dict(cfg: UnisonConfig) -> dict:
    """Plain JSON-able dict (checkpoint metadata)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)


def _restore_tuples(obj):
    """OmegaConf hands tuple fields (e.g. train.betas) back as lists; make them tuples again so that
    from_dict(to_dict(cfg)) == cfg."""
    import dataclasses

    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            _restore_tuples(value)
        elif isinstance(value, list) and "tuple" in str(f.type):
            setattr(obj, f.name, tuple(value))
    return obj


def from_dict(d: dict, *, cross_checks: bool = True) -> UnisonConfig:
    """Inverse of to_dict; unknown keys or wrong types are errors (naming the key), then validated."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        merged = OmegaConf.merge(OmegaConf.structured(UnisonConfig), d)
        cfg = _restore_tuples(OmegaConf.to_object(merged))
    except OmegaConfBaseException as e:
        raise ConfigError(f"config does not fit UnisonConfig: {one_line(e)}") from e
    if cross_checks:
        return validate(cfg)
    validate_model(cfg.model)
    return cfg
