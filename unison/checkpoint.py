"""UNISON checkpoints: one safetensors file = DiT weights + a JSON metadata block.

The metadata (under the safetensors header key ``unison``) records everything needed to rebuild
the model and its conditioning exactly: the full config (unison.config.to_dict), the LLM id,
revision and prompt template, the VAE id, the latent normalisation stats, the training step, the
git hash and the format version. Loading is strict: every key and shape must match the model
built from the recorded config, otherwise one error names the file and the differences.

File paths in the recorded config (PATH_FIELDS, e.g. audio.vae.path) that lie in the checkpoint's
folder are recorded relative to that folder, and relative paths are resolved on load against the
checkpoint's folder first, then the working directory: a checkpoint folder can be moved, and used
from any working directory.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import Tensor

from unison.config import ConfigError, UnisonConfig, check_known_keys, from_dict, to_dict
from unison.core.files import atomic_path, sha256_file

log = logging.getLogger(__name__)

FORMAT_NAME = "unison-checkpoint"
FORMAT_VERSION = 1
META_KEY = "unison"
HOW_TO_PROVIDE = (
    "pass --ckpt /path/to/unison.safetensors (a file written by unison.checkpoint.save_checkpoint, "
    "e.g. by the trainer); train one with the project's training code or copy a released checkpoint"
)


class CheckpointError(ValueError):
    """A checkpoint file exists but cannot be used (bad format, wrong keys or shapes)."""


class MissingCheckpointError(FileNotFoundError):
    """The checkpoint file does not exist."""


PATH_FIELDS = ("llm.path", "audio.vae.path", "audio.vocoder.path")  # weight files a config may name


def _get(d: Mapping[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(d, Mapping) or key not in d:
            return None
        d = d[key]
    return d


def _with(d: dict[str, Any], dotted: str, value: str) -> dict[str, Any]:
    """Copy of nested dict ``d`` with ``dotted`` set (the containers on the way are copied)."""
    head, _, rest = dotted.partition(".")
    out = dict(d)
    out[head] = _with(dict(d.get(head) or {}), rest, value) if rest else value
    return out


def recorded_relative_paths(cfg_dict: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """PATH_FIELDS naming a file inside ``folder`` (or below it) rewritten relative to ``folder``;
    other paths unchanged. Used when writing a checkpoint into ``folder``."""
    root = Path(folder).resolve()
    for name in PATH_FIELDS:
        value = _get(cfg_dict, name)
        if not isinstance(value, str) or not value:
            continue
        target = Path(value).expanduser().resolve()
        if target.is_relative_to(root):
            cfg_dict = _with(cfg_dict, name, target.relative_to(root).as_posix())
    return cfg_dict


def resolve_recorded_paths(cfg_dict: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """Relative PATH_FIELDS made absolute: against ``folder`` (the checkpoint's) if the file is
    there, else against the working directory if it is there; a path found in neither place is
    left as recorded (its loader then names it in a file-not-found error)."""
    for name in PATH_FIELDS:
        value = _get(cfg_dict, name)
        if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
            continue
        for base in (Path(folder), Path.cwd()):
            if (base / value).exists():
                cfg_dict = _with(cfg_dict, name, str((base / value).resolve()))
                break
        else:
            log.warning("%s=%r is in neither the checkpoint folder %s nor the working directory", name, value,
                        folder)
    return cfg_dict


@dataclass
class Checkpoint:
    path: Path
    config: UnisonConfig
    state_dict: dict[str, Tensor]
    step: int
    latent_mean: Tensor | None  # (C,)
    latent_std: Tensor | None  # (C,)
    meta: dict[str, Any] = field(default_factory=dict)


def git_hash() -> str | None:
    """Commit of the code that wrote the checkpoint (None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _stats_lists(latent_stats: Any) -> dict[str, list[float]] | None:
    if latent_stats is None:
        return None
    mean, std = (latent_stats["mean"], latent_stats["std"]) if isinstance(latent_stats, Mapping) else (
        latent_stats.mean, latent_stats.std)
    return {"mean": torch.as_tensor(mean, dtype=torch.float32).flatten().tolist(),
            "std": torch.as_tensor(std, dtype=torch.float32).flatten().tolist()}


def build_metadata(cfg: UnisonConfig, *, step: int = 0, latent_stats: Any = None,
                   extra: Mapping[str, Any] | None = None, folder: str | Path | None = None) -> dict[str, Any]:
    """``folder``: where the checkpoint is written (recorded paths inside it become relative to it)."""
    stats = _stats_lists(latent_stats)
    if stats is not None and len(stats["mean"]) != cfg.model.latent_channels:
        raise CheckpointError(
            f"latent stats have {len(stats['mean'])} channels but model.latent_channels is "
            f"{cfg.model.latent_channels}")
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "config": recorded_relative_paths(to_dict(cfg), folder) if folder is not None else to_dict(cfg),
        "llm": {"kind": cfg.llm.kind, "model_id": cfg.llm.model_id, "revision": cfg.llm.revision,
                "template": cfg.llm.template, "system_prompt": cfg.llm.system_prompt},
        "vae": {"kind": cfg.audio.vae.kind, "weights": cfg.audio.vae.weights},
        "latent_stats": stats,
        "step": int(step),
        "git": git_hash(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "extra": dict(extra or {}),
    }


def save_checkpoint(path: str | Path, state_dict: Mapping[str, Tensor], cfg: UnisonConfig, *, step: int = 0,
                    latent_stats: Any = None, extra: Mapping[str, Any] | None = None) -> Path:
    """Write weights + metadata atomically (temp file in the same folder, then rename)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = build_metadata(cfg, step=step, latent_stats=latent_stats, extra=extra, folder=path.parent)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    log.info("saved checkpoint %s (step %d, %d tensors)", path, step, len(tensors))
    return path


def _split_safetensors(path: Path) -> tuple[dict[str, Any], int]:
    """(JSON header, byte offset of the tensor data) of a safetensors file."""
    with path.open("rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n).decode("utf-8"))
    return header, 8 + n


def tensor_data_sha256(path: str | Path) -> str:
    """sha256 of the tensor data section only (unchanged by a metadata rewrite)."""
    path = _existing(path)
    _, start = _split_safetensors(path)
    return sha256_file(path, offset=start)


def rewrite_metadata(path: str | Path, meta: Mapping[str, Any]) -> Path:
    """Replace a checkpoint's metadata block, copying the tensor bytes unchanged (same offsets
    relative to the data section); atomic (temp file beside it, then rename)."""
    path = _existing(path)
    read_metadata(path)  # only UNISON checkpoints
    header, start = _split_safetensors(path)
    header["__metadata__"] = {**header.get("__metadata__", {}), META_KEY: json.dumps(dict(meta))}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the format pads its header to 8-byte alignment with spaces
    with atomic_path(path) as tmp, tmp.open("wb") as out, path.open("rb") as src:
        out.write(len(raw).to_bytes(8, "little") + raw)
        src.seek(start)
        shutil.copyfileobj(src, out, 1 << 20)
    return path


def relocate_recorded_paths(path: str | Path) -> dict[str, Any]:
    """Rewrite an existing checkpoint so the PATH_FIELDS of its config that name files in its own
    folder are recorded relative to that folder (weights untouched). Paths are first resolved as
    on load. Returns the new metadata."""
    path = _existing(path)
    meta = read_metadata(path)
    folder = path.resolve().parent
    cfg = recorded_relative_paths(resolve_recorded_paths(meta["config"], folder), folder)
    meta = {**meta, "config": cfg}
    rewrite_metadata(path, meta)
    return meta


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The JSON metadata block only (cheap: reads the header, not the weights)."""
    from safetensors import safe_open

    path = _existing(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(META_KEY)
    except Exception as e:  # noqa: BLE001 - safetensors raises several error types for bad files
        raise CheckpointError(f"{path}: not a readable safetensors file ({e}). {HOW_TO_PROVIDE}") from e
    if raw is None:
        raise CheckpointError(f"{path}: safetensors file has no '{META_KEY}' metadata block, so it is not a "
                              f"UNISON checkpoint. {HOW_TO_PROVIDE}")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: its '{META_KEY}' metadata block is not JSON ({e}). {HOW_TO_PROVIDE}") from e
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: its '{META_KEY}' metadata block is not a JSON object. {HOW_TO_PROVIDE}")
    if meta.get("format") != FORMAT_NAME or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: format {meta.get('format')!r} version {meta.get('format_version')!r}; this code reads "
            f"{FORMAT_NAME!r} version {FORMAT_VERSION}")
    return meta


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MissingCheckpointError(f"checkpoint not found: {path}. To provide it: {HOW_TO_PROVIDE}")
    return path


def _config(path: Path, meta: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> UnisonConfig:
    # recorded paths are relative to the file's own folder; command-line overrides to the CWD
    cfg_dict = resolve_recorded_paths(meta["config"], path.resolve().parent)
    if overrides:
        from omegaconf import OmegaConf

        check_known_keys(dict(overrides))
        cfg_dict = OmegaConf.to_container(OmegaConf.merge(OmegaConf.create(cfg_dict), OmegaConf.create(dict(overrides))))
    try:
        return from_dict(cfg_dict)
    except ConfigError as e:
        raise ConfigError(f"{path}: recorded config{' with the overrides' if overrides else ''}: {e}") from e


def read_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> UnisonConfig:
    """The checkpoint's recorded config with ``overrides`` merged, validated (reads the header only)."""
    path = _existing(path)
    return _config(path, read_metadata(path), overrides)


def load_checkpoint(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Checkpoint:
    """Read weights and metadata. ``overrides`` is a nested dict merged into the recorded config
    (e.g. {"llm": {"path": ...}}); architecture fields should not be overridden."""
    from safetensors.torch import load_file

    path = _existing(path)
    meta = read_metadata(path)
    cfg = _config(path, meta, overrides)
    try:
        state = load_file(str(path))
    except Exception as e:  # noqa: BLE001 - safetensors raises its own error type for damaged data
        raise CheckpointError(f"{path}: the tensor data cannot be read ({e}); the file is damaged or truncated. "
                              f"{HOW_TO_PROVIDE}") from e
    stats = meta.get("latent_stats")
    mean = torch.tensor(stats["mean"]) if stats else None
    std = torch.tensor(stats["std"]) if stats else None
    return Checkpoint(path, cfg, state, int(meta.get("step", 0)), mean, std, meta)


def check_state_dict(expected: Mapping[str, Tensor], got: Mapping[str, Tensor], source: str | Path) -> None:
    """Raise one CheckpointError listing missing, unexpected and wrong-shaped keys."""
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    shapes = sorted(f"{k}: checkpoint {tuple(got[k].shape)} vs model {tuple(expected[k].shape)}"
                    for k in set(expected) & set(got) if tuple(expected[k].shape) != tuple(got[k].shape))
    if not (missing or unexpected or shapes):
        return

    def part(title: str, items: list[str]) -> str:
        shown = ", ".join(items[:12]) + (f", ... ({len(items) - 12} more)" if len(items) > 12 else "")
        return f"{title} ({len(items)}): {shown}"

    parts = [part(t, i) for t, i in (("missing keys", missing), ("unexpected keys", unexpected),
                                      ("shape mismatches", shapes)) if i]
    raise CheckpointError(
        f"checkpoint {source} does not match the model built from its config: " + "; ".join(parts)
        + f". The file was written for a different architecture or is damaged. To provide it: {HOW_TO_PROVIDE}")


def load_into(module: torch.nn.Module, state: Mapping[str, Tensor], source: str | Path) -> None:
    """Strict load with a readable error (keys and shapes checked before touching the module)."""
    check_state_dict(module.state_dict(), state, source)
    module.load_state_dict(state, strict=True)
