"""Atomic writes leave either the old file or the whole new one; one sha256 of a file."""
import hashlib
import os

import pytest
import torch

from unison.core.files import atomic_dir, atomic_path, atomic_write_text, publish_dir, sha256_file


def test_atomic_path_replaces_only_when_the_block_completes(tmp_path):
    target = tmp_path / "sub" / "x.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert os.listdir(target.parent) == ["x.txt"]  # no temporary left behind
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and os.listdir(target.parent) == ["x.txt"]


def test_torch_save_through_atomic_path_gives_the_same_bytes_twice(tmp_path):
    for name in ("a.pt", "b.pt"):
        with atomic_path(tmp_path / name) as tmp:
            torch.save({"w": torch.arange(4.0)}, tmp)
    data = [(tmp_path / n).read_bytes() for n in ("a.pt", "b.pt")]
    assert sha256_file(tmp_path / "a.pt") == hashlib.sha256(data[0]).hexdigest()
    assert torch.equal(torch.load(tmp_path / "b.pt")["w"], torch.arange(4.0))


def test_atomic_dir_publishes_replaces_or_keeps_a_finished_copy(tmp_path):
    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("1")
    assert (target / "a").read_text() == "1"
    with atomic_dir(target) as tmp:  # someone else finished first: theirs is kept
        (tmp / "a").write_text("2")
    assert (target / "a").read_text() == "1"
    with atomic_dir(target, replace=True) as tmp:
        (tmp / "a").write_text("3")
    assert (target / "a").read_text() == "3"
    other = tmp_path / ".other"
    other.mkdir()
    (other / "a").write_text("4")
    with pytest.raises(OSError):
        publish_dir(other, target, done=lambda d: (d / "missing").is_file())
    assert sorted(os.listdir(tmp_path)) == [".other", "model"]


def test_sha256_file_streams_from_an_offset(tmp_path):
    p = tmp_path / "blob"
    p.write_bytes(b"header" + b"x" * 3_000_000)
    assert sha256_file(p) == hashlib.sha256(p.read_bytes()).hexdigest()
    assert sha256_file(p, offset=6) == hashlib.sha256(b"x" * 3_000_000).hexdigest()
