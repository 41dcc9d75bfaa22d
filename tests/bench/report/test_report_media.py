"""Report media: 16 kHz mono Opus clips, mel PNGs with the timed prompt's boundaries drawn."""
import base64
import io

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from bench.report import media


def _tone(sr, seconds, freq=440.0, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    x = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def test_clip_is_mono_16k_and_cut(tmp_path):
    p = tmp_path / "a.wav"
    sf.write(p, _tone(44100, 12.0, channels=2), 44100, subtype="FLOAT")
    clip = media.load_clip(p)
    assert clip.wave.ndim == 1 and clip.wave.dtype == np.float32
    assert clip.wave.shape[0] == int(media.MAX_SECONDS * media.REPORT_SR)
    assert clip.original_sr == 44100 and clip.original_seconds == pytest.approx(12.0)
    nan = tmp_path / "nan.wav"
    w = _tone(16000, 1.0)
    w[100] = np.nan
    sf.write(nan, w, 16000, subtype="FLOAT")
    assert np.all(np.isfinite(media.load_clip(nan).wave))  # a broken output is still playable


def test_opus_round_trip_and_data_uri():
    x = _tone(media.REPORT_SR, 2.0)
    data = media.opus_bytes(x)
    assert data[:4] == b"OggS" and len(data) < 2.0 * 24_000 / 8 * 1.5  # about 19 kb/s
    y, sr = sf.read(io.BytesIO(data), dtype="float32")
    assert sr == media.REPORT_SR and abs(len(y) - len(x)) < 0.02 * sr
    # the tone survives the codec: its spectrum peaks at 440 Hz
    spec = np.abs(np.fft.rfft(y[4000:20000]))
    assert abs(np.argmax(spec) * sr / 16000 - 440) < 5
    uri = media.audio_data_uri(media.Clip(x, None, 16000, 2.0))
    assert uri.startswith("data:audio/ogg;base64,") and base64.b64decode(uri.split(",", 1)[1])[:4] == b"OggS"


def test_caption_lanes():
    pps = 100.0  # px per second
    seq = [{"start": 0.0, "end": 2.0, "caption": "a dog"}, {"start": 2.5, "end": 4.5, "caption": "a cat"}]
    assert media._segment_lanes(seq, pps, 5.0) == [0, 0]
    overlap = [{"start": 0.0, "end": 3.0, "caption": "a dog barking"}, {"start": 0.5, "end": 3.5, "caption": "rain"}]
    assert media._segment_lanes(overlap, pps, 5.0) == [0, 1]
    long = [{"start": 0.0, "end": 1.0, "caption": "x" * 40}, {"start": 1.0, "end": 2.0, "caption": "y" * 40}]
    assert media._segment_lanes(long, pps, 5.0) == [0, 1]  # short segments, long captions


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _has_colour(img: np.ndarray, hex_colour: str, tol: int = 4) -> np.ndarray:
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.all(np.abs(img - rgb) <= tol, axis=-1)


def test_mel_png_draws_segment_boundaries_where_the_prompt_says():
    x = _tone(media.REPORT_SR, 5.0)
    vmax = float(media.log_mel(x).max())
    plain = media.mel_png(x, vmax=vmax)
    segs = [{"start": 1.0, "end": 2.0, "caption": "a dog barking loudly"}, {"start": 1.5, "end": 2.5, "caption": "rain on a tin roof"}]
    marked = media.mel_png(x, vmax=vmax, segments=segs, seconds=5.0)
    p, m = _pixels(plain), _pixels(marked)
    assert p.shape[1] == m.shape[1] == 520 and m.shape[0] == p.shape[0] + 2 * media.LANE_PX  # two caption lanes
    c0, c1 = media.SEGMENT_COLOURS[:2]
    # no vertical line of a segment colour without segments (a 440 Hz tone is a horizontal band)
    assert not (_has_colour(p, c0).sum(axis=0) > 25).any() and not (_has_colour(p, c1).sum(axis=0) > 25).any()
    # dashed boundary columns: x = left + t / 5 s * axes width (layout of mel_png)
    left, width = 38, 520 - 38 - 8
    cols0 = np.where(_has_colour(m, c0).sum(axis=0) > 25)[0]
    cols1 = np.where(_has_colour(m, c1).sum(axis=0) > 25)[0]
    for t, cols in ((1.0, cols0), (2.0, cols0), (1.5, cols1), (2.5, cols1)):
        x_px = left + t / 5.0 * width
        assert np.min(np.abs(cols - x_px)) <= 2, (t, x_px, cols)
    assert len(marked) < 30_000  # palette PNG stays small


def test_opus_bytes_are_deterministic_and_valid():
    """libsndfile draws a random Ogg stream serial per file; the report fixes it (and recomputes each
    page's CRC) so that the same clip gives the same bytes and the same report the same file."""
    x = _tone(media.REPORT_SR, 3.0)
    a, b = media.opus_bytes(x), media.opus_bytes(x)
    assert a == b
    assert int.from_bytes(a[14:18], "little") == media.OGG_SERIAL
    y, sr = sf.read(io.BytesIO(a), dtype="float32")  # libsndfile checks every page's CRC
    assert sr == media.REPORT_SR and abs(len(y) - len(x)) < 0.02 * sr
    # our CRC is Ogg's: it reproduces the checksum libsndfile wrote on its own first page
    raw = io.BytesIO()
    sf.write(raw, x, media.REPORT_SR, format="OGG", subtype="OPUS")
    page = bytearray(raw.getvalue()[:27 + raw.getvalue()[26] + sum(raw.getvalue()[27:27 + raw.getvalue()[26]])])
    stored = int.from_bytes(page[22:26], "little")
    page[22:26] = bytes(4)
    assert media._ogg_crc(bytes(page)) == stored


def test_encoded_media_are_kept_on_disk_and_read_back_byte_identical(tmp_path, monkeypatch):
    """A warm report reads its Opus clips and mel images from the cache: same bytes as encoding anew,
    and a different input (samples or settings) never hits another input's entry."""
    import numpy as np

    from bench.report import media

    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path))
    wave = (0.1 * np.sin(np.arange(16000) * 0.05)).astype(np.float32)
    first = media.opus_bytes(wave), media.mel_png(wave, vmax=0.0)
    assert len(list((tmp_path / "report-media").rglob("*.*"))) == 2
    calls = []
    monkeypatch.setattr(media, "_encode_opus", lambda w: calls.append("ogg") or b"")
    monkeypatch.setattr(media, "_draw_mel_png", lambda w, **k: calls.append("png") or b"")
    assert (media.opus_bytes(wave), media.mel_png(wave, vmax=0.0)) == first and calls == []
    media.mel_png(wave, vmax=-10.0)  # other settings: drawn, not read
    media.opus_bytes(wave * 0.5)  # other samples: encoded, not read
    assert calls == ["png", "ogg"]
