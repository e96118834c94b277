"""Every indicator's map from the published public release (what the asset calls).

Reads only the release's ``indicator_values_public`` view (:func:`pipelines.exports.reader.open_release`):
what may be shown is decided once, by the privacy step, and a map shows exactly that.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.atomic import write_bytes_atomic
from pipelines.catalogue import Catalogue
from pipelines.maps import geometry
from pipelines.maps.data import COUNTY, LEVELS, MAP_COLUMNS, MUNICIPALITY, alt_text_nb, county_table, map_data
from pipelines.maps.files import MAPS_DIR, MapEntry, map_path, write_index
from pipelines.privacy.build import PUBLIC_TABLE


def release_map_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The municipal and county rows of the published indicator table, the columns a map reads."""
    present = {row[0] for row in con.execute(f'DESCRIBE "{PUBLIC_TABLE}"').fetchall()}
    columns = ", ".join(f'"{c}"' for c in MAP_COLUMNS if c in present)
    levels = ", ".join(f"'{level}'" for level in LEVELS)
    return con.execute(f'SELECT {columns} FROM "{PUBLIC_TABLE}" WHERE geo_level IN ({levels})').df()


def geometry_names() -> dict[str, list[tuple[str, str]]]:
    return {
        MUNICIPALITY: [(r.code, r.name) for r in geometry.municipalities()],
        COUNTY: [(r.code, r.name) for r in geometry.counties()],
    }


def draw_maps(
    values: pd.DataFrame,
    catalogue: Catalogue,
    base_dir: Path,
    release: str,
    *,
    indicators: list[str] | None = None,
    dpi: int | None = None,
) -> tuple[list[MapEntry], list[str]]:
    """Draw the map of every indicator (or of ``indicators``) from the release's ``values`` and
    write the index; returns (maps, indicators without a map). A map that no longer applies is
    removed, so the folder never shows one from an earlier release."""
    from pipelines.maps.draw import DPI, MapCanvas

    names = geometry_names()
    canvas = MapCanvas(dpi=dpi or DPI)
    entries, without = [], []
    for indicator_id in sorted(indicators or catalogue.indicators):
        data = map_data(values, catalogue, indicator_id, names)
        path = map_path(base_dir, indicator_id)
        if data is None:
            path.unlink(missing_ok=True)
            without.append(indicator_id)
            continue
        canvas.paint(data, release)
        write_bytes_atomic(path, canvas.png())
        entries.append(
            MapEntry(
                indicator_id=indicator_id,
                name_nb=data.name_nb,
                file=path.name,
                year=data.year,
                target_group=data.target_group,
                target_group_nb=data.target_group_nb,
                unit=data.unit,
                levels=data.levels,
                synthetic=data.synthetic,
                alt_nb=alt_text_nb(data),
                counties=tuple(county_table(data)),
            )
        )
    write_index(base_dir, entries, release, without)
    return entries, without


def build_maps(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> tuple[list[MapEntry], list[str]]:
    """Every map from an open release connection (see module)."""
    (Path(base_dir) / MAPS_DIR).mkdir(parents=True, exist_ok=True)
    return draw_maps(release_map_values(con), catalogue, base_dir, release)
