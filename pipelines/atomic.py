"""Replace a file, a symbolic link or a folder in one step, so a reader sees the old version or the new,
never half.

Everything is first written to a hidden temporary file in the target's own folder — ``os.replace``
is atomic only within one file system — flushed to disk, then renamed over the target. On any
error the temporary file is removed and the old target is left as it was.

Permissions: a replaced file keeps the old file's permission bits; a new file gets what a plain
``open(path, "w")`` would give (0o666 less the umask), not the private 0o600 of
:func:`tempfile.mkstemp`, because these files are read by people and other tools.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "exchange_paths", "write_bytes_atomic", "write_text_atomic"]


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it is removed.

    The temporary file already exists (empty) when yielded, so its name is ours alone; write it by
    name with any library (``pq.write_table(table, temporary)``). Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _reserve(path)
    try:
        yield temporary
        _fsync(temporary)  # the data must be on disk before the rename makes it the file
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, os.stat(path).st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text_atomic(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded as given, line ends exactly as in ``text``."""
    return write_bytes_atomic(path, text.encode(encoding))


_AT_FDCWD = -100  # <fcntl.h>: paths relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>: swap the two names


def exchange_paths(a: Path | str, b: Path | str) -> bool:
    """Swap the names ``a`` and ``b`` (two folders, or a folder and a link) in one atomic step.

    Uses Linux ``renameat2(..., RENAME_EXCHANGE)`` (glibc ≥ 2.28, through ``ctypes`` on the C
    library). Returns False, changing nothing, where that is not available (another OS, an old
    glibc, a file system that does not support it); the caller then falls back to two renames.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False  # not supported here
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _temporary_name(path: Path) -> Path:
    # Hidden, in the same folder, and random, so concurrent writers of one file never collide.
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def _reserve(path: Path) -> Path:
    while True:
        temporary = _temporary_name(path)
        try:
            # O_EXCL: fail rather than reuse a name someone else holds. Mode 0o666 lets the umask
            # decide, as for any newly created file.
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return temporary


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
