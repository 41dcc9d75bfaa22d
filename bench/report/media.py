"""Media for the HTML report: small audio clips and mel-spectrogram images, as data URIs.

Everything is embedded in the one HTML file, so the report is a single self-contained page. To keep
a committed report small, every clip is converted the same way (stated in the report's footer):
mono, resampled to 16 kHz (soxr HQ), cut to ``MAX_SECONDS``, encoded as Ogg/Opus by libsndfile
(compression level 0.95, about 19 kb/s). Spectrograms are 16 kHz log-mel images (80 bands up to
8 kHz, hop 10 ms), saved by matplotlib as PNG and reduced to a 32-colour palette.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import soundfile as sf

from unison.core.audio import read_mono, resample

REPORT_SR = 16000
MAX_SECONDS = 10.0
OPUS_LEVEL = 0.95  # libsndfile's 0..1 scale; 0.95 gives about 19 kb/s at 16 kHz mono
N_MELS, N_FFT, HOP = 80, 1024, 160
DB_RANGE = 80.0
LANE_PX = 15
PALETTE_COLOURS = 32  # 22 by median cut + 10 fixed; ~8 KB per 5 s image, no visible banding
SEGMENT_COLOURS = ("#e4572e", "#17bebb", "#ffc914", "#76b041", "#a259ff", "#2e86de")
AUDIO_FORMAT = (f"Ogg/Opus, mono, {REPORT_SR // 1000} kHz (soxr HQ), libsndfile compression level "
                f"{OPUS_LEVEL} (about 19 kb/s), first {MAX_SECONDS:g} s")
MEL_FORMAT = (f"log-mel, {REPORT_SR // 1000} kHz, {N_MELS} bands to {REPORT_SR // 2} Hz, n_fft {N_FFT}, "
              f"hop {HOP} ({1000 * HOP // REPORT_SR} ms), {DB_RANGE:g} dB range shared per item; PNG, {PALETTE_COLOURS}-colour palette")


@dataclass
class Clip:
    """One clip prepared for the report: the 16 kHz mono wave and where it came from."""

    wave: np.ndarray  # (samples,) float32 at REPORT_SR
    source: Path
    original_sr: int
    original_seconds: float


def load_clip(path: str | Path) -> Clip:
    """Read any file soundfile can decode, downmix, resample to 16 kHz, cut to MAX_SECONDS."""
    path = Path(path)
    mono, sr = read_mono(path)
    seconds = mono.shape[0] / sr
    mono = resample(mono, sr, REPORT_SR)
    mono = np.nan_to_num(mono[: int(MAX_SECONDS * REPORT_SR)], nan=0.0, posinf=0.0, neginf=0.0)
    return Clip(wave=np.clip(mono, -1.0, 1.0).astype(np.float32), source=path, original_sr=int(sr),
                original_seconds=float(seconds))


def _file_key(path: str | Path) -> tuple[str, int, int]:
    st = Path(path).stat()
    return str(Path(path).resolve()), st.st_size, st.st_mtime_ns


@lru_cache(maxsize=64)  # a clip appears in several views of one report (examples, worst items, A/B)
def _cached_clip(key: tuple[str, int, int]) -> Clip:
    return load_clip(key[0])


def cached_clip(path: str | Path) -> Clip:
    """load_clip, remembered per file (path, size, mtime)."""
    return _cached_clip(_file_key(path))


@lru_cache(maxsize=4096)
def _cached_peak(key: tuple[str, int, int]) -> float:
    wave = _cached_clip(key).wave
    return float(_on_disk("peak", wave, {"mel": "log_mel"}, lambda: repr(float(np.max(log_mel(wave)))).encode()))


def clip_peak(path: str | Path) -> float:
    """The loudest mel bin of a file's clip in dB (an item's colour scale is the max over its clips)."""
    return _cached_peak(_file_key(path))


@lru_cache(maxsize=1024)
def _cached_audio_uri(key: tuple[str, int, int]) -> str:
    return audio_data_uri(_cached_clip(key))


def cached_audio_uri(path: str | Path) -> str:
    return _cached_audio_uri(_file_key(path))


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


OGG_SERIAL = 0x554E4953  # fixed stream serial ("UNIS"): libsndfile draws a random one per file


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC = _ogg_crc_table()


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for b in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ b]
    return crc


def fixed_serial(ogg: bytes, serial: int = OGG_SERIAL) -> bytes:
    """The same Ogg stream with every page's serial set to ``serial`` and its CRC recomputed, so the
    same wave always encodes to the same bytes (and the same report to the same file)."""
    out, pos = bytearray(), 0
    while pos < len(ogg):
        if ogg[pos:pos + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {pos}")
        n_seg = ogg[pos + 26]
        size = 27 + n_seg + sum(ogg[pos + 27:pos + 27 + n_seg])
        page = bytearray(ogg[pos:pos + size])
        page[14:18] = serial.to_bytes(4, "little")
        page[22:26] = b"\0\0\0\0"
        page[22:26] = _ogg_crc(page).to_bytes(4, "little")
        out += page
        pos += size
    return bytes(out)


MEDIA_VERSION = 1  # bump when an encoder's settings or drawing code change: old entries stop matching


def _on_disk(kind: str, wave: np.ndarray, settings: dict[str, Any], make) -> bytes:
    """``make()``'s bytes for one wave, cached under a hash of the samples, the settings and the encoder
    versions. Both encoders give the same bytes for the same input (fixed Ogg serial, palette PNG),
    so a rerun reads what it would write; on a warm rerun of the embedded default this was half the
    report's time."""
    import matplotlib

    x = np.ascontiguousarray(wave, dtype=np.float32)
    head = json.dumps([kind, MEDIA_VERSION, sf.__libsndfile_version__, matplotlib.__version__, settings,
                       list(x.shape)], sort_keys=True, default=str).encode()
    return disk_cached(kind, head + x.tobytes(), make)


