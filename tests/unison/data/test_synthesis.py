import re

import numpy as np
import pytest
import torch

from unison.core.audio import read_mono
from unison.core.sources.sounds import tuxpaint_sounds
from unison.core.sources.speech import asterisk_prompts
from unison.core.sources.voices import VOICES
from unison.data.manifests import ManifestRow, load_manifest, write_manifest
from unison.data.synthesis import ClipPool, NotEnoughDataError, SynthesisConfig, Synthesizer
from unison.tasks import TASKS

SR, HOP, C = 22050, 256, 4
import soundfile as sf


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """A small real pool: tuxpaint sounds, asterisk prompts (one female speaker), two espeak ZH lines."""
    root = tmp_path_factory.mktemp("pool")
    rows = []
    for c in tuxpaint_sounds()[:8]:
        sf.write(root / f"{c.category.replace('/', '_')}_{c.path.stem}.wav", read_mono(c.path, SR)[0], SR, subtype="PCM_16")
        rows.append(ManifestRow(id=c.id, path=f"{c.category.replace('/', '_')}_{c.path.stem}.wav", duration=1.0,
                                kind="sound", text=c.caption_en, language="en",
                                captions={"zh": c.caption_zh} if c.caption_zh else {}))
    for c in [p for p in asterisk_prompts() if 1.0 < sf.info(str(p.path)).duration < 3.5][:6]:
        name = c.id.replace("/", "_") + ".wav"
        sf.write(root / name, read_mono(c.path, SR)[0], SR, subtype="PCM_16")
        rows.append(ManifestRow(id=c.id, path=name, duration=1.0, kind="speech", text=c.transcript, language="en",
                                speaker=c.speaker, gender=c.gender))
    import soxr
    for i, text in enumerate(["今天天气很好。", "请把窗户关上。"]):
        w, sr = VOICES["espeak-zh-m"].synthesize(text)
        sf.write(root / f"zh{i}.wav", soxr.resample(w, sr, SR), SR, subtype="PCM_16")
        rows.append(ManifestRow(id=f"zh{i}", path=f"zh{i}.wav", duration=1.0, kind="speech", text=text,
                                language="zh", speaker="espeak-zh-m", gender="male"))
    for i, text in enumerate(["今天天气很好。", "请把窗户关上。"]):  # the same two lines by a second voice:
        w, sr = VOICES["espeak-zh-f"].synthesize(text)  # voice_conversion's parallel pairs (no gender: the
        sf.write(root / f"zhf{i}.wav", soxr.resample(w, sr, SR), SR, subtype="PCM_16")  # gendered pool stays as it was)
        rows.append(ManifestRow(id=f"zhf{i}", path=f"zhf{i}.wav", duration=1.0, kind="speech", text=text,
                                language="zh", speaker="espeak-zh-f"))
    m = load_manifest(write_manifest(root / "m.jsonl", rows))
    return ClipPool(m, SR, max_seconds=6.0)


