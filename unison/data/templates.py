"""Instruction templates per task, several phrasings each, in English and Chinese.

Fields: {text} transcript, {gender} gender word, {caption} sound caption, {captions} joined
captions, {events} timed event list, {old}/{new} replaced captions, {old_text} rewritten transcript,
{time} insertion time in seconds, {db} volume change in dB, {seconds} fade length.
``edit_other`` has one template set per variant: edit_other/volume_up, /volume_down, /fade_in, /fade_out.
"""
from __future__ import annotations

import numpy as np

LANGS = ("en", "zh")
GENDER_WORDS = {"en": {"male": "male", "female": "female"}, "zh": {"male": "男", "female": "女"}}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "tts": {
        "en": ('A {gender} voice says: "{text}"', 'Speech by a {gender} speaker: "{text}"',
               'Generate {gender} speech saying "{text}"', '{text} (spoken by a {gender} voice)'),
        "zh": ("一个{gender}声说：“{text}”", "{gender}声朗读：“{text}”", "生成{gender}声语音：{text}"),
    },
    "zs_tts": {
        "en": ('Continue in the same voice: "{text}"', 'Same speaker says: "{text}"',
               'Clone the reference voice and say "{text}"'),
        "zh": ("用同样的声音继续说：“{text}”", "同一个说话人说：“{text}”", "模仿参考音色说：{text}"),
    },
    "t2a": {
        "en": ("{caption}", "The sound of {caption_lc}", "Generate the sound of {caption_lc}",
               "An audio clip of {caption_lc}"),
        "zh": ("{caption}", "{caption}的声音", "生成{caption}的声音"),
    },
    "t2a_mix": {
        "en": ("{captions}", "A mix of {captions_lc}", "The sounds of {captions_lc} together",
               "Generate audio with {captions_lc}"),
        "zh": ("{captions}", "{captions}的混合声音", "同时有{captions}的声音"),
    },
    "t2as": {
        "en": ('{caption} while a {gender} voice says: "{text}"',
               'A {gender} speaker says "{text}" over the sound of {caption_lc}',
               'Speech and sound: a {gender} voice saying "{text}", with {caption_lc} in the background'),
        "zh": ("{caption}的声音中，一个{gender}声说：“{text}”", "背景是{caption}，{gender}声说：“{text}”"),
    },
    "timed": {
        "en": ("{events}", "Compose a clip: {events}", "Timeline: {events}"),
        "zh": ("{events}", "按时间生成：{events}", "时间安排：{events}"),
    },
    "edit_add": {
        "en": ("Add {caption_lc}", "Add the sound of {caption_lc} to the audio", "Mix in {caption_lc}"),
        "zh": ("添加{caption}的声音", "在音频中加入{caption}", "混入{caption}"),
    },
    "edit_remove": {
        "en": ("Remove {caption_lc}", "Remove the sound of {caption_lc} from the audio", "Take out {caption_lc}"),
        "zh": ("去掉{caption}的声音", "从音频中移除{caption}", "删除{caption}"),
    },
    "edit_replace": {
        "en": ("Replace {old_lc} with {new_lc}", "Change the sound of {old_lc} into {new_lc}",
               "Swap {old_lc} for {new_lc}"),
        "zh": ("把{old}换成{new}", "将{old}的声音替换为{new}", "用{new}替换{old}"),
    },
    "sis_insert": {
        "en": ('Insert a {gender} voice saying "{text}" at {time} seconds',
               'At {time} s, add {gender} speech: "{text}"', 'Add a {gender} speaker saying "{text}" starting at {time} seconds'),
        "zh": ("在第{time}秒插入{gender}声说：“{text}”", "从{time}秒开始加入{gender}声语音：“{text}”"),
    },
    "sis_delete": {
        "en": ("Remove the speech", "Delete the talking and keep the background", "Remove the voice from the scene"),
        "zh": ("去掉说话声", "删除语音，保留背景声", "移除场景中的人声"),
    },
    "sis_rewrite": {
        "en": ('Change the speech to "{text}"', 'Make the speaker say "{text}" instead of "{old_text}"',
               'Rewrite the spoken words as "{text}"'),
        "zh": ("把说话内容改成“{text}”", "让说话人把“{old_text}”改说成“{text}”", "将语音改写为：{text}"),
    },
    "denoise": {
        "en": ("Remove the noise", "Denoise the audio", "Clean up the background hiss"),
        "zh": ("去除噪声", "给音频降噪", "去掉背景的嘶嘶声"),
    },
    "super_resolution": {
        "en": ("Increase the bandwidth", "Restore the high frequencies", "Make the muffled audio full-band",
               "Upsample the audio and restore the missing high frequencies"),
        "zh": ("恢复高频", "提升音频带宽", "把沉闷的音频恢复成全频带"),
    },
    "target_speaker_extraction": {
        "en": ("Extract the voice of the reference speaker", "Keep only the reference speaker and remove the other voice",
               "Isolate the enrolled speaker from the mixture"),
        "zh": ("提取参考说话人的声音", "只保留参考说话人，去掉另一个人声", "从混合语音中分离出目标说话人"),
    },
    "voice_conversion": {
        "en": ("Convert the speech to the reference voice", "Say the same words in the reference speaker's voice",
               "Change the voice to match the reference"),
        "zh": ("把语音转换成参考音色", "用参考说话人的声音说同样的话", "转换音色，与参考一致"),
    },
    "edit_other/volume_up": {
        "en": ("Make it {db} dB louder", "Turn the volume up by {db} dB", "Increase the loudness by {db} dB"),
        "zh": ("把音量调高{db}分贝", "音量增大{db}分贝"),
    },
    "edit_other/volume_down": {
        "en": ("Make it {db} dB quieter", "Turn the volume down by {db} dB", "Lower the loudness by {db} dB"),
        "zh": ("把音量调低{db}分贝", "音量减小{db}分贝"),
    },
    "edit_other/fade_in": {
        "en": ("Fade in over the first {seconds} seconds", "Add a {seconds} second fade-in"),
        "zh": ("前{seconds}秒淡入", "加上{seconds}秒的淡入"),
    },
    "edit_other/fade_out": {
        "en": ("Fade out over the last {seconds} seconds", "Add a {seconds} second fade-out"),
        "zh": ("最后{seconds}秒淡出", "加上{seconds}秒的淡出"),
    },
}

