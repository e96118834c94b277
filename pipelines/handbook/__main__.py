"""``python -m pipelines.handbook [output folder] [--out docs]``: write the indicator handbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.catalogue import CatalogueError
from pipelines.handbook.build import DOCS_DIR, ReleaseMissingError, write_handbook
from pipelines.paths import output_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.handbook",
        description="Write docs/indikatorer.md and docs/indikatorer.html from assets/*.yaml and the latest "
        "public release of a pipeline run.",
    )
    parser.add_argument(
        "output_dir",
        nargs="?",
        type=Path,
        default=None,
        help="the pipeline's output folder (default: BOLIG_OUTPUT_DIR, else data/)",
    )
    parser.add_argument(
        "--out", type=Path, default=DOCS_DIR, help="where to write the handbook (default: docs/)"
    )
    args = parser.parse_args(argv)
    base = args.output_dir or output_dir()
    try:
        written = write_handbook(base, args.out)
    except (ReleaseMissingError, CatalogueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
