"""Online multi-task synthesis (docs/design.md §5): training tuples for every task of the table, made
from clip waveforms with torch ops on the training device, then encoded to latents by the codec.

Per item, clips are RMS-normalised, placed at random offsets with short fades at their boundaries,
and mixed at drawn signal-to-noise ratios (energy ratio over the whole clip). The exact relations:

  edit_add      target = source + event             edit_remove  source = target + event
  edit_replace  source = scene + A, target = scene + B (B at A's offset and level)
  sis_insert    target = source + speech placed at the time stated in the instruction
  sis_delete    source = target + speech            sis_rewrite  speech swapped for another line of the same speaker
  t2as          speech and sound mixed at snr_db     timed        events at the stated start/end times
  denoise       source = target + coloured noise at snr_db
  super_resolution  source = target low-passed (FFT brick wall) at a cut-off drawn from sr_cutoffs_hz:
                no energy above the cut-off, the band below it unchanged; a (clip, cut-off) draw whose
                energy above the cut-off is below sr_min_high_db re the clip's is redrawn (band-limited
                recordings such as 8 kHz telephone prompts would otherwise teach the identity)
  edit_other    volume change (+-3..10 dB, stated) or a fade-in / fade-out over stated seconds
  zs_tts        target = reference prefix (P latent frames) + new utterance of the same speaker;
                z_s = encoded reference in the first P frames, zeros after; loss mask 0 on those P frames.
  target_speaker_extraction  m=2 with a source: enrolment = another utterance of the target speaker
                in the first P frames of both; after it, source = target speech + a different
                speaker's utterance at tse_sir_db (overlapping), target = the target speech alone.
  voice_conversion  m=2 with a source: reference = an utterance of speaker B in the first P frames of
                both; after it, source = sentence X said by speaker A, target = the same sentence X
                said by B (a real parallel recording, same start); reference and target are
                different utterances of B. Both keep z_s whole (the prefix and the source after it);
                loss mask 0 on the P prefix frames, as for zs_tts.

Randomness comes only from the numpy Generator passed to ``make_batch`` (noise included), so a
batch is a pure function of (task, batch size, rng state): resume is exact.
"""
from __future__ import annotations

import logging
import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from unison.audio.sequence import latent_length, num_samples
from unison.core.audio import audio_info, read_mono
from unison.core.signal_torch import coloured_noise, gain_for_snr, normalize_rms, place_faded
from unison.data import templates
from unison.data.manifests import Manifest, ManifestRow
from unison.tasks import GENERATION, TASKS, ZERO_SHOT, get_task, task_loss_mask

log = logging.getLogger(__name__)

EDIT_OTHER_VARIANTS = ("volume_up", "volume_down", "fade_in", "fade_out")

_S, _SP, _G, _SPK = "sound clips", "speech clips that fit in a clip", "speech with a gender label", \
    "speakers with two utterances"
_TWO, _PAR = "speech by two different speakers", \
    "a sentence recorded by two speakers, one of whom has another utterance, that fit in one clip together"
TASK_NEEDS: dict[str, tuple[str, ...]] = {  # what each task draws from the pool
    "tts": (_G,), "zs_tts": (_SPK,), "t2a": (_S,), "t2a_mix": (_S,), "t2as": (_G, _S), "timed": (_S,),
    "edit_add": (_S,), "edit_remove": (_S,), "edit_replace": (_S,), "sis_insert": (_G, _S), "sis_delete": (_SP, _S),
    "sis_rewrite": (_SPK, _S), "denoise": (_SP, _S), "edit_other": (_SP, _S), "super_resolution": (_SP, _S),
    "target_speaker_extraction": (_SPK, _TWO), "voice_conversion": (_PAR,),
}


class NotEnoughDataError(ValueError):
    """The clip pool lacks what a task needs (e.g. no speaker with two utterances for zs_tts)."""


@dataclass(frozen=True)
class SynthesisConfig:
    seconds: float = 10.0  # clip length (rounded up to whole latent frames)
    level_dbfs: tuple[float, float] = (-28.0, -20.0)  # RMS of the loudest layer of a clip
    fade_seconds: float = 0.02  # linear fades at every placed event's boundaries
    mix_snr_db: tuple[float, float] = (-5.0, 5.0)  # between events of a mix / scene
    event_snr_db: tuple[float, float] = (-5.0, 5.0)  # edited event over the scene
    speech_snr_db: tuple[float, float] = (0.0, 10.0)  # speech over the scene (t2as, sis_*)
    noise_snr_db: tuple[float, float] = (0.0, 20.0)  # denoise
    # super_resolution cut-offs (Hz), drawn uniformly. Below the tiny codec's mel f_max (8 kHz): above
    # it the codec represents nothing, so an 8 kHz cut-off would teach the identity.
    sr_cutoffs_hz: tuple[float, ...] = (2000.0, 4000.0, 6000.0)
    sr_min_high_db: float = -30.0  # super_resolution: energy above the cut-off, dB re the clip's (else redrawn)
    restore_speech_prob: float = 0.7  # super_resolution: speech clip (else a sound clip), as denoise
    tse_sir_db: tuple[float, float] = (-5.0, 5.0)  # target_speaker_extraction: target over interfering speaker
    zh_prob: float = 0.3  # instruction in Chinese when every caption used has a Chinese version
    max_lead_seconds: float = 0.3  # random leading silence before speech in tts / zs_tts
    volume_db: tuple[int, int] = (3, 10)  # edit_other volume change magnitude (whole dB)
    fade_range: tuple[float, float] = (1.0, 4.0)  # edit_other fade lengths (0.5 s steps)
    peak: float = 0.99  # a clip whose peak exceeds this is scaled down (source and target together)


