"""One resolver for every real model's weights (UNISON, Qwen, VAE, vocoders, evaluators).

Search order: explicit path -> environment variable -> ``$UNISON_WEIGHTS_DIR/<name>/<filename>``
-> the local Hugging Face cache (never the network). A miss raises one error that names the
file, every place looked, and how to provide it. Checksums are verified when known.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from unison.core.files import atomic_write_text, sha256_file
from unison.core.paths import cache_root


class MissingWeightsError(FileNotFoundError):
    """A model file could not be found locally; the message says where we looked and how to fix it."""


class ChecksumMismatchError(ValueError):
    """A model file exists but its sha256 differs from the pinned one."""


class WeightsFileError(ValueError):
    """A weights file exists but cannot be read safely (foreign format, damaged, or a pickle that
    holds more than tensors and plain containers and so is refused by the weights-only loader)."""


@dataclass(frozen=True)
class WeightSpec:
    """Where one model file may live. ``name`` is a short id such as ``mmaudio-vae-16k``."""

    name: str
    filename: str
    env: str | None = None  # e.g. UNISON_VAE_16K; defaults to UNISON_WEIGHTS_<NAME>
    hf_repo: str | None = None  # looked up in the local HF cache (resolve never downloads)
    sha256: str | None = None  # the published checksum, when its publisher gives one
    how_to_get: str = ""
    url: str | None = None  # the published HTTPS address of the file (for files not on the HF hub)
    companions: tuple[str, ...] = ()  # other files of the release that must sit beside ``filename``
    snapshot: bool = False  # ``filename`` is one file of a whole checkpoint folder (a full repo snapshot)

    @property
    def env_var(self) -> str:
        return self.env or "UNISON_WEIGHTS_" + self.name.upper().replace("-", "_").replace(".", "_")


def cached_sha256(path: str | Path) -> str:
    """sha256 of a (large) file, remembered per (path, size, mtime) in $UNISON_CACHE_DIR/sha256.json
    so a multi-gigabyte weights file is read once, not at every run."""
    path = Path(path)
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo_file = cache_root() / "sha256.json"
    memo: dict[str, str] = {}
    if memo_file.exists():
        try:
            memo = json.loads(memo_file.read_text())
        except (OSError, json.JSONDecodeError):
            memo = {}
    if key in memo:
        return memo[key]
    digest = sha256_file(path)
    memo[key] = digest
    try:
        atomic_write_text(memo_file, json.dumps(memo))
    except OSError:
        pass  # the memo is an optimisation only
    return digest


def _candidates(spec: WeightSpec, explicit: str | Path | None) -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = []
    if explicit is not None:
        p = Path(explicit)
        out.append(("explicit path", p / spec.filename if p.is_dir() else p))
    env_val = os.environ.get(spec.env_var)
    out.append((f"${spec.env_var}", (Path(env_val) / spec.filename if Path(env_val).is_dir() else Path(env_val)) if env_val else None))
    root = os.environ.get("UNISON_WEIGHTS_DIR")
    out.append(("$UNISON_WEIGHTS_DIR/" + spec.name, Path(root) / spec.name / spec.filename if root else None))
    if spec.hf_repo:
        hf = None
        try:
            from huggingface_hub import try_to_load_from_cache

            got = try_to_load_from_cache(spec.hf_repo, spec.filename)
            hf = Path(got) if isinstance(got, str) else None
        except Exception:  # noqa: BLE001 - an unusable HF cache is just "not found there"
            hf = None
        out.append((f"HF cache {spec.hf_repo}", hf))
    return out


@dataclass
class Located:
    path: Path | None  # the first existing file of the search order, None when there is none
    where: str  # which place of the search order held it ("" when missing)
    looked: list[str]  # every place looked before it (all of them when missing), in order


def locate(spec: WeightSpec, explicit: str | Path | None = None) -> Located:
    """Where ``spec``'s file is, and every place looked for it (no checksum, never an error)."""
    looked: list[str] = []
    for where, path in _candidates(spec, explicit):
        if path is None:
            looked.append(f"{where} (not in the local cache)" if where.startswith("HF cache") else f"{where} (not set)")
        elif path.is_file():
            return Located(path, where, looked)
        else:
            looked.append(f"{where}: {path} (missing)")
    return Located(None, "", looked)


def resolve(spec: WeightSpec, explicit: str | Path | None = None, verify: bool = True) -> Path:
    """Return the local path of ``spec``'s file, or raise :class:`MissingWeightsError`."""
    found = locate(spec, explicit)
    path, looked = found.path, found.looked
    if path is not None:
        if verify and spec.sha256:
            got = cached_sha256(path)
            if got != spec.sha256:
                raise ChecksumMismatchError(
                    f"{spec.name}: {path} has sha256 {got}, expected {spec.sha256}. "
                    "Replace the file with the published one (or pass the file you intend explicitly "
                    "with verify=False and record that choice)."
                )
        return path
    hint = spec.how_to_get or f"download {spec.filename}"
    raise MissingWeightsError(
        f"weights '{spec.name}' ({spec.filename}) not found. Looked in: " + "; ".join(looked)
        + f". To provide it: {hint}, then set {spec.env_var}=/path/to/{spec.filename} "
        f"or put it at $UNISON_WEIGHTS_DIR/{spec.name}/{spec.filename}."
    )


def load_weights_file(path: str | Path, what: str, how_to_fix: str = "") -> object:
    """``torch.load(path, weights_only=True)`` with one readable error. The weights-only loader
    never runs code from the file: a pickle that references other Python objects (a class, a
    function such as os.system) is refused, not executed. ``what`` names the setting that chose
    the file (e.g. "audio.vae.path")."""
    import re
    import warnings

    import torch

    path = Path(path)
    if not path.is_file():
        raise MissingWeightsError(f"{what}: weights file {path} not found. {how_to_fix}".strip())
    fix = f" {how_to_fix}" if how_to_fix else ""
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": the error below says it all
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch.load raises UnpicklingError, RuntimeError, KeyError, ...
        import pickle

        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        with path.open("rb") as f:
            head = f.read(2)
        is_pickle = head[:1] == b"\x80" or head == b"PK"  # a pickle (protocol >= 2) or torch's zip of one
        if isinstance(e, pickle.UnpicklingError) and (found or is_pickle):
            ref = f" (it references {found.group(1)})" if found else ""
            raise WeightsFileError(
                f"{what}: {path} was refused by the weights-only loader{ref}: it is a pickle holding more than "
                f"tensors and plain containers, and loading it could run code from the file, so nothing of it "
                f"was executed. Use a plain state-dict file saved with torch.save(state_dict).{fix}") from e
        detail = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise WeightsFileError(f"{what}: {path} is not a readable PyTorch weights file ({type(e).__name__}: "
                               f"{detail}); it may be damaged or of another format.{fix}") from e