def disk_cached(kind: str, inputs: bytes, make) -> bytes:
    """``make()``'s bytes, kept in $UNISON_CACHE_DIR/report-media/<sha256(inputs)>.<kind>: ``inputs``
    must hold everything the bytes depend on (data, settings, code and library versions)."""
    from unison.core.files import atomic_write_bytes
    from unison.core.paths import cache_root

    key = hashlib.sha256(kind.encode() + b"\0" + inputs).hexdigest()
    path = cache_root() / "report-media" / key[:2] / f"{key}.{kind}"
    try:
        return path.read_bytes()
    except OSError:
        data = make()
        try:
            atomic_write_bytes(path, data)
        except OSError:  # a read-only cache only costs time
            pass
        return data


def opus_bytes(wave: np.ndarray) -> bytes:
    return _on_disk("ogg", wave, {"sr": REPORT_SR, "level": OPUS_LEVEL}, lambda: _encode_opus(wave))


def _encode_opus(wave: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.asarray(wave, dtype=np.float32), REPORT_SR, format="OGG", subtype="OPUS",
             compression_level=OPUS_LEVEL)
    return fixed_serial(buf.getvalue())


def audio_data_uri(clip: Clip) -> str:
    return data_uri("audio/ogg", opus_bytes(clip.wave))


def log_mel(wave: np.ndarray) -> np.ndarray:
    """(N_MELS, frames) power mel in dB (ref 1.0, so levels compare across clips)."""
    import librosa

    w = np.asarray(wave, dtype=np.float32)
    if w.size < N_FFT:
        w = np.pad(w, (0, N_FFT - w.size))
    mel = librosa.feature.melspectrogram(y=w, sr=REPORT_SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                         fmin=0.0, fmax=REPORT_SR / 2, power=2.0)
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)


