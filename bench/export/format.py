"""FORMAT.md: the note every export carries, in bench's own words (versioned with FORMAT_VERSION)."""
from __future__ import annotations

from bench.layouts import AUDIO_EXTENSIONS, get_layout

FORMAT_NAME = "unison-bench export"
FORMAT_VERSION = 1

ITEM_FIELDS = {
    "id": "the item's id; name your output `<id>.wav` (or .flac / .ogg / .mp3) at the top of your outputs folder",
    "task": "what to do (the tasks of this export are listed below)",
    "instruction": "the full prompt, in words (always present)",
    "text": "the words to be spoken (speech tasks), else null",
    "caption": "what the audio should contain, else null",
    "lang": "language of `text`: en, zh or null",
    "gender": "the voice asked for (male / female), else null",
    "seconds": "the duration asked for, in seconds",
    "seed": "a per-item seed (use it to make your outputs reproducible; optional)",
    "segments": "timed composition: [{start, end, caption}, ...] in seconds, else []",
    "source": "the audio to edit (editing tasks): a path relative to this folder, else null",
    "reference": "the voice prompt (zero-shot TTS): a path relative to this folder, else null",
    "target": "the reference answer, for scoring only - never give it to your model; a path, else null",
    "subset": "the results row the item is counted in (e.g. add / remove / replace), else null",
    "meta": "anything else the suite records (e.g. prompt_text: the words of `reference`); audio paths inside "
            "meta (stems used in scoring) point into the test set and are not copied here",
}

LAYOUT_NOTES = {
    "seedtts": """\
## seedtts/: Seed-TTS eval's layout

`seedtts/<lang>/meta.lst` has one line per utterance, `utt|prompt_text|prompt_wav|target_text`,
sorted by utt, with `prompt_wav` relative to the meta.lst folder (`prompt-wavs/<utt>.wav`, a copy of the
item's `reference`). Lines of items without a voice prompt have empty prompt fields. `utt` is the
item's `meta.utt` (the release's ids at paper scale) or its id. Write outputs as seed-tts-eval reads
them, `<outputs>/<lang>/<utt>.wav`, and score with `--system-arg layout=seedtts`: each file is the
output of the line's zero-shot item (score pure-TTS outputs from another folder with
`--system-arg tasks=tts`).
""",
    "audiocaps": """\
## audiocaps/: an AudioCaps-style CSV

`audiocaps/test.csv` has the columns `audiocap_id,youtube_id,start_time,caption`, one row per item,
sorted by audiocap_id. Paper-scale items keep the release's ids; mini-scale items (recorded sound
effects, no YouTube video) use the item id as youtube_id, their 1-based position in the whole test set
(sorted by id) as audiocap_id and 0 as start_time. Name outputs `<youtube_id>.wav` or
`<audiocap_id>.wav` and score with `--system-arg layout=audiocaps`.
""",
}


def task_lines(tasks: list[str]) -> str:
    from bench.systems.unison import task_description

    return "\n".join(f"- `{t}`: {task_description(t) or 'see the suite file'}" for t in tasks)


def format_note(suite: str, version: str, scale: str, testset_hash: str, n_items: int, limit: int | None,
                tasks: list[str], layouts: tuple[str, ...]) -> str:
    fields = "\n".join(f"- `{k}`: {v}" for k, v in ITEM_FIELDS.items())
    exts = ", ".join(AUDIO_EXTENSIONS)
    first = f" (the first {limit} of the test set)" if limit is not None else ""
    limit_arg = f" --limit {limit}" if limit is not None else ""
    lines = [f"""\
# {FORMAT_NAME}, format {FORMAT_VERSION}

Suite `{suite}` (version {version}), scale `{scale}`, {n_items} items{first}, test set `{testset_hash}`.
Written by `unison-bench export`; the same suite, scale and limit always give the same bytes.

## Files

- `items.jsonl`: one JSON object per line and item, sorted by id, every field below always present.
- `audio/`: the items' audio (16-bit PCM WAV), byte-identical copies of the test set's files, at the
  relative paths `items.jsonl` gives.
- `export.json`: what was exported (suite, scale, test-set hash, limit) and the sha256 of every file.
  A later export into this folder rewrites only the files it lists and is refused for another test set.
- `FORMAT.md`: this note.

## Item fields

{fields}

Tasks in this export:

{task_lines(tasks)}

## Your outputs

Generate one file per item and put them in a folder of their own, named `<id>.wav` (or another of
{exts}; any sample rate, any number of channels), then score the folder:

    unison-bench run {suite} --scale {scale}{limit_arg} --system files:OUTPUTS --system-arg name=MyModel

Every file is read as made: several channels are averaged, another sample rate is resampled to the
item's (soxr, HQ), and a length other than `seconds` is recorded (the suite's duration check applies;
`--system-arg fit=pad-crop` pads / crops at the end instead). An item without a file fails with its
reason; files that match no item are listed in the results.
"""]
    for name in layouts:
        lines.append(LAYOUT_NOTES.get(name) or f"## {name}/\n\n{get_layout(name).summary}\n")
    return "\n".join(lines)
