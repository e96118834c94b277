"""Where the maps are written and their index, read without matplotlib (report, handbook, UI).

``maps/<indikator>.png`` — one figure per indicator (municipalities and counties) — and
``maps/index.json`` / ``maps/index.csv``: per map its year, target group, text alternative and
the county values behind it, so a page that embeds a map can give its alt text and data table.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines.atomic import write_text_atomic

MAPS_DIR = Path("maps")
INDEX_JSON = "index.json"
INDEX_CSV = "index.csv"
CSV_COLUMNS = ("indicator_id", "file", "year", "target_group", "levels", "synthetic", "alt_text")


@dataclass(frozen=True)
class MapEntry:
    """One map as the index records it."""

    indicator_id: str
    name_nb: str
    file: str  # name within maps/
    year: int
    target_group: str
    target_group_nb: str
    unit: str
    levels: tuple[str, ...]  # the levels with values: kommune, fylke
    synthetic: bool
    alt_nb: str
    # The county values as printed: code, name, value («12,3», or «:», «..», «.»), status.
    counties: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def path(self, base_dir: Path) -> Path:
        return Path(base_dir) / MAPS_DIR / self.file


def map_path(base_dir: Path, indicator_id: str) -> Path:
    return Path(base_dir) / MAPS_DIR / f"{indicator_id}.png"


def write_index(
    base_dir: Path, entries: Iterable[MapEntry], release: str, without_map: Iterable[str]
) -> Path:
    """Write ``maps/index.json`` (everything) and ``maps/index.csv`` (one line per map)."""
    entries = list(entries)
    folder = Path(base_dir) / MAPS_DIR
    document = {
        "release": release,
        "maps": [asdict(e) for e in entries],
        # indicators published for the nation only (or with no value at all) have no map
        "without_map": sorted(without_map),
    }
    path = write_text_atomic(folder / INDEX_JSON, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        levels = "+".join(e.levels)
        writer.writerow([e.indicator_id, e.file, e.year, e.target_group, levels, e.synthetic, e.alt_nb])
    write_text_atomic(folder / INDEX_CSV, buffer.getvalue())
    return path


def read_index(base_dir: Path) -> list[MapEntry]:
    """The maps of the last map run under ``base_dir``; empty when none was drawn."""
    path = Path(base_dir) / MAPS_DIR / INDEX_JSON
    if not path.is_file():
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        MapEntry(**{**e, "levels": tuple(e["levels"]), "counties": tuple(e["counties"])})
        for e in document["maps"]
    ]
