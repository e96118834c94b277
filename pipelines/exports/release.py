"""Atomic, idempotent public releases in plain folders — no symbolic links.

Layout (what BI tools see)::

    exports/public/latest/         the newest release: a real folder with stable file names
    exports/public/<release>/      each release under its id (its date): a frozen real copy
    exports/.public-work/          hidden working folder beside ``public/``, empty between publishes
                                   (inside ``public/`` only when ``public/`` is a mount of its own)

A release is written in full to a temporary folder in ``.public-work/`` (the same file system as
``public/``), then put in place of ``public/<release>`` and of ``public/latest`` in one atomic
step each: Linux ``renameat2(RENAME_EXCHANGE)`` swaps the new folder with the old one, and the old
one, now in ``.public-work/``, is removed. A reader sees the old complete folder or the new one,
never a mix. Where the exchange is not available, the old folder is first renamed aside and the new
one renamed in: for that instant (two renames, microseconds) the folder does not exist — a reader
then gets "not found", never a mix of files.

A process killed at any moment leaves ``latest`` and every dated folder complete (old or new); its
leftovers in ``.public-work/`` are removed by the next publish. Publishing the same content again
finds it in place (by its content digest) and changes nothing. A ``latest/`` that a sync tool
replaced by a real copy of an older release is simply exchanged; one with the same content is kept.
Releases of the old layout (symbolic links into ``public/.builds/``) become real folders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.atomic import exchange_paths
from pipelines.exports.manifest import build_manifest
from pipelines.processes import process_alive

LATEST = "latest"
MANIFEST = "release.json"
WORK = ".public-work"  # beside public/, never inside it
LEGACY_BUILDS = ".builds"  # the old layout's store inside public/


def content_digest(folder: Path, stamp: str | None = None) -> str:
    """SHA-256 over every file's name and bytes, except the manifest (which holds a timestamp).

    ``stamp``, the build time as the files print it (JSON-stat's ``updated``), is not content:
    it is left out, so the same data published again finds its build (and keeps its first stamp).
    """
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST
    ):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        data = path.read_bytes()
        digest.update(data.replace(stamp.encode(), b"") if stamp else data)
    return digest.hexdigest()


def build_stamp(built_at: dt.datetime) -> str:
    """The build time as files print it: UTC, ISO 8601 with ``Z`` (as SSB's ``updated``)."""
    return built_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def work_dir(public_dir: Path) -> Path:
    """The working folder: beside ``public/``, or inside it (hidden) when ``public/`` is a mount
    point of its own — a rename works only within one file system."""
    beside = public_dir.parent / WORK
    if public_dir.exists() and os.stat(public_dir).st_dev != os.stat(public_dir.parent).st_dev:
        return public_dir / WORK
    return beside


def publish(
    public_dir: Path,
    release: str,
    write_files: Callable[[Path, str], None],
    licence: dict[str, Any] | None = None,
) -> Path:
    """Write a release with ``write_files(folder, stamp)`` and put it in place as ``<release>/`` and
    ``latest/``. ``stamp`` is the build time (:func:`build_stamp`), the manifest's ``built_at``.

    Returns the dated folder. Safe to run twice: identical content leaves both folders untouched.
    """
    if not release or "/" in release or "\\" in release or release.startswith(".") or release == LATEST:
        raise ValueError(f"invalid release id {release!r}")
    public_dir.mkdir(parents=True, exist_ok=True)
    work = work_dir(public_dir)
    work.mkdir(exist_ok=True)
    _remove_leftovers(work)
    _migrate_links(public_dir, work)
    staging = _temporary(work, release)
    staging.mkdir()
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        stamp = build_stamp(built_at)
        write_files(staging, stamp)
        digest = content_digest(staging, stamp)
        manifest = build_manifest(
            staging, release, digest, built_at.isoformat(), licence, exclude=frozenset({MANIFEST})
        )
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _install(staging, public_dir / release, digest, work, copy=True)
        _install(staging, public_dir / LATEST, digest, work, copy=False)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    _remove_if_empty(work)
    return public_dir / release


def _install(staging: Path, target: Path, digest: str, work: Path, copy: bool) -> None:
    """Put the content of ``staging`` at ``target`` in one atomic step, unless it is there already."""
    if target.is_dir() and not target.is_symlink() and _same_release(target, digest):
        return  # same content already published: keep the files (and their manifest) as they are
    if copy:
        incoming = _temporary(work, target.name)
        shutil.copytree(staging, incoming)
    else:
        incoming = staging
    if not os.path.lexists(target):
        try:
            os.rename(incoming, target)
            return
        except OSError:
            if not os.path.lexists(target):
                raise  # (else another publisher got there first: exchange below)
    if exchange_paths(incoming, target):
        old = incoming  # the exchange left the previous folder (or link) under the temporary name
    else:  # rename aside, then in: for an instant, `target` does not exist (never a mix of files)
        old = _temporary(work, f"old-{target.name}")
        os.rename(target, old)
        os.rename(incoming, target)
    _remove(old)


def _same_release(folder: Path, digest: str) -> bool:
    """Whether ``folder`` holds this content: its manifest says so, and its files (read with the
    build stamp they print, which is not content) still do — a sync tool's copy may have lost one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        stamp = build_stamp(dt.datetime.fromisoformat(manifest["built_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return manifest.get("content_sha256") == digest and content_digest(folder, stamp) == digest


def _temporary(work: Path, name: str) -> Path:
    # `.tmp-<name>-<pid>-<random>`: the pid tells a later publish whether its writer still runs.
    return work / f".tmp-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` if it is empty (another publisher may be using it: then leave it)."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def _remove_leftovers(work: Path) -> None:
    """Remove what killed publishes left in the working folder (not what a running one writes)."""
    for path in work.iterdir():
        if path.name.startswith(".tmp-") and _writer_alive(path.name):
            continue
        _remove(path)


def _writer_alive(name: str) -> bool:
    """Whether the process named in a temporary folder's name (`.tmp-<name>-<pid>-<id>`) still
    runs. The folder is on this machine's disk, so the pid is this machine's."""
    pid = name.rsplit("-", 2)[-2]
    return not pid.isdigit() or process_alive(int(pid))  # a name not ours to judge: leave it


def _migrate_links(public_dir: Path, work: Path) -> None:
    """Turn the old layout's symbolic links (``latest``, ``<release>`` → ``.builds/…``) into real
    folders, each swapped in atomically, then remove the ``.builds`` store."""
    for link in sorted(p for p in public_dir.iterdir() if p.is_symlink()):
        if link.is_dir():
            incoming = _temporary(work, link.name)
            shutil.copytree(link.resolve(), incoming)
            if not exchange_paths(incoming, link):
                link.unlink()
                os.rename(incoming, link)
                continue
            _remove(incoming)  # now the old link
        else:
            link.unlink()  # dangling
    builds = public_dir / LEGACY_BUILDS
    if builds.is_dir():
        shutil.rmtree(builds, ignore_errors=True)


def releases(public_dir: Path) -> list[str]:
    """Published release ids (the dated folders), oldest first."""
    if not public_dir.exists():
        return []
    return sorted(
        p.name
        for p in public_dir.iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and p.name != LATEST
        and not p.name.startswith(".")
        and (p / MANIFEST).is_file()
    )
