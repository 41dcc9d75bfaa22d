"""Bytes from the network into a staging file beside the target, resumable; nothing here decides
whether the bytes are right (bench.weights.fetch checks them before anything is moved into place).

- plain HTTPS (``requests``): ``<target>.part`` grows across attempts and runs; a broken transfer
  is resumed with an HTTP Range request from the bytes already there.
- the Hugging Face hub: ``huggingface_hub.hf_hub_download`` into a staging folder (it resumes its
  own ``.incomplete`` files); the endpoint is ``$HF_ENDPOINT`` read at call time, so a mirror or a
  local stand-in works.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

CHUNK = 1 << 16  # a transfer cut mid-chunk loses at most this many bytes to re-send
TIMEOUT_S = 60


class DownloadError(RuntimeError):
    """A transfer failed (HTTP error, connection lost after every retry, hub refused)."""


def _progress(total: int | None, initial: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                disable=not enabled, leave=False)


def http_download(url: str, part: Path, *, progress: bool = False, retries: int = 3,
                  timeout: float = TIMEOUT_S) -> Path:
    """Fetch ``url`` into ``part``, continuing from the bytes already in it (HTTP Range). A transfer cut
    mid-file is resumed up to ``retries`` more times; ``part`` is kept for a later run on failure."""
    import requests

    part.parent.mkdir(parents=True, exist_ok=True)
    last: Exception | None = None
    for attempt in range(retries + 1):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with requests.get(url, headers=headers, stream=True, timeout=timeout, allow_redirects=True) as r:
                if r.status_code == 416 and offset:  # nothing left to send: the part is whole
                    return part
                if r.status_code not in (200, 206):
                    raise DownloadError(f"{url}: HTTP {r.status_code} {r.reason}")
                if r.status_code == 200 and offset:
                    log.info("%s: the server ignored the Range request; starting over", url)
                    offset = 0
                length = r.headers.get("Content-Length")
                total = offset + int(length) if length and length.isdigit() else None
                with part.open("ab" if offset else "wb") as f, _progress(total, offset, part.name[:-5], progress) as bar:
                    for block in r.iter_content(CHUNK):
                        f.write(block)
                        bar.update(len(block))
                if total is not None and part.stat().st_size < total:
                    raise requests.ConnectionError(f"connection closed at byte {part.stat().st_size} of {total}")
                return part
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
            last = e
            if attempt < retries:
                log.warning("%s: transfer broken (%s); resuming (attempt %d of %d)", url, e, attempt + 2, retries + 1)
    raise DownloadError(f"{url}: transfer failed after {retries + 1} attempts ({last}); the bytes received are kept "
                        f"in {part} and the next fetch resumes from them")


@contextmanager
def _hub_progress(enabled: bool) -> Iterator[None]:
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    if not enabled:
        disable_progress_bars()
    try:
        yield
    finally:
        if not enabled and not was_disabled:
            enable_progress_bars()


def hub_download(repo: str, filename: str, staging: Path, *, progress: bool = False) -> Path:
    """``hf_hub_download(repo, filename)`` into the folder ``staging``; returns the downloaded file."""
    from huggingface_hub import constants, hf_hub_download

    if constants.HF_HUB_OFFLINE:
        raise DownloadError(f"{repo}/{filename}: HF_HUB_OFFLINE is set, so the Hugging Face hub cannot be reached; "
                            "run the fetch with HF_HUB_OFFLINE=0")
    endpoint = os.environ.get("HF_ENDPOINT") or None
    try:
        with _hub_progress(progress):
            got = hf_hub_download(repo, filename, local_dir=staging, endpoint=endpoint)
    except Exception as e:  # noqa: BLE001 - HTTP, connection and hub errors: one message naming the file
        where = endpoint or constants.ENDPOINT
        raise DownloadError(f"{repo}/{filename} from {where}: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}") from e
    return Path(got)
