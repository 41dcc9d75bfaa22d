"""The task table (docs/design.md §5) and the model input X = [z_t || z_s || m].

Task identity reaches the model only through the scalar mask channel ``m`` broadcast over frames:
m=0 generation (z_s = 0), m=1 editing (z_s = source scene latent), m=2 zero-shot TTS (z_s holds the
reference prefix; the loss ignores the prefix frames).

Tasks beyond the paper's table use the same one interface, no new channel:

- ``super_resolution`` (m=1): an edit like ``denoise``; z_s = the target low-passed at a cut-off.
- ``target_speaker_extraction`` and ``voice_conversion`` (m=2, ``with_source``): both need a
  speaker cue *and* a source. They reuse the zero-shot machinery as it stands: the sequence starts
  with a reference prefix of P frames (the enrolment clip / the reference speaker's utterance),
  present in both z_s and the target and excluded from the loss; the frames after it hold the
  source in z_s (the two-speaker mixture / the source utterance) and the answer in the target
  (the enrolled speaker alone / the same words in the reference voice). m=2 already means "z_s
  starts with a speaker prefix that the model keeps"; zs_tts is the case where nothing follows it.
  The alternative, m=1 with the enrolment as a prefix, would need a prefix and a loss mask on
  editing tasks, which today have neither: the m=2 route adds one flag (``with_source``), the m=1
  route would change what m=1 means.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

GENERATION, EDITING, ZERO_SHOT = 0, 1, 2  # values of the mask channel m


@dataclass(frozen=True)
class TaskSpec:
    name: str
    m: int  # value of the task channel
    stage1: bool  # trained during stage 1 (generation-only curriculum)
    stage2_p: float  # sampling probability in stage 2 (paper table; 0 = not in it, opt in via data.task_probs)
    description: str
    with_source: bool = False  # m=2 only: z_s holds a source after the reference prefix (TSE, VC)

    @property
    def is_editing(self) -> bool:
        return self.m == EDITING

    @property
    def is_generation(self) -> bool:
        """Generation in the curriculum sense (stage 1 tasks): m=0 and zero-shot TTS (m=2)."""
        return self.m != EDITING

    @property
    def needs_source(self) -> bool:
        return self.m == EDITING or self.with_source

    @property
    def needs_reference(self) -> bool:
        return self.m == ZERO_SHOT


def _t(name: str, m: int, stage1: bool, p: float, description: str, with_source: bool = False) -> TaskSpec:
    return TaskSpec(name, m, stage1, p, description, with_source)


# Stage-2 probabilities are the paper's table (UNISON, "Online multi-task synthesis and curriculum").
# The tasks after edit_other are not in that table: their default probability is 0, so the paper
# preset trains exactly the paper's mixture; a run opts in with data.task_probs (e.g. the
# `curriculum=tiny_newtasks` preset, unison/conf/curriculum/). New tasks go at the end: the
# table's order seeds the pooled training batches (unison.train.data.PooledStream).
TASKS: dict[str, TaskSpec] = {t.name: t for t in (
    _t("tts", GENERATION, True, 0.15, "text-to-speech, gender-controlled"),
    _t("zs_tts", ZERO_SHOT, True, 0.25, "zero-shot TTS continuing a reference speaker prefix"),
    _t("t2a", GENERATION, True, 0.10, "text-to-audio, single event"),
    _t("t2a_mix", GENERATION, True, 0.08, "text-to-audio, mixture of events"),
    _t("t2as", GENERATION, True, 0.08, "speech + audio mix"),
    _t("timed", GENERATION, True, 0.04, "timed composition (timestamps stated in the text)"),
    _t("edit_add", EDITING, False, 0.04, "audio edit: add an event"),
    _t("edit_remove", EDITING, False, 0.04, "audio edit: remove an event"),
    _t("edit_replace", EDITING, False, 0.03, "audio edit: replace an event"),
    _t("sis_insert", EDITING, False, 0.04, "speech-in-scene: insert speech"),
    _t("sis_delete", EDITING, False, 0.03, "speech-in-scene: delete speech"),
    _t("sis_rewrite", EDITING, False, 0.04, "speech-in-scene: rewrite speech"),
    _t("denoise", EDITING, False, 0.04, "denoise"),
    _t("edit_other", EDITING, False, 0.04, "other editing variants"),
    _t("super_resolution", EDITING, False, 0.0, "bandwidth extension: restore the band above a low-pass cut-off"),
    _t("target_speaker_extraction", ZERO_SHOT, False, 0.0,
       "the enrolled speaker's speech out of a two-speaker mixture (enrolment = reference prefix)", True),
    _t("voice_conversion", ZERO_SHOT, False, 0.0,
       "the source utterance's words in the reference speaker's voice (reference prefix)", True),
)}

# Inference-time names accepted by `unison generate --task`. At inference an editing subtype is
# told by the instruction text alone (all have m=1), so one "edit" alias covers them.
CLI_ALIASES: dict[str, str] = {
    "t2a": "t2a", "tts": "tts", "zs_tts": "zs_tts", "t2as": "t2as", "edit": "edit_other", "timed": "timed",
    "super_resolution": "super_resolution", "target_speaker_extraction": "target_speaker_extraction",
    "voice_conversion": "voice_conversion",
}


def get_task(name: str) -> TaskSpec:
    """Look up a task by table name or CLI alias; unknown names list the valid ones."""
    key = CLI_ALIASES.get(name, name)
    if key not in TASKS:
        raise ValueError(
            f"unknown task {name!r}. Valid tasks: {', '.join(CLI_ALIASES)} "
            f"(or any table name: {', '.join(TASKS)})"
        )
    return TASKS[key]


def stage_probabilities(stage: int) -> dict[str, float]:
    """Task sampling distribution of a curriculum stage (stage 1 renormalises the generation tasks)."""
    if stage == 2:
        return {n: t.stage2_p for n, t in TASKS.items()}
    if stage == 1:
        total = sum(t.stage2_p for t in TASKS.values() if t.stage1)
        return {n: t.stage2_p / total for n, t in TASKS.items() if t.stage1}
    raise ValueError(f"curriculum stage must be 1 or 2, got {stage!r}")


def build_input(z_t: Tensor, z_s: Tensor | None, m: int | Tensor) -> Tensor:
    """X = [z_t || z_s || m]: (B, T, C), (B, T, C) or None (= zeros), m scalar / (B,) / (B, T)
    -> (B, T, 2C+1)."""
    if z_t.dim() != 3:
        raise ValueError(f"z_t must be (B, T, C), got shape {tuple(z_t.shape)}")
    B, T, _ = z_t.shape
    if z_s is None:
        z_s = torch.zeros_like(z_t)
    elif z_s.shape != z_t.shape:
        raise ValueError(f"z_s shape {tuple(z_s.shape)} must equal z_t shape {tuple(z_t.shape)}")
    m = torch.as_tensor(m, dtype=z_t.dtype, device=z_t.device)
    if m.dim() == 0:
        m = m.expand(B, T)
    elif m.dim() == 1:
        m = m[:, None].expand(B, T)
    if m.shape != (B, T):
        raise ValueError(f"task mask m must be a scalar, (B,) or (B, T)=({B}, {T}); got {tuple(m.shape)}")
    return torch.cat([z_t, z_s.to(z_t.dtype), m[..., None]], dim=-1)  # (B, T, 2C+1)


def prefix_source(z_ref: Tensor, total_frames: int) -> Tensor:
    """Zero-shot TTS z_s: the reference latent (B, P, C) as a prefix, zeros after -> (B, total, C)."""
    B, P, C = z_ref.shape
    if P >= total_frames:
        raise ValueError(
            f"reference prefix has {P} latent frames but the sequence has only {total_frames}; "
            "use a shorter reference or ask for more seconds"
        )
    z_s = z_ref.new_zeros(B, total_frames, C)  # (B, T, C)
    z_s[:, :P] = z_ref
    return z_s


def loss_mask(batch: int, frames: int, prefix_frames: int | Tensor | None = None,
              device: torch.device | str | None = None) -> Tensor:
    """(B, T) float mask of frames that count in the loss; zero-shot TTS excludes each item's
    reference prefix (``prefix_frames`` int or (B,) ints)."""
    mask = torch.ones(batch, frames, device=device)  # (B, T)
    if prefix_frames is None:
        return mask
    p = torch.as_tensor(prefix_frames, device=mask.device).long().expand(batch)
    if (p < 0).any() or (p >= frames).any():
        raise ValueError(f"prefix_frames must be in [0, {frames}); got {p.tolist()}")
    frame_idx = torch.arange(frames, device=mask.device)[None, :]  # (1, T)
    return mask * (frame_idx >= p[:, None]).float()


def task_loss_mask(task: str | TaskSpec, batch: int, frames: int, prefix_frames: int | Tensor | None = None,
                   device: torch.device | str | None = None) -> Tensor:
    """Loss mask for a task: prefix frames are excluded only for m=2 tasks (zero-shot TTS, TSE, VC;
    required there)."""
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    if spec.m == ZERO_SHOT:
        if prefix_frames is None:
            raise ValueError(f"{spec.name} needs prefix_frames (reference length in latent frames)")
        return loss_mask(batch, frames, prefix_frames, device)
    return loss_mask(batch, frames, None, device)