@dataclass
class Batch:
    """One task-homogeneous training batch. Waves are (B, N) with N = T * 2 * hop."""

    task: str
    m: int  # task channel value
    target: Tensor  # (B, N)
    source: Tensor | None  # (B, N): edit source or zs_tts reference (zeros after it); None for m=0
    instructions: list[str]
    ids: list[tuple[str, ...]]  # manifest row ids used per item
    prefix_frames: Tensor  # (B,) long: zs_tts reference length in latent frames, else 0
    loss_mask: Tensor  # (B, T) float
    meta: list[dict] = field(default_factory=list)  # per item: offsets, snr, language, variant, ...
    z: Tensor | None = None  # (B, T, C) target latent (when an encoder is given)
    z_s: Tensor | None = None  # (B, T, C) source latent; zeros for generation tasks


# ---------------------------------------------------------------------------------------------
# Clip pool
# ---------------------------------------------------------------------------------------------

class ClipPool:
    """Manifest rows grouped for the tasks, with their waves loaded on demand (mono float32 at
    ``sample_rate``, segment of long files) and kept in an LRU cache of ``cache_mb``."""

    def __init__(self, manifest: Manifest, sample_rate: int, max_seconds: float, cache_mb: float = 2048.0):
        self.manifest, self.sample_rate = manifest, sample_rate
        self.sounds = [r for r in manifest.rows if r.kind == "sound"]
        fits = [r for r in manifest.rows if r.kind == "speech" and r.duration <= max_seconds - 0.5]
        self.speech = fits
        self.gendered = [r for r in fits if r.gender is not None]
        by_speaker: dict[str, list[ManifestRow]] = defaultdict(list)
        for r in fits:
            if r.speaker is not None:
                by_speaker[r.speaker].append(r)
        self.by_speaker = {s: rs for s, rs in sorted(by_speaker.items()) if len(rs) >= 2}
        self.speakers = sorted(by_speaker)  # every speaker with at least one utterance that fits
        by_text: dict[str, dict[str, ManifestRow]] = defaultdict(dict)
        for r in fits:
            if r.speaker is not None and r.text:
                by_text[r.text].setdefault(r.speaker, r)
        # voice_conversion pairs: a sentence by >= 2 speakers, one of whom (the target) has another utterance
        self.parallel = {t: rs for t, rs in sorted(by_text.items())
                         if len(rs) >= 2 and any(s in self.by_speaker for s in rs)}
        groups: dict[tuple[str, str], list[ManifestRow]] = defaultdict(list)
        for r in self.gendered:
            groups[(r.language or "", r.gender)].append(r)
        self.gender_groups = dict(sorted(groups.items()))  # (language, gender) -> rows
        self._cache: OrderedDict[str, Tensor] = OrderedDict()
        self._cache_bytes, self._cache_limit = 0, int(cache_mb * 2**20)

    def wave(self, row: ManifestRow) -> Tensor:
        """(samples,) float32 CPU tensor."""
        if row.id in self._cache:
            self._cache.move_to_end(row.id)
            return self._cache[row.id]
        path = self.manifest.path_of(row)
        info = audio_info(path)
        start = int(round(row.offset * info.samplerate))
        stop = info.frames if row.end is None else min(info.frames, int(round(row.end * info.samplerate)))
        mono, _ = read_mono(path, self.sample_rate, start=start, stop=stop)
        w = torch.from_numpy(np.ascontiguousarray(mono, dtype=np.float32))
        self._cache[row.id] = w
        self._cache_bytes += w.numel() * 4
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.numel() * 4
        return w


def _lang(row: ManifestRow) -> str:
    """Instruction language of a speech row (its transcript's language; English if unsupported)."""
    return row.language if row.language in templates.LANGS else "en"


# ---------------------------------------------------------------------------------------------
# Synthesizer
# ---------------------------------------------------------------------------------------------

@dataclass
class _Item:
    target: Tensor  # (N,)
    source: Tensor | None  # (N,)
    instruction: str
    ids: tuple[str, ...]
    prefix_frames: int = 0
    meta: dict = field(default_factory=dict)


