"""Atomic, idempotent public releases.

A release is written in full to a hidden temporary folder, then renamed to an immutable build
folder named by the release id and a hash of its content (``.builds/2026-11-26-3f2a…``). The
dated folder (``<release>``) and ``latest`` are symbolic links to that build, each switched in one
atomic rename. A process killed at any moment leaves ``latest`` pointing at the previous complete
build. Publishing the same content again finds the same build and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from pipelines.atomic import replace_symlink
from pipelines.processes import process_alive

BUILDS = ".builds"
LATEST = "latest"
MANIFEST = "release.json"


def content_digest(folder: Path, stamp: str | None = None) -> str:
    """SHA-256 over every file's name and bytes, except the manifest (which holds a timestamp).

    ``stamp``, the build time as the files print it (JSON-stat's ``updated``), is not content:
    it is left out, so the same data published again finds its build (and keeps its first stamp).
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(b"\0")
        data = path.read_bytes()
        digest.update(data.replace(stamp.encode(), b"") if stamp else data)
    return digest.hexdigest()


def build_stamp(built_at: dt.datetime) -> str:
    """The build time as files print it: UTC, ISO 8601 with ``Z`` (as SSB's ``updated``)."""
    return built_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish(public_dir: Path, release: str, write_files: Callable[[Path, str], None]) -> Path:
    """Write a release with ``write_files(folder, stamp)`` and switch ``<release>`` and ``latest`` to it.

    ``stamp`` is the build time (:func:`build_stamp`), the same instant as the manifest's ``built_at``.

    Returns the build folder. Safe to run twice: identical content reuses the existing build.
    """
    if not release or "/" in release or release.startswith("."):
        raise ValueError(f"invalid release id {release!r}")
    builds = public_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    staging = builds / f".tmp-{release}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        write_files(staging, build_stamp(built_at))
        digest = content_digest(staging, build_stamp(built_at))
        (staging / MANIFEST).write_text(
            json.dumps(
                {
                    "release": release,
                    "content_sha256": digest,
                    "built_at": built_at.isoformat(),
                    "files": sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file()),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        build = builds / f"{release}-{digest[:16]}"
        if build.exists():
            shutil.rmtree(staging)  # same content already published: keep the existing files
        else:
            os.rename(staging, build)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    _point(public_dir / release, build)
    _point(public_dir / LATEST, build)
    _remove_unreferenced_builds(public_dir)
    return build


def _point(link: Path, build: Path) -> None:
    """Make ``link`` a symbolic link to ``build``, replacing any previous link in one rename."""
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a release link; move it away first")
    replace_symlink(link, os.path.relpath(build, link.parent))


def _remove_unreferenced_builds(public_dir: Path) -> None:
    builds = public_dir / BUILDS
    referenced = {p.resolve() for p in public_dir.iterdir() if p.is_symlink()}
    for build in builds.iterdir():
        if build.name.startswith(".tmp-"):
            if _writer_alive(build.name):
                continue  # another process is writing it
            shutil.rmtree(build, ignore_errors=True)  # left by a killed run
        elif build.resolve() not in referenced:
            shutil.rmtree(build, ignore_errors=True)


def _writer_alive(name: str) -> bool:
    """Whether the process named in a temporary build's name (`.tmp-<release>-<pid>-<id>`) still
    runs. The folder is on this machine's disk, so the pid is this machine's."""
    pid = name.rsplit("-", 2)[-2]
    return not pid.isdigit() or process_alive(int(pid))  # a name not ours to judge: leave it


def releases(public_dir: Path) -> list[str]:
    """Published release ids, oldest first."""
    if not public_dir.exists():
        return []
    return sorted(p.name for p in public_dir.iterdir() if p.is_symlink() and p.name != LATEST)
