"""Print where a run's outputs are (``python -m pipelines.outputs``, called by ``make run``)."""

from __future__ import annotations

from pathlib import Path

from pipelines.paths import output_dir
from pipelines.warehouse import warehouse_path


def describe_outputs(base: Path) -> list[str]:
    lines = [f"Warehouse (DuckDB, open read-only): {warehouse_path(base)}"]
    for folder, pattern in (
        ("exports/public/latest", "*.parquet"),
        ("exports/internal", "*.parquet"),
        ("charts", "*.png"),
        ("maps", "*.png"),
        ("profiles/kommune", "*.html"),
        ("profiles/kommune", "*.png"),
        ("profiles/fylke", "*.pdf"),
        ("reports", "*.html"),
    ):
        files = sorted((base / folder).glob(pattern)) if (base / folder).exists() else []
        if not files and pattern == "*.pdf":
            continue  # the county PDFs: written by the yearly runs, as main() says
        lines.append(f"{folder}: {len(files)} file(s) under {base / folder}")
        lines.extend(f"  {f.relative_to(base)}  ({f.stat().st_size / 1024:.0f} kB)" for f in files[:3])
        if len(files) > 3:
            lines.append(f"  … and {len(files) - 3} more")
    return lines


def main() -> None:
    print("\n".join(describe_outputs(output_dir())))
    print("Public release (safe to publish): exports/public/latest/")
    print("Steering report: reports/styringsinformasjon_<år>.html; profiles: profiles/index.html")
    print("County PDFs of the profiles (profiles/fylke/*.pdf): the yearly runs, or `make profile-pdfs`")
    print("Internal tier (data owners only, never publish): exports/internal/")
    print("Demo data are synthetic (data_origin = 'synthetic'): not official statistics.")


if __name__ == "__main__":
    main()