TIMED_EVENT = {"en": "{caption} from {start} to {end} seconds", "zh": "{start}秒到{end}秒{caption}"}
TIMED_SEP = {"en": "; ", "zh": "；"}


def lower_first(s: str) -> str:
    """'A dog barks' -> 'a dog barks' (keeps acronyms such as 'TV' unchanged)."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[0].isupper() and not s[1].isupper() else s


def join_list(items: list[str], lang: str) -> str:
    if lang == "zh":
        return items[0] if len(items) == 1 else "、".join(items[:-1]) + "和" + items[-1]
    items = [items[0]] + [lower_first(x) for x in items[1:]]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def seconds_str(x: float) -> str:
    """1 decimal, no trailing '.0' noise beyond it: 2.0 -> '2.0', 2.25 -> '2.2' (caller rounds first)."""
    return f"{x:.1f}"


def timed_events(events: list[tuple[str, float, float]], lang: str) -> str:
    parts = [TIMED_EVENT[lang].format(caption=c if lang == "zh" or i == 0 else lower_first(c),
                                      start=seconds_str(s), end=seconds_str(e))
             for i, (c, s, e) in enumerate(events)]
    return TIMED_SEP[lang].join(parts)


def render(task: str, lang: str, rng: np.random.Generator, **fields) -> str:
    """Pick one phrasing of ``task`` in ``lang`` and fill it. Derived fields: <name>_lc (first letter
    lowered, for mid-sentence use) and the gender word of ``gender``."""
    if task not in TEMPLATES:
        raise ValueError(f"no instruction templates for task {task!r}; known: {', '.join(TEMPLATES)}")
    if lang not in LANGS:
        raise ValueError(f"instruction language must be one of {LANGS}, got {lang!r}")
    if "gender" in fields:
        fields["gender"] = GENDER_WORDS[lang][fields["gender"]]
    for key in ("caption", "captions", "old", "new"):
        if key in fields:
            fields[f"{key}_lc"] = lower_first(fields[key]) if lang == "en" else fields[key]
    options = TEMPLATES[task][lang]
    text = options[int(rng.integers(len(options)))].format(**fields)
    return text[0].upper() + text[1:] if lang == "en" else text
