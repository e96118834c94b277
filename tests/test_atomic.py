"""pipelines.atomic: a file or link is replaced whole or not at all, and no temporary is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.atomic import (
    atomic_path,
    exchange_paths,
    write_bytes_atomic,
    write_text_atomic,
)


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_write_creates_folders_and_the_file_with_ordinary_permissions(tmp_path, umask_022):
    target = tmp_path / "a" / "b" / "data.bin"
    assert write_bytes_atomic(target, b"\x00\x01 bytes") == target
    assert target.read_bytes() == b"\x00\x01 bytes"
    # Not mkstemp's private 0o600: what open(path, "w") gives under the umask.
    assert target.stat().st_mode & 0o777 == 0o644
    assert leftovers(target.parent, {"data.bin"}) == []


def test_replacing_keeps_the_old_files_permissions(tmp_path, umask_022):
    target = tmp_path / "shared.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    write_text_atomic(target, "år,kode\r\n2025,0301\n")
    assert target.read_bytes() == "år,kode\r\n2025,0301\n".encode()  # line ends exactly as given
    assert target.stat().st_mode & 0o777 == 0o640


def test_the_target_changes_only_when_the_block_ends(tmp_path):
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")
    with atomic_path(target) as temporary:
        assert temporary.parent == target.parent and temporary.name.startswith(".table.parquet.")
        assert temporary.exists() and temporary.read_bytes() == b""  # reserved, ours alone
        temporary.write_bytes(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path, {"table.parquet"}) == []


@pytest.mark.parametrize("error", [ValueError("writer failed"), KeyboardInterrupt()])
def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "data.json"
    target.write_text('{"old": true}', encoding="utf-8")
    with pytest.raises(type(error)), atomic_path(target) as temporary:
        temporary.write_text('{"new": tr', encoding="utf-8")
        raise error
    assert target.read_text(encoding="utf-8") == '{"old": true}'
    assert leftovers(tmp_path, {"data.json"}) == []


def test_an_error_before_any_file_existed_leaves_nothing(tmp_path):
    target = tmp_path / "new.bin"
    with pytest.raises(RuntimeError), atomic_path(target):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_the_data_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        events.append("fsync")
        real_fsync(descriptor)

    def replace(source, destination) -> None:
        events.append("replace")
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_bytes_atomic(tmp_path / "x", b"x")
    assert events == ["fsync", "replace"]


def test_two_writers_of_one_file_do_not_share_a_temporary(tmp_path):
    target = tmp_path / "same.txt"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second
        first.write_text("first", encoding="utf-8")
        second.write_text("second", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "first"  # the outer block ended last
    assert leftovers(tmp_path, {"same.txt"}) == []


def test_exchange_paths_swaps_two_folders_in_one_step(tmp_path):
    old, new = tmp_path / "latest", tmp_path / "incoming"
    old.mkdir()
    (old / "a.txt").write_text("old", encoding="utf-8")
    new.mkdir()
    (new / "a.txt").write_text("new", encoding="utf-8")
    if not exchange_paths(new, old):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available on this system or file system")
    assert (old / "a.txt").read_text(encoding="utf-8") == "new"
    assert (new / "a.txt").read_text(encoding="utf-8") == "old"  # the previous folder, to remove


def test_exchange_paths_fails_loudly_on_a_missing_path(tmp_path):
    (tmp_path / "here").mkdir()
    try:
        swapped = exchange_paths(tmp_path / "here", tmp_path / "missing")
    except FileNotFoundError:
        return
    assert swapped is False  # only where the call does not exist at all
