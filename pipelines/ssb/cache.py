"""An on-disk cache of API responses, so a run can be replayed offline byte for byte.

Each response is two files under ``root/<key[:2]>/``:

* ``<key>.json.gz`` — the response body exactly as received, gzip-compressed;
* ``<key>.meta.json`` — the request, when it was fetched (UTC), the body's sha256, status and size.

The key is the sha256 of a canonical JSON form of the request (method, URL, parameters, body), so
the same query always lands in the same file. Writes go to a temporary file that is then renamed
over the target, so a crash never leaves a half-written entry; the checksum catches any later damage.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.atomic import write_bytes_atomic, write_text_atomic


class CacheCorruptedError(RuntimeError):
    """A cache entry exists but cannot be trusted (bad gzip, bad JSON, or checksum mismatch)."""


@dataclass(frozen=True)
class CachedResponse:
    """One cached response: the body bytes as received, its meta record and the body file's path."""

    raw: bytes
    meta: dict[str, Any]
    path: Path

    @property
    def fetched_at(self) -> str:
        """When the response was fetched (ISO 8601, UTC)."""
        return str(self.meta.get("fetched_at", ""))


class ResponseCache:
    """Responses stored under ``root`` by request key (see the module docstring for the layout)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @staticmethod
    def key(method: str, url: str, params: dict[str, Any] | None, body: Any) -> str:
        """sha256 (hex) of the canonical JSON of the request: keys sorted, no whitespace, UTF-8.

        Parameter order does not matter; the order inside lists (e.g. value codes) does, because
        the server answers in that order.
        """
        canonical = json.dumps(
            {"method": method.upper(), "url": url, "params": params or {}, "body": body},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def body_path(self, key: str) -> Path:
        """Where the gzip-compressed body of ``key`` is stored."""
        return self.root / key[:2] / f"{key}.json.gz"

    def meta_path(self, key: str) -> Path:
        """Where the meta record of ``key`` is stored."""
        return self.root / key[:2] / f"{key}.meta.json"

    def store(self, key: str, request: dict[str, Any], raw: bytes, status: int) -> Path:
        """Store ``raw`` (the response body) for ``key``; return the body file's path.

        The body is written before the meta record, and :meth:`load` looks at the meta record
        first, so a reader never sees a meta record pointing at a missing or older body.
        """
        body_path = self.body_path(key)
        # mtime=0 keeps the gzip bytes identical for identical responses (clean diffs, stable hashes).
        write_bytes_atomic(body_path, gzip.compress(raw, mtime=0))
        meta = {
            "key": key,
            "request": request,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "status": status,
            "size": len(raw),
            "body_file": body_path.name,
        }
        write_text_atomic(self.meta_path(key), json.dumps(meta, ensure_ascii=False, indent=2))
        return body_path

    def load(self, key: str) -> CachedResponse | None:
        """The cached response for ``key``, or None if there is none.

        Raises :class:`CacheCorruptedError` naming the file when an entry exists but its meta
        record is unreadable, its body is missing or not valid gzip, or the body's sha256 does
        not match the one recorded when it was stored.
        """
        meta_path = self.meta_path(key)
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            expected = meta["sha256"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CacheCorruptedError(f"cache meta file {meta_path} is unreadable: {exc}") from exc
        body_path = self.body_path(key)
        try:
            raw = gzip.decompress(body_path.read_bytes())
        except FileNotFoundError as exc:
            raise CacheCorruptedError(f"cache body file {body_path} is missing (meta: {meta_path})") from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise CacheCorruptedError(f"cache body file {body_path} is not valid gzip: {exc}") from exc
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected:
            raise CacheCorruptedError(
                f"cache body file {body_path} is corrupted: sha256 {actual} does not match {expected} "
                f"recorded in {meta_path}; delete both files and fetch again"
            )
        return CachedResponse(raw=raw, meta=meta, path=body_path)