class Synthesizer:
    """Builds task-homogeneous batches. ``encode`` maps waves (B, N) -> latents (B, T, C) (the
    codec's encode); without it the batch carries waves only."""

    def __init__(self, pool: ClipPool, sample_rate: int, hop_length: int, cfg: SynthesisConfig = SynthesisConfig(),
                 encode: Callable[[Tensor], Tensor] | None = None, device: str | torch.device = "cpu",
                 keep_parts: bool = False, tasks: list[str] | None = None):
        if pool.sample_rate != sample_rate:
            raise ValueError(f"clip pool is at {pool.sample_rate} Hz but the synthesizer at {sample_rate} Hz")
        self.pool, self.sr, self.hop, self.cfg = pool, sample_rate, hop_length, cfg
        self.encode, self.device, self.keep_parts = encode, torch.device(device), keep_parts
        self.frames = latent_length(cfg.seconds, sample_rate, hop_length)  # T
        self.n = num_samples(self.frames, hop_length)  # N
        self.fade = int(round(cfg.fade_seconds * sample_rate))
        self._vc: list | None = None  # voice_conversion triples that fit (built on first use)
        self._builders = {name: getattr(self, f"_{name}") for name in TASKS}
        self.check(tasks)  # fail at start-up, not mid-run, when a task cannot be built

    @classmethod
    def from_codec(cls, pool: ClipPool, codec, cfg: SynthesisConfig = SynthesisConfig(),
                   device: str | torch.device = "cpu", tasks: list[str] | None = None) -> "Synthesizer":
        return cls(pool, codec.sample_rate, codec.hop_length, cfg, encode=codec.encode, device=device, tasks=tasks)

    def check(self, tasks: list[str] | None = None) -> None:
        """Raise NotEnoughDataError naming what the pool lacks for ``tasks`` (default: every task)."""
        p = self.pool
        have = {_S: bool(p.sounds), _SP: bool(p.speech), _G: bool(p.gendered), _SPK: bool(p.by_speaker),
                _TWO: len(p.speakers) >= 2, _PAR: bool(p.parallel) and bool(self._vc_triples())}
        missing = {}
        for task in tasks if tasks is not None else list(TASKS):
            for need in TASK_NEEDS[get_task(task).name]:
                if not have[need]:
                    missing.setdefault(need, []).append(task)
        if missing:
            raise NotEnoughDataError("the manifest lacks " + "; ".join(
                f"{need} (needed by {', '.join(ts)})" for need, ts in missing.items())
                + ". Add such data or set those tasks' probability to 0 (data.task_probs)")

    # -- public -------------------------------------------------------------------------------
    def make_batch(self, task: str, batch_size: int, rng: np.random.Generator) -> Batch:
        spec = get_task(task)
        items = [self._builders[spec.name](rng) for _ in range(batch_size)]
        items = [self._limit_peak(it) for it in items]
        target = torch.stack([it.target for it in items])  # (B, N)
        source = torch.stack([it.source for it in items]) if spec.m != GENERATION else None  # (B, N)
        prefix = torch.tensor([it.prefix_frames for it in items], dtype=torch.long, device=self.device)  # (B,)
        mask = task_loss_mask(spec, batch_size, self.frames, prefix if spec.m == ZERO_SHOT else None,
                              device=self.device)  # (B, T)
        batch = Batch(spec.name, spec.m, target, source, [it.instruction for it in items],
                      [it.ids for it in items], prefix, mask, [it.meta for it in items])
        if self.encode is not None:
            self._encode(batch)
        return batch

    # -- shared steps -------------------------------------------------------------------------
    def _encode(self, batch: Batch) -> None:
        B = batch.target.shape[0]
        waves = batch.target if batch.source is None else torch.cat([batch.target, batch.source])
        z = self.encode(waves)  # (B or 2B, T, C)
        if z.shape[1] != self.frames:
            raise ValueError(f"encoder returned {z.shape[1]} latent frames for {self.n} samples; expected "
                             f"{self.frames} (hop {self.hop}): the codec and synthesizer disagree")
        batch.z = z[:B]
        if batch.source is None:
            batch.z_s = torch.zeros_like(batch.z)
        else:
            z_s = z[B:].clone()
            spec = get_task(batch.task)
            if spec.m == ZERO_SHOT and not spec.with_source:  # zs_tts: keep only the reference prefix frames
                keep = torch.arange(self.frames, device=z_s.device)[None, :] < batch.prefix_frames.to(z_s.device)[:, None]
                z_s = z_s * keep[..., None].to(z_s.dtype)
            batch.z_s = z_s

    def _limit_peak(self, it: _Item) -> _Item:
        """Scale target, source and parts together (keeps every linear relation exact)."""
        peak = max(float(it.target.abs().max()), float(it.source.abs().max()) if it.source is not None else 0.0)
        if peak <= self.cfg.peak:
            return it
        g = self.cfg.peak / peak
        it.target = it.target * g
        it.source = it.source * g if it.source is not None else None
        for k, v in it.meta.get("parts", {}).items():
            it.meta["parts"][k] = v * g
        it.meta["peak_gain"] = g
        return it

    def _u(self, rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
        return float(rng.uniform(*lo_hi))

    def _load(self, row: ManifestRow) -> Tensor:
        return self.pool.wave(row).to(self.device)

    def _pick(self, rng: np.random.Generator, rows: list[ManifestRow], what: str) -> ManifestRow:
        if not rows:
            raise NotEnoughDataError(f"no {what} in the manifest")
        return rows[int(rng.integers(len(rows)))]

    def _pick_gendered(self, rng: np.random.Generator) -> ManifestRow:
        """Gendered speech, balanced: a (language, gender) group uniformly, then a row in it (small
        corpora are lopsided, e.g. hundreds of prompts by one female speaker)."""
        groups = list(self.pool.gender_groups.values())
        if not groups:
            raise NotEnoughDataError("no speech with a gender label in the manifest")
        return self._pick(rng, groups[int(rng.integers(len(groups)))], "speech with a gender label")

    def _pick_sounds(self, rng: np.random.Generator, k: int, exclude: set[str] = frozenset()) -> list[ManifestRow]:
        rows = [r for r in self.pool.sounds if r.id not in exclude]
        if len(rows) < k:
            raise NotEnoughDataError(f"need {k} distinct sound clips, the manifest has {len(rows)}")
        return [rows[i] for i in rng.choice(len(rows), size=k, replace=False)]

    def _crop(self, rng: np.random.Generator, w: Tensor, max_len: int) -> Tensor:
        """Random window of at most ``max_len`` samples (sounds only: speech is never cut)."""
        if w.numel() <= max_len:
            return w
        start = int(rng.integers(0, w.numel() - max_len + 1))
        return w[start: start + max_len]

    def _event(self, rng: np.random.Generator, row: ManifestRow, max_len: int | None = None,
               offset: int | None = None) -> tuple[Tensor, int]:
        """A sound clip RMS-normalised, cropped, placed at a random (or given) offset -> ((N,), offset)."""
        w = self._crop(rng, self._load(row), max_len or self.n)
        w = normalize_rms(w, -20.0)
        if offset is None:
            offset = int(rng.integers(0, self.n - w.numel() + 1))
        return place_faded(w, self.n, offset, self.fade), offset

    def _scene(self, rng: np.random.Generator, k: int | None = None, exclude: set[str] = frozenset()):
        """1-2 sound events at random offsets and relative levels -> ((N,), rows)."""
        k = k or int(rng.integers(1, 3))
        rows = self._pick_sounds(rng, k, exclude)
        scene = self.pool_zero()
        for i, r in enumerate(rows):
            ev, _ = self._event(rng, r)
            scene = scene + ev * (1.0 if i == 0 else 10 ** (-self._u(rng, self.cfg.mix_snr_db) / 20))
        return scene, rows

    def pool_zero(self) -> Tensor:
        return torch.zeros(self.n, device=self.device)  # (N,)

    def _level(self, rng: np.random.Generator, *waves: Tensor) -> tuple[Tensor, ...]:
        """Scale a group of waves by one gain so the first one's RMS is a drawn level."""
        g = 10 ** (self._u(rng, self.cfg.level_dbfs) / 20) / float(waves[0].pow(2).mean().sqrt().clamp_min(1e-8))
        return tuple(w * g for w in waves)

    def _lang_for(self, rng: np.random.Generator, rows: list[ManifestRow]) -> str:
        ok = all(r.text_in("zh") for r in rows)
        return "zh" if ok and rng.random() < self.cfg.zh_prob else "en"

    def _caption(self, row: ManifestRow, lang: str) -> str:
        return row.text_in(lang) or row.text

    def _time(self, rng: np.random.Generator, latest: float) -> float:
        """A start time on the 0.1 s grid in [0, latest]."""
        return int(rng.integers(0, int(math.floor(max(latest, 0.0) * 10)) + 1)) / 10

    def _speech_at(self, rng: np.random.Generator, row: ManifestRow, seconds: float) -> tuple[Tensor, int]:
        w = normalize_rms(self._load(row), -20.0)
        off = int(round(seconds * self.sr))
        return place_faded(w, self.n, off, self.fade), off

    def _speech_offset_time(self, rng: np.random.Generator, row: ManifestRow) -> float:
        return self._time(rng, (self.n - self.pool.wave(row).numel()) / self.sr - 0.1)

    def _parts(self, **parts: Tensor) -> dict:
        return {"parts": parts} if self.keep_parts else {}

    # -- generation tasks ---------------------------------------------------------------------
    def _tts(self, rng):
        row = self._pick_gendered(rng)
        speech, off = self._speech_at(rng, row, self._time(rng, self.cfg.max_lead_seconds))
        (target,) = self._level(rng, speech)
        text = templates.render("tts", _lang(row), rng, gender=row.gender, text=row.text)
        return _Item(target, None, text, (row.id,), meta={"offset": off, "language": row.language})

    def _zs_tts(self, rng):
        speakers = list(self.pool.by_speaker)
        spf = 2 * self.hop
        for _ in range(50):
            rows = self.pool.by_speaker[speakers[int(rng.integers(len(speakers)))]]
            i, j = rng.choice(len(rows), size=2, replace=False)
            ref_row, tgt_row = rows[int(i)], rows[int(j)]
            ref, tgt = self._load(ref_row), self._load(tgt_row)
            P = -(-ref.numel() // spf)  # reference frames, as the pipeline encodes it
            lead = int(round(self._u(rng, (0.0, 0.2)) * self.sr))
            if P * spf + lead + tgt.numel() <= self.n and P < self.frames:
                break
        else:
            raise NotEnoughDataError("zs_tts: no pair of one speaker's utterances fits in one clip; "
                                     f"use shorter utterances or a longer clip (seconds={self.cfg.seconds})")
        g = 10 ** (-20 / 20) / float(ref.pow(2).mean().sqrt().clamp_min(1e-8))  # one gain: same loudness cue
        ref_w = place_faded(ref * g, self.n, 0, self.fade)
        tgt_w = place_faded(tgt * g, self.n, P * spf + lead, self.fade)
        target, source = self._level(rng, ref_w + tgt_w, ref_w)
        text = templates.render("zs_tts", _lang(tgt_row), rng, text=tgt_row.text)
        return _Item(target, source, text, (ref_row.id, tgt_row.id), prefix_frames=P,
                     meta={"target_offset": P * spf + lead, "language": tgt_row.language})

    def _t2a(self, rng):
        (row,) = self._pick_sounds(rng, 1)
        ev, off = self._event(rng, row)
        (target,) = self._level(rng, ev)
        lang = self._lang_for(rng, [row])
        return _Item(target, None, templates.render("t2a", lang, rng, caption=self._caption(row, lang)), (row.id,),
                     meta={"offset": off, "language": lang})

    def _t2a_mix(self, rng):
        rows = self._pick_sounds(rng, int(rng.integers(2, 4)))
        mix, snrs = self.pool_zero(), []
        for i, r in enumerate(rows):
            ev, _ = self._event(rng, r)
            snr = 0.0 if i == 0 else self._u(rng, self.cfg.mix_snr_db)
            mix, snrs = mix + ev * 10 ** (-snr / 20), snrs + [snr]
        (target,) = self._level(rng, mix)
        lang = self._lang_for(rng, rows)
        caps = templates.join_list([self._caption(r, lang) for r in rows], lang)
        return _Item(target, None, templates.render("t2a_mix", lang, rng, captions=caps), tuple(r.id for r in rows),
                     meta={"relative_db": snrs, "language": lang})

    def _t2as(self, rng):
        speech_row = self._pick_gendered(rng)
        lang = _lang(speech_row)
        (sound_row,) = self._pick_sounds(rng, 1)
        speech, s_off = self._speech_at(rng, speech_row, self._speech_offset_time(rng, speech_row))
        sound, _ = self._event(rng, sound_row)
        snr = self._u(rng, self.cfg.speech_snr_db)
        sound = sound * gain_for_snr(speech, sound, snr)
        target, speech, sound = self._level(rng, speech + sound, speech, sound)
        text = templates.render("t2as", lang, rng, caption=self._caption(sound_row, lang), gender=speech_row.gender,
                                text=speech_row.text)
        return _Item(target, None, text, (speech_row.id, sound_row.id),
                     meta={"snr_db": snr, "speech_offset": s_off, "language": lang,
                           **self._parts(speech=speech, sound=sound)})

    def _timed(self, rng):
        k = int(rng.integers(2, 4))
        rows = self._pick_sounds(rng, k)
        lang = self._lang_for(rng, rows)
        max_len = self.n // k - int(0.2 * self.sr)  # every event fits with 0.1 s grid gaps
        waves = [normalize_rms(self._crop(rng, self._load(r), max_len), -20.0) for r in rows]
        grid = [math.ceil(w.numel() / self.sr * 10) / 10 + 0.1 for w in waves]  # seconds each event occupies
        total = self.n / self.sr
        mix, events, cursor = self.pool_zero(), [], 0.0
        for i, (r, w) in enumerate(zip(rows, waves)):
            start = round(cursor + self._time(rng, total - cursor - sum(grid[i:])), 1)
            off = int(round(start * self.sr))
            mix = mix + place_faded(w, self.n, off, self.fade) * 10 ** (-self._u(rng, self.cfg.mix_snr_db) / 20)
            events.append((self._caption(r, lang), start, round((off + w.numel()) / self.sr, 1), off, off + w.numel()))
            cursor = round(start + grid[i], 1)
        (target,) = self._level(rng, mix)
        text = templates.render("timed", lang, rng, events=templates.timed_events([e[:3] for e in events], lang))
        return _Item(target, None, text, tuple(r.id for r in rows),
                     meta={"events": [{"start": s, "end": e, "first_sample": a, "end_sample": b}
                                      for _, s, e, a, b in events], "language": lang})

    # -- editing tasks ------------------------------------------------------------------------
    def _scene_and_event(self, rng):
        """A scene and one other sound event at a drawn level over it (shared by add and remove)."""
        scene, scene_rows = self._scene(rng)
        (row,) = self._pick_sounds(rng, 1, {r.id for r in scene_rows})
        ev, off = self._event(rng, row)
        ev = ev * gain_for_snr(scene, ev, -self._u(rng, self.cfg.event_snr_db))
        scene, ev = self._level(rng, scene, ev)
        lang = self._lang_for(rng, [row])
        return scene, ev, row, scene_rows, off, lang

    def _edit_add(self, rng):
        scene, event, row, scene_rows, off, lang = self._scene_and_event(rng)
        text = templates.render("edit_add", lang, rng, caption=self._caption(row, lang))
        return _Item(scene + event, scene, text, (row.id, *[r.id for r in scene_rows]),
                     meta={"offset": off, "language": lang, **self._parts(event=event)})  # target = source + event

    def _edit_remove(self, rng):
        scene, event, row, scene_rows, off, lang = self._scene_and_event(rng)
        text = templates.render("edit_remove", lang, rng, caption=self._caption(row, lang))
        return _Item(scene, scene + event, text, (row.id, *[r.id for r in scene_rows]),
                     meta={"offset": off, "language": lang, **self._parts(event=event)})  # source = target + event

    def _edit_replace(self, rng):
        scene, scene_rows = self._scene(rng)
        old_row, new_row = self._pick_sounds(rng, 2, {r.id for r in scene_rows})
        old, off = self._event(rng, old_row)
        new, _ = self._event(rng, new_row, offset=off)
        g = gain_for_snr(scene, old, -self._u(rng, self.cfg.event_snr_db))
        scene, old, new = self._level(rng, scene, old * g, new * g)
        lang = self._lang_for(rng, [old_row, new_row])
        text = templates.render("edit_replace", lang, rng, old=self._caption(old_row, lang),
                                new=self._caption(new_row, lang))
        return _Item(scene + new, scene + old, text, (old_row.id, new_row.id, *[r.id for r in scene_rows]),
                     meta={"offset": off, "language": lang, **self._parts(scene=scene, old=old, new=new)})

    def _speech_in_scene(self, rng, row: ManifestRow, at: float | None = None):
        """Scene + speech placed at time ``at`` (drawn on the 0.1 s grid when None)."""
        scene, scene_rows = self._scene(rng)
        at = self._speech_offset_time(rng, row) if at is None else at
        speech, off = self._speech_at(rng, row, at)
        speech = speech * gain_for_snr(scene, speech, -self._u(rng, self.cfg.speech_snr_db))
        return scene, speech, at, off, scene_rows

    def _sis_insert(self, rng):
        row = self._pick_gendered(rng)
        scene, speech, at, off, scene_rows = self._speech_in_scene(rng, row)
        scene, speech = self._level(rng, scene, speech)
        text = templates.render("sis_insert", _lang(row), rng, gender=row.gender, text=row.text,
                                time=templates.seconds_str(at))
        return _Item(scene + speech, scene, text, (row.id, *[r.id for r in scene_rows]),
                     meta={"time": at, "offset": off, "language": row.language, **self._parts(speech=speech)})

    def _sis_delete(self, rng):
        row = self._pick(rng, self.pool.speech, "speech clips that fit")
        scene, speech, at, off, scene_rows = self._speech_in_scene(rng, row)
        scene, speech = self._level(rng, scene, speech)
        lang = _lang(row)
        return _Item(scene, scene + speech, templates.render("sis_delete", lang, rng),
                     (row.id, *[r.id for r in scene_rows]),
                     meta={"offset": off, "language": lang, **self._parts(speech=speech)})

    def _sis_rewrite(self, rng):
        speakers = list(self.pool.by_speaker)
        rows = self.pool.by_speaker[speakers[int(rng.integers(len(speakers)))]]
        i, j = rng.choice(len(rows), size=2, replace=False)
        old_row, new_row = rows[int(i)], rows[int(j)]
        longest = max(self.pool.wave(old_row).numel(), self.pool.wave(new_row).numel())
        at = self._time(rng, (self.n - longest) / self.sr - 0.1)
        scene, old, _, off, scene_rows = self._speech_in_scene(rng, old_row, at)
        new, _ = self._speech_at(rng, new_row, at)
        new = new * float(old.norm() / new.norm().clamp_min(1e-8))  # same loudness as the old line
        scene, old, new = self._level(rng, scene, old, new)
        text = templates.render("sis_rewrite", _lang(new_row), rng, text=new_row.text, old_text=old_row.text)
        return _Item(scene + new, scene + old, text, (old_row.id, new_row.id, *[r.id for r in scene_rows]),
                     meta={"time": at, "offset": off, "language": new_row.language,
                           **self._parts(scene=scene, old=old, new=new)})

    def _denoise(self, rng):
        use_speech = rng.random() < 0.7
        if use_speech:
            row = self._pick(rng, self.pool.speech, "speech clips that fit")
            clean, _ = self._speech_at(rng, row, self._speech_offset_time(rng, row))
        else:
            (row,) = self._pick_sounds(rng, 1)
            clean, _ = self._event(rng, row)
        colour = ("white", "pink", "brown")[int(rng.integers(3))]
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        noise = coloured_noise(self.n, colour, gen).to(self.device)
        snr = self._u(rng, self.cfg.noise_snr_db)
        noise = noise * gain_for_snr(clean, noise, snr)
        clean, noise = self._level(rng, clean, noise)
        lang = "zh" if rng.random() < self.cfg.zh_prob else "en"
        return _Item(clean, clean + noise, templates.render("denoise", lang, rng), (row.id,),
                     meta={"snr_db": snr, "colour": colour, "language": lang, **self._parts(noise=noise)})

    def _edit_other(self, rng):
        """Volume change by a stated whole number of dB, or a fade-in / fade-out over stated seconds."""
        variant = EDIT_OTHER_VARIANTS[int(rng.integers(len(EDIT_OTHER_VARIANTS)))]
        scene, rows = self._scene(rng)
        if rng.random() < 0.5:
            speech_row = self._pick(rng, self.pool.speech, "speech clips that fit")
            speech, _ = self._speech_at(rng, speech_row, self._speech_offset_time(rng, speech_row))
            scene = scene + speech * gain_for_snr(scene, speech, -self._u(rng, self.cfg.speech_snr_db))
            rows = rows + [speech_row]
        lang = "zh" if rng.random() < self.cfg.zh_prob else "en"
        if variant.startswith("volume"):
            db = int(rng.integers(self.cfg.volume_db[0], self.cfg.volume_db[1] + 1))
            signed = db if variant == "volume_up" else -db
            # source level chosen so the louder of the two stays at a drawn level (no clipping)
            (source,) = self._level(rng, scene)
            source = source * (10 ** (-signed / 20) if signed > 0 else 1.0)
            target = source * 10 ** (signed / 20)
            fields, meta = {"db": db}, {"gain_db": signed}
        else:
            secs = float(rng.integers(int(self.cfg.fade_range[0] * 2), int(self.cfg.fade_range[1] * 2) + 1)) / 2
            (source,) = self._level(rng, scene)
            k = int(round(secs * self.sr))
            env = torch.ones(self.n, device=self.device)  # (N,)
            ramp = torch.linspace(0.0, 1.0, k, device=self.device)
            if variant == "fade_in":
                env[:k] = ramp
            else:
                env[self.n - k:] = ramp.flip(0)
            target = source * env
            fields, meta = {"seconds": templates.seconds_str(secs)}, {"fade_seconds": secs}
        text = templates.render(f"edit_other/{variant}", lang, rng, **fields)
        return _Item(target, source, text, tuple(r.id for r in rows),
                     meta={"variant": variant, "language": lang, **meta})

    # -- tasks beyond the paper's table (unison.tasks) -----------------------------------------
    def _clean_clip(self, rng):
        """A clean speech (p = restore_speech_prob) or sound clip placed in the clip -> ((N,), row)."""
        if rng.random() < self.cfg.restore_speech_prob:
            row = self._pick(rng, self.pool.speech, "speech clips that fit")
            return self._speech_at(rng, row, self._speech_offset_time(rng, row))[0], row
        (row,) = self._pick_sounds(rng, 1)
        return self._event(rng, row)[0], row

    def _super_resolution(self, rng):
        for _ in range(50):  # a clip with content above the cut-off (telephone-band speech has none above 4 kHz)
            clean, row = self._clean_clip(rng)
            cutoff = float(self.cfg.sr_cutoffs_hz[int(rng.integers(len(self.cfg.sr_cutoffs_hz)))])
            low = lowpass(clean, cutoff, self.sr)
            high_db = 10 * math.log10(max(float((clean - low).pow(2).sum() / clean.pow(2).sum().clamp_min(1e-20)), 1e-20))
            if high_db >= self.cfg.sr_min_high_db:
                break
        else:
            raise NotEnoughDataError(f"super_resolution: no clip has energy within {self.cfg.sr_min_high_db} dB of "
                                     f"its total above the cut-offs {self.cfg.sr_cutoffs_hz} Hz")
        clean, low = self._level(rng, clean, low)
        lang = "zh" if rng.random() < self.cfg.zh_prob else "en"
        return _Item(clean, low, templates.render("super_resolution", lang, rng), (row.id,),
                     meta={"cutoff_hz": cutoff, "high_band_db": high_db, "language": lang})

    def _prefix_layout(self, rng, ref: Tensor, *lengths: int) -> tuple[int, int] | None:
        """(P, start) for a reference prefix of P frames then material of ``lengths`` samples from
        ``start`` (0-0.2 s after the prefix); None when it does not fit in the clip."""
        spf = 2 * self.hop
        P = -(-ref.numel() // spf)  # reference frames, as the pipeline encodes it
        start = P * spf + int(round(self._u(rng, (0.0, 0.2)) * self.sr))
        if P < self.frames and start + max(lengths) <= self.n:
            return P, start
        return None

    def _target_speaker_extraction(self, rng):
        speakers = list(self.pool.by_speaker)
        for _ in range(50):
            spk = speakers[int(rng.integers(len(speakers)))]
            rows = self.pool.by_speaker[spk]
            i, j = rng.choice(len(rows), size=2, replace=False)
            enr_row, tgt_row = rows[int(i)], rows[int(j)]
            room = self.n / self.sr - 0.2 - 2 * self.hop / self.sr - enr_row.duration  # after the prefix
            others = [r for r in self.pool.speech if r.speaker is not None and r.speaker != spk and r.duration <= room]
            if tgt_row.duration > room or not others:
                continue
            itf_row = others[int(rng.integers(len(others)))]
            enr, tgt, itf = self._load(enr_row), self._load(tgt_row), self._load(itf_row)
            layout = self._prefix_layout(rng, enr, tgt.numel(), itf.numel())
            if layout is not None:
                break
        else:
            raise NotEnoughDataError("target_speaker_extraction: no enrolment + utterance + interferer fits in one "
                                     f"clip; use shorter utterances or a longer clip (seconds={self.cfg.seconds})")
        P, start = layout
        g = 10 ** (-20 / 20) / float(enr.pow(2).mean().sqrt().clamp_min(1e-8))  # one gain: same loudness cue
        enr_w = place_faded(enr * g, self.n, 0, self.fade)
        tgt_w = place_faded(tgt * g, self.n, start, self.fade)
        itf_off = int(rng.integers(P * 2 * self.hop, self.n - itf.numel() + 1))  # overlapping, after the prefix
        itf_w = place_faded(itf, self.n, itf_off, self.fade)
        sir = self._u(rng, self.cfg.tse_sir_db)
        itf_w = itf_w * gain_for_snr(tgt_w, itf_w, sir)
        enr_w, tgt_w, itf_w = self._level(rng, enr_w, tgt_w, itf_w)
        lang = _lang(tgt_row)
        return _Item(enr_w + tgt_w, enr_w + tgt_w + itf_w, templates.render("target_speaker_extraction", lang, rng),
                     (enr_row.id, tgt_row.id, itf_row.id), prefix_frames=P,
                     meta={"target_offset": start, "interferer_offset": itf_off, "sir_db": sir, "language": lang,
                           "speakers": (spk, itf_row.speaker), **self._parts(interferer=itf_w)})

    def _vc_triples(self) -> list[tuple[ManifestRow, ManifestRow, ManifestRow]]:
        """(source, target, reference) rows for voice_conversion whose manifest durations fit one clip
        (reference, <= 0.2 s gap, the longer of the parallel pair): few sentences do at short clip
        lengths, so they are listed once rather than found by random retries."""
        if self._vc is None:
            room = self.n / self.sr - 0.2 - 2 * self.hop / self.sr  # the gap and the prefix's frame rounding
            self._vc = [(by[a], by[b], ref) for _, by in sorted(self.pool.parallel.items())
                        for b in sorted(by) if b in self.pool.by_speaker for a in sorted(by) if a != b
                        for ref in self.pool.by_speaker[b]
                        if ref.id != by[b].id and ref.duration + max(by[a].duration, by[b].duration) <= room]
        return self._vc

    def _voice_conversion(self, rng):
        triples = self._vc_triples()
        if not triples:
            raise NotEnoughDataError("voice_conversion: no reference + parallel pair fits in one clip; use shorter "
                                     f"utterances or a longer clip (seconds={self.cfg.seconds})")
        for _ in range(50):
            src_row, tgt_row, ref_row = triples[int(rng.integers(len(triples)))]
            tgt_spk = tgt_row.speaker
            ref, src, tgt = self._load(ref_row), self._load(src_row), self._load(tgt_row)
            layout = self._prefix_layout(rng, ref, src.numel(), tgt.numel())
            if layout is not None:
                break
        else:
            raise NotEnoughDataError("voice_conversion: no reference + parallel pair fits in one clip; use shorter "
                                     f"utterances or a longer clip (seconds={self.cfg.seconds})")
        P, start = layout
        g = 10 ** (-20 / 20) / float(ref.pow(2).mean().sqrt().clamp_min(1e-8))  # reference and target: one gain
        ref_w = place_faded(ref * g, self.n, 0, self.fade)
        tgt_w = place_faded(tgt * g, self.n, start, self.fade)
        src_w = place_faded(normalize_rms(src, -20.0), self.n, start, self.fade)
        src_w = src_w * float(tgt_w.norm() / src_w.norm().clamp_min(1e-8))  # same energy as the target line
        ref_w, tgt_w, src_w = self._level(rng, ref_w, tgt_w, src_w)
        lang = _lang(tgt_row)
        return _Item(ref_w + tgt_w, ref_w + src_w, templates.render("voice_conversion", lang, rng),
                     (ref_row.id, src_row.id, tgt_row.id), prefix_frames=P,
                     meta={"target_offset": start, "language": lang, "speakers": (src_row.speaker, tgt_spk),
                           "text": tgt_row.text, **self._parts(source_speech=src_w)})


def lowpass(wave: Tensor, cutoff_hz: float, sample_rate: int) -> Tensor:
    """Brick-wall low-pass over the whole clip: DFT bins above ``cutoff_hz`` set to 0 -> (N,) of the
    same length; the bins at or below it are unchanged (so target - source has no energy below it)."""
    if not 0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"cut-off {cutoff_hz} Hz must be in (0, {sample_rate / 2}) Hz")
    spec = torch.fft.rfft(wave.double())
    freqs = torch.fft.rfftfreq(wave.numel(), 1.0 / sample_rate).to(spec.device)
    spec[freqs > cutoff_hz] = 0
    return torch.fft.irfft(spec, n=wave.numel()).to(wave.dtype)
