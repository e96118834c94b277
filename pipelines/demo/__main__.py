"""Regenerate ALL synthetic demo files: ``python -m pipelines.demo [--reference-dir D] [--out-dir D]``.

Every generator is deterministic (fixed seeds, exact integer allocation), so running this twice
gives byte-identical files. The files and what they stand for are described in
``data/demo/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.demo import (
    accounts,
    evictions,
    form13,
    homelessness,
    households,
    husbanken,
    refugees,
    substance,
)
from pipelines.demo.common import run_cli
from pipelines.paths import DEMO_DIR, REFERENCE_DIR

WRITERS: tuple[Callable[[Path, Path], Path], ...] = (
    form13.write_form13,
    husbanken.write_startlan,
    husbanken.write_bostotte,
    households.write_households,
    accounts.write_accounts,
    homelessness.write_homelessness,
    evictions.write_evictions,
    refugees.write_refugees,
    substance.write_substance,
)
"""One writer per demo file, each ``(reference_dir, out_dir) -> path written``."""


def write_all(reference_dir: Path = REFERENCE_DIR, out_dir: Path = DEMO_DIR) -> list[Path]:
    """Write every demo file into ``out_dir``; return their paths in :data:`WRITERS` order."""
    return [write(Path(reference_dir), Path(out_dir)) for write in WRITERS]


def main(argv: list[str] | None = None) -> None:
    run_cli(WRITERS, "Regenerate all synthetic demo data files.", argv)


if __name__ == "__main__":
    main()