def fake_encode(w):
    """A deterministic stand-in for the codec: (B, N) -> (B, T, C) frame summaries."""
    B, N = w.shape
    return w.reshape(B, N // (2 * HOP), 2 * HOP)[..., :C] * 10.0


@pytest.fixture(scope="module")
def syn(pool):
    return Synthesizer(pool, SR, HOP, SynthesisConfig(seconds=6.0), encode=fake_encode, keep_parts=True)


def batch(syn, task, n=3, seed=0):
    return syn.make_batch(task, n, np.random.default_rng(seed))


def close(a, b):
    return torch.allclose(a, b, atol=1e-6, rtol=0)


def first_nonzero(x):
    return int(torch.nonzero(x.abs() > 0)[0])


@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_builds_a_consistent_batch(syn, task):
    b = batch(syn, task)
    T = syn.frames
    assert b.task == task and b.m == TASKS[task].m
    assert b.target.shape == (3, syn.n) and syn.n == T * 2 * HOP
    assert (b.source is None) == (TASKS[task].m == 0)
    assert b.z.shape == (3, T, C) and b.z_s.shape == (3, T, C) and b.loss_mask.shape == (3, T)
    assert len(b.instructions) == 3 and all(s.strip() for s in b.instructions)
    assert torch.isfinite(b.target).all() and b.target.abs().max() <= 0.99 + 1e-6
    assert (b.target.pow(2).mean(1) > 1e-6).all()  # never an empty target
    if TASKS[task].m == 0:
        assert not b.z_s.any()
    if TASKS[task].m == 1:
        assert close(b.z_s, fake_encode(b.source)) and (b.loss_mask == 1).all()
    if TASKS[task].m == 2 and TASKS[task].with_source:  # the prefix and the source after it, whole
        assert close(b.z_s, fake_encode(b.source))
        for i, P in enumerate(b.prefix_frames.tolist()):
            assert 0 < P < T and not b.loss_mask[i, :P].any() and (b.loss_mask[i, P:] == 1).all()


def test_same_rng_same_batch(syn):
    for task in ("zs_tts", "timed", "denoise", "super_resolution", "target_speaker_extraction", "voice_conversion"):
        a, b = batch(syn, task, seed=5), batch(syn, task, seed=5)
        assert torch.equal(a.target, b.target) and a.instructions == b.instructions and a.ids == b.ids
    assert not torch.equal(batch(syn, "t2a", seed=5).target, batch(syn, "t2a", seed=6).target)


def test_add_and_remove_relations(syn):
    add = batch(syn, "edit_add")
    for i, meta in enumerate(add.meta):
        ev = meta["parts"]["event"]
        assert close(add.target[i], add.source[i] + ev) and ev.abs().max() > 0
        assert meta["offset"] <= first_nonzero(ev) <= meta["offset"] + syn.fade
    rem = batch(syn, "edit_remove")
    for i, meta in enumerate(rem.meta):
        assert close(rem.source[i], rem.target[i] + meta["parts"]["event"])
        caption = next(r for r in syn.pool.sounds if r.id == rem.ids[i][0])
        assert caption.text_in(meta["language"]).lower() in rem.instructions[i].lower()


def test_replace_relation(syn):
    b = batch(syn, "edit_replace")
    for i, meta in enumerate(b.meta):
        p = meta["parts"]
        assert close(b.source[i], p["scene"] + p["old"]) and close(b.target[i], p["scene"] + p["new"])
        assert first_nonzero(p["old"]) == first_nonzero(p["new"])


def stated_time(text):
    return float(re.search(r"(\d+\.\d)", text).group(1))


def test_insert_puts_speech_at_the_stated_time(syn):
    b = batch(syn, "sis_insert", n=4)
    for i, meta in enumerate(b.meta):
        speech = meta["parts"]["speech"]
        assert close(b.target[i], b.source[i] + speech)
        start = round(stated_time(b.instructions[i]) * SR)
        assert start == meta["offset"]
        assert not speech[:start].any() and speech[start: start + SR // 10].abs().max() > 0


def test_delete_and_rewrite(syn):
    d = batch(syn, "sis_delete")
    for i, meta in enumerate(d.meta):
        assert close(d.source[i], d.target[i] + meta["parts"]["speech"])
    r = batch(syn, "sis_rewrite")
    for i, meta in enumerate(r.meta):
        p = meta["parts"]
        assert close(r.source[i], p["scene"] + p["old"]) and close(r.target[i], p["scene"] + p["new"])
        old_row, new_row = (next(x for x in syn.pool.speech if x.id == k) for k in r.ids[i][:2])
        assert old_row.speaker == new_row.speaker and old_row.id != new_row.id
        assert new_row.text in r.instructions[i]


def test_t2as_mixes_at_the_stated_snr(syn):
    b = batch(syn, "t2as", n=4)
    for i, meta in enumerate(b.meta):
        p = meta["parts"]
        assert close(b.target[i], p["speech"] + p["sound"])
        snr = 10 * torch.log10(p["speech"].double().pow(2).sum() / p["sound"].double().pow(2).sum())
        assert abs(float(snr) - meta["snr_db"]) < 1e-3


def test_timed_events_sit_at_the_stated_times(syn):
    for seed in range(3):
        b = batch(syn, "timed", n=2, seed=seed)
        for i, meta in enumerate(b.meta):
            text = b.instructions[i]
            stated = [(float(a), float(e)) for a, e in re.findall(r"(\d+\.\d)(?: to |秒到)(\d+\.\d)", text)]
            assert stated == [(ev["start"], ev["end"]) for ev in meta["events"]]
            outside = torch.ones(syn.n, dtype=torch.bool)
            for ev in meta["events"]:
                assert ev["first_sample"] == round(ev["start"] * SR)
                assert abs(ev["end_sample"] / SR - ev["end"]) <= 0.05 + 1e-9
                seg = b.target[i, ev["first_sample"]: ev["end_sample"]]
                assert seg.pow(2).mean() > 1e-7
                outside[ev["first_sample"]: ev["end_sample"]] = False
            assert not b.target[i][outside].any()  # silence everywhere else


def test_zs_tts_prefix_and_loss_mask(syn):
    b = batch(syn, "zs_tts", n=4)
    spf = 2 * HOP
    for i in range(4):
        P = int(b.prefix_frames[i])
        assert 0 < P < syn.frames
        assert (b.loss_mask[i, :P] == 0).all() and (b.loss_mask[i, P:] == 1).all()
        assert close(b.source[i, : P * spf], b.target[i, : P * spf]) and not b.source[i, P * spf:].any()
        assert close(b.z_s[i, :P], fake_encode(b.source)[i, :P]) and not b.z_s[i, P:].any()
        assert b.target[i, P * spf:].abs().max() > 0  # the continuation is there
        ref_row, tgt_row = (next(x for x in syn.pool.speech if x.id == k) for k in b.ids[i])
        assert ref_row.speaker == tgt_row.speaker and tgt_row.text in b.instructions[i]


def test_denoise_and_edit_other(syn):
    d = batch(syn, "denoise")
    for i, meta in enumerate(d.meta):
        noise = meta["parts"]["noise"]
        assert close(d.source[i], d.target[i] + noise)
        snr = 10 * torch.log10(d.target[i].double().pow(2).sum() / noise.double().pow(2).sum())
        assert abs(float(snr) - meta["snr_db"]) < 1e-3
    seen, seed = set(), 0
    while len(seen) < 4 and seed < 40:
        seed += 1
        o = batch(syn, "edit_other", n=2, seed=seed)
        for i, meta in enumerate(o.meta):
            seen.add(meta["variant"])
            src, tgt = o.source[i], o.target[i]
            if meta["variant"].startswith("volume"):
                assert torch.allclose(tgt, src * 10 ** (meta["gain_db"] / 20), atol=1e-6)
                assert str(abs(meta["gain_db"])) in o.instructions[i]
            else:
                k = round(meta["fade_seconds"] * SR)
                assert f"{meta['fade_seconds']:.1f}" in o.instructions[i]
                if meta["variant"] == "fade_in":
                    assert tgt[0] == 0 and close(tgt[k:], src[k:])
                else:
                    assert tgt[-1] == 0 and close(tgt[:-k], src[:-k])
    assert seen == {"volume_up", "volume_down", "fade_in", "fade_out"}


def test_tts_instruction_states_gender_and_text(syn):
    b = batch(syn, "tts", n=6, seed=1)
    for i in range(6):
        row = next(x for x in syn.pool.speech if x.id == b.ids[i][0])
        assert row.text in b.instructions[i]
        assert (row.gender in b.instructions[i]) or ({"male": "男", "female": "女"}[row.gender] in b.instructions[i])


def test_pool_without_speakers_is_refused(pool):
    only_sounds = ClipPool(type(pool.manifest)([r for r in pool.manifest.rows if r.kind == "sound"],
                                               pool.manifest.root, pool.manifest.skipped), SR, 6.0)
    with pytest.raises(NotEnoughDataError, match=r"speech with a gender label \(needed by tts, t2as, sis_insert\)"):
        Synthesizer(only_sounds, SR, HOP, SynthesisConfig(seconds=6.0))
    syn = Synthesizer(only_sounds, SR, HOP, SynthesisConfig(seconds=6.0), tasks=["t2a", "edit_add"])
    assert syn.make_batch("t2a", 2, np.random.default_rng(0)).target.shape == (2, syn.n)


class FakeCodec:
    sample_rate, hop_length = SR, HOP

    def encode(self, wave):
        return fake_encode(wave)


def test_build_batch_stream_from_config(pool):
    from unison.config import load_config
    from unison.data.loader import build_batch_stream

    cfg = load_config(["profile=tiny", "train.stage1_steps=2", "train.batch_size=2", "data.sr_cutoffs_hz=[3000.0]",
                       "data.tse_sir_db=[0.0,2.0]"])
    stream = build_batch_stream(cfg, pool.manifest.root / "m.jsonl", FakeCodec())
    sc = stream.synthesizer.cfg  # the synthesis ranges come from the config (and so are recorded)
    assert sc.sr_cutoffs_hz == (3000.0,) and sc.tse_sir_db == (0.0, 2.0) and sc.noise_snr_db == (0.0, 20.0)
    T = stream.synthesizer.frames
    for step in (0, 1, 2, 3):
        b = stream.batch(step)
        assert b.task == stream.sampler.task_at(step) and b.z.shape == (2, T, C)
        if step < 2:
            assert TASKS[b.task].stage1


def test_gendered_speech_is_balanced_over_language_and_gender(syn):
    rng = np.random.default_rng(0)
    picks = [syn._pick_gendered(rng) for _ in range(600)]
    groups = {(r.language, r.gender) for r in picks}
    assert groups == set(syn.pool.gender_groups) == {("en", "female"), ("zh", "male")}
    share = sum(r.language == "zh" for r in picks) / len(picks)
    assert 0.43 < share < 0.57  # 2 zh rows vs 6 en rows in the pool, yet about half the picks


def band_energy(x, sr, lo, hi):
    """Energy of the DFT bins of ``x`` in (lo, hi] Hz."""
    spec = torch.fft.rfft(x.double())
    f = torch.fft.rfftfreq(x.numel(), 1.0 / sr)
    return float(spec[(f > lo) & (f <= hi)].abs().pow(2).sum())


def test_super_resolution_source_is_the_target_low_passed(syn):
    cutoffs = set()
    for seed in range(3):
        b = batch(syn, "super_resolution", n=4, seed=seed)
        for i, meta in enumerate(b.meta):
            fc = meta["cutoff_hz"]
            cutoffs.add(fc)
            assert fc in syn.cfg.sr_cutoffs_hz and b.m == 1
            src, tgt = b.source[i], b.target[i]
            total = band_energy(tgt, SR, -1, SR)
            assert band_energy(src, SR, fc, SR) < 1e-9 * total  # nothing above the cut-off
            assert band_energy(tgt, SR, fc, SR) > 10 ** (syn.cfg.sr_min_high_db / 10) * total  # ... which the target has
            assert band_energy(tgt - src, SR, -1, fc) < 1e-9 * total  # the band below it unchanged
            assert b.instructions[i].strip()
    assert cutoffs == set(syn.cfg.sr_cutoffs_hz)


def test_lowpass_keeps_length_and_refuses_cutoffs_outside_the_band():
    from unison.data.synthesis import lowpass

    x = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    y = lowpass(x, 2000.0, 8000)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert band_energy(y, 8000, 2000.0, 8000) < 1e-9 * band_energy(x, 8000, -1, 8000)
    for bad in (0.0, 4000.0, 5000.0):
        with pytest.raises(ValueError, match="cut-off"):
            lowpass(x, bad, 8000)


def row_of(syn, row_id):
    return next(x for x in syn.pool.speech if x.id == row_id)


def test_target_speaker_extraction_uses_an_enrolment_and_another_speaker(syn):
    b = batch(syn, "target_speaker_extraction", n=4)
    spf = 2 * HOP
    assert b.m == 2
    for i, meta in enumerate(b.meta):
        enr, tgt, itf = (row_of(syn, k) for k in b.ids[i])
        assert enr.id != tgt.id and enr.speaker == tgt.speaker  # enrolment: another utterance, same speaker
        assert itf.speaker != tgt.speaker  # the interferer: a different speaker
        P = int(b.prefix_frames[i])
        interferer = meta["parts"]["interferer"]
        assert close(b.source[i], b.target[i] + interferer)  # mixture = target speech + interferer
        assert close(b.source[i, : P * spf], b.target[i, : P * spf])  # the same enrolment prefix in both
        assert not interferer[: P * spf].any() and interferer.abs().max() > 0
        assert b.target[i, P * spf:].abs().max() > 0
        tgt_speech = b.target[i].clone()
        tgt_speech[: P * spf] = 0
        sir = 10 * torch.log10(tgt_speech.double().pow(2).sum() / interferer.double().pow(2).sum())
        assert abs(float(sir) - meta["sir_db"]) < 1e-3
        assert syn.cfg.tse_sir_db[0] <= meta["sir_db"] <= syn.cfg.tse_sir_db[1]


def test_voice_conversion_pairs_one_sentence_by_two_speakers(syn):
    b = batch(syn, "voice_conversion", n=4)
    spf = 2 * HOP
    assert b.m == 2
    for i, meta in enumerate(b.meta):
        ref, src, tgt = (row_of(syn, k) for k in b.ids[i])
        assert src.text == tgt.text and src.speaker != tgt.speaker  # same words, another voice
        assert ref.speaker == tgt.speaker and ref.id != tgt.id  # reference: another utterance of the target voice
        P = int(b.prefix_frames[i])
        assert close(b.source[i, : P * spf], b.target[i, : P * spf])  # the same reference prefix in both
        source_speech = meta["parts"]["source_speech"]
        assert close(b.source[i] - source_speech, b.target[i] - (b.target[i] - b.source[i] + source_speech))
        start = meta["target_offset"]
        assert start >= P * spf and not source_speech[:start].any() and source_speech.abs().max() > 0
        assert not torch.allclose(b.source[i, start:], b.target[i, start:])


def test_new_tasks_need_their_data(pool):
    one_speaker = ClipPool(type(pool.manifest)([r for r in pool.manifest.rows if r.speaker in (None, "asterisk-allison")],
                                               pool.manifest.root, pool.manifest.skipped), SR, 6.0)
    with pytest.raises(NotEnoughDataError, match="two different speakers.*target_speaker_extraction"):
        Synthesizer(one_speaker, SR, HOP, SynthesisConfig(seconds=6.0), tasks=["target_speaker_extraction"])
    with pytest.raises(NotEnoughDataError, match="recorded by two speakers.*voice_conversion"):
        Synthesizer(one_speaker, SR, HOP, SynthesisConfig(seconds=6.0), tasks=["voice_conversion"])
    Synthesizer(one_speaker, SR, HOP, SynthesisConfig(seconds=6.0), tasks=["super_resolution"])