def _png_palette(fig) -> bytes:
    """Save a figure as PNG reduced to a PALETTE_COLOURS palette (about 4x smaller): colours chosen by
    median cut plus the segment colours, black, white and greys, so that boundary lines and captions
    keep their exact colours."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png")
    raw.seek(0)
    img = Image.open(raw).convert("RGB")
    fixed = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in SEGMENT_COLOURS]
    fixed += [(0, 0, 0), (255, 255, 255), (102, 102, 102), (200, 200, 200)]
    n_auto = PALETTE_COLOURS - len(fixed)
    auto = img.quantize(colors=n_auto, method=Image.Quantize.MEDIANCUT).getpalette()[: 3 * n_auto]
    palette = Image.new("P", (1, 1))
    palette.putpalette(auto + [v for rgb in fixed for v in rgb])
    out = io.BytesIO()
    img.quantize(palette=palette, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


CAPTION_PX_PER_CHAR = 6.0  # bold 7 pt DejaVu Sans at 100 dpi, generous


def _caption(seg: dict[str, Any]) -> str:
    text = str(seg.get("caption", ""))
    return text if len(text) <= 48 else text[:46] + "…"


def _caption_x(seg: dict[str, Any], px_per_second: float, duration: float) -> tuple[float, float]:
    """(centre, half width) in seconds of a caption over its segment, kept inside [0, duration]."""
    half = len(_caption(seg)) * CAPTION_PX_PER_CHAR / px_per_second / 2
    centre = (float(seg["start"]) + float(seg["end"])) / 2
    centre = min(max(centre, half), max(duration - half, half))
    return centre, half


def _segment_lanes(segments: Sequence[dict[str, Any]], px_per_second: float, duration: float) -> list[int]:
    """A caption lane per segment so that no two captions collide: each caption is centred over its
    segment and occupies its estimated text width (overlapping segments, long captions)."""
    lanes: list[int] = []
    ends: list[float] = []  # right edge (seconds) of the last caption in each lane
    for seg in segments:
        centre, half = _caption_x(seg, px_per_second, duration)
        left, right = centre - half, centre + half
        for lane, end in enumerate(ends):
            if left >= end:
                ends[lane] = right
                lanes.append(lane)
                break
        else:
            ends.append(right)
            lanes.append(len(ends) - 1)
    return lanes


def mel_png(wave: np.ndarray, *, vmax: float, segments: Sequence[dict[str, Any]] = (),
            seconds: float | None = None, width_px: int = 520, height_px: int = 100) -> bytes:
    """A log-mel image of one clip. With ``segments`` ([{start, end, caption}], seconds) the prompt's
    time boundaries are drawn as in the paper's timed-generation figures: coloured dashed lines and
    shading per segment, its caption annotated above the region."""
    settings = {"vmax": float(vmax), "segments": [dict(s) for s in segments], "seconds": seconds,
                "width_px": width_px, "height_px": height_px}
    return _on_disk("png", wave, settings, lambda: _draw_mel_png(wave, vmax=vmax, segments=segments, seconds=seconds,
                                                                  width_px=width_px, height_px=height_px))


def _draw_mel_png(wave: np.ndarray, *, vmax: float, segments: Sequence[dict[str, Any]], seconds: float | None,
                  width_px: int, height_px: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    mel = log_mel(wave)  # (N_MELS, frames)
    duration = max(len(wave) / REPORT_SR, seconds or 0.0, HOP / REPORT_SR)
    # layout in pixels: captions get one 15 px lane each above the axes, ticks 24 px below
    bottom_px, left_px = 24, 38
    px_per_second = (width_px - left_px - 8) / duration
    lanes = _segment_lanes(segments, px_per_second, duration) if segments else []
    n_lanes = (max(lanes) + 1) if lanes else 0
    top_px = 6 + LANE_PX * n_lanes
    fig_h = height_px + LANE_PX * n_lanes
    dpi = 100
    fig = plt.figure(figsize=(width_px / dpi, fig_h / dpi), dpi=dpi)
    ax = fig.add_axes((left_px / width_px, bottom_px / fig_h, 1 - (left_px + 8) / width_px,
                       (fig_h - top_px - bottom_px) / fig_h))
    frames_s = mel.shape[1] * HOP / REPORT_SR
    ax.imshow(mel, origin="lower", aspect="auto", cmap="magma", vmin=vmax - DB_RANGE, vmax=vmax,
              extent=(0.0, frames_s, 0.0, REPORT_SR / 2000), interpolation="nearest")
    ax.set_xlim(0.0, duration)
    ax.set_ylabel("kHz", fontsize=7, labelpad=1)
    ax.tick_params(labelsize=7, length=2, pad=1)
    ax.set_xlabel("s", fontsize=7, labelpad=0)
    for k, (seg, lane) in enumerate(zip(segments, lanes)):
        colour = SEGMENT_COLOURS[k % len(SEGMENT_COLOURS)]
        start, end = float(seg["start"]), float(seg["end"])
        ax.axvspan(start, end, color=colour, alpha=0.22, lw=0)
        for x in (start, end):
            ax.axvline(x, color=colour, ls=(0, (4, 2)), lw=1.6, clip_on=False)
        ax.annotate(_caption(seg),
                    xy=(_caption_x(seg, px_per_second, duration)[0], 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 2 + LANE_PX * 0.72 * lane), textcoords="offset points", ha="center", va="bottom",
                    fontsize=7, color=colour, fontweight="bold", annotation_clip=False)
    try:
        return _png_palette(fig)
    finally:
        plt.close(fig)


def png_data_uri(png: bytes) -> str:
    return data_uri("image/png", png)
