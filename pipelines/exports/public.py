"""The public release: the star schema for BI, JSON-stat per indicator, and DuckDB views.

Everything here reads only public tables (`indicator_values_public`, `goal_attainment`,
`goal_rollup`, `dim_geography`) and the catalogue — never an internal table.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.catalogue import Catalogue
from pipelines.exports import dimensions
from pipelines.exports.jsonstat import indicator_dataset
from pipelines.exports.parquet import (
    BRIDGE_INDICATOR_GOAL_SCHEMA,
    DIM_GEOGRAPHY_SCHEMA,
    DIM_GOAL_SCHEMA,
    DIM_INDICATOR_SCHEMA,
    DIM_INDICATOR_TARGET_GROUP_SCHEMA,
    DIM_TARGET_GROUP_SCHEMA,
    DIM_YEAR_SCHEMA,
    GOAL_ATTAINMENT_SCHEMA,
    GOAL_ROLLUP_SCHEMA,
    INDICATOR_VALUES_SCHEMA,
    cast_to_schema,
    to_arrow,
    with_metadata,
    write_parquet,
)
from pipelines.exports.release import LATEST, publish
from pipelines.exports.spreadsheet import write_spreadsheets
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.privacy.cells import series_parts

PUBLIC_DIR = Path("exports") / "public"
LATEST_DIR = PUBLIC_DIR / LATEST
SOURCE_CREDIT = "Kilde: Statistisk sentralbyrå (SSB) m.fl.; se dim_indicator.source_nb"

VIEWS_SQL = """-- DuckDB views over this release. Run from this folder:
--     duckdb -c ".read views.sql"        (or open it with: duckdb -init views.sql)
-- then e.g.  SELECT * FROM indicator_values_labelled WHERE geo_level = 'fylke' LIMIT 10;
{views}
CREATE OR REPLACE VIEW indicator_values_labelled AS
SELECT v.*, i.name_nb AS indicator_name_nb, i.unit_nb, i.direction, g.name_nb AS target_group_name_nb,
       geo.county_code, geo.kostra_group, geo.centrality_class, geo.size_band
FROM indicator_values v
JOIN dim_indicator i USING (indicator_id)
JOIN dim_target_group g USING (target_group)
JOIN dim_geography geo USING (geo_level, geo_code);
"""


def dim_year(catalogue: Catalogue) -> pd.DataFrame:
    periods = {s.id: range(s.first_year, s.last_year + 1) for s in catalogue.strategies.values()}
    return pd.DataFrame(
        {
            "year": catalogue.settings.years,
            "bolig_for_velferd": [y in periods.get("bfv", ()) for y in catalogue.settings.years],
            "alle_trenger_et_trygt_hjem": [y in periods.get("atth", ()) for y in catalogue.settings.years],
        }
    )


def public_tables(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, pa.Table]:
    """Every public table of the star schema, cast to its explicit schema."""

    def table(query: str, schema: pa.Schema) -> pa.Table:
        return cast_to_schema(con.sql(query).to_arrow_table(), schema)

    return {
        "indicator_values": table(f'SELECT * FROM "{PUBLIC_TABLE}"', INDICATOR_VALUES_SCHEMA),
        "goal_attainment": table("SELECT * FROM goal_attainment", GOAL_ATTAINMENT_SCHEMA),
        "goal_rollup": table("SELECT * FROM goal_rollup", GOAL_ROLLUP_SCHEMA),
        "dim_geography": table(
            "SELECT * FROM dim_geography ORDER BY geo_order, geo_code", DIM_GEOGRAPHY_SCHEMA
        ),
        "dim_indicator": to_arrow(dimensions.dim_indicator(catalogue), DIM_INDICATOR_SCHEMA),
        "dim_indicator_target_group": to_arrow(series_parts(catalogue), DIM_INDICATOR_TARGET_GROUP_SCHEMA),
        "dim_goal": to_arrow(dimensions.dim_goal(catalogue), DIM_GOAL_SCHEMA),
        "dim_target_group": to_arrow(dimensions.dim_target_group(catalogue), DIM_TARGET_GROUP_SCHEMA),
        "bridge_indicator_goal": to_arrow(
            dimensions.bridge_indicator_goal(catalogue), BRIDGE_INDICATOR_GOAL_SCHEMA
        ),
        "dim_year": to_arrow(dim_year(catalogue), DIM_YEAR_SCHEMA),
    }


def write_public_files(folder: Path, tables: dict[str, pa.Table], catalogue: Catalogue, release: str) -> None:
    """Parquet files, JSON-stat per indicator, views.sql, an Excel workbook and CSV files — everything a
    release holds."""
    for name, table in tables.items():
        write_parquet(with_metadata(table, release=release), folder / f"{name}.parquet")
    values = tables["indicator_values"].to_pandas()
    jsonstat = folder / "jsonstat"
    jsonstat.mkdir()
    for indicator_id, rows in values.groupby("indicator_id", sort=True):
        dataset = indicator_dataset(rows, catalogue.indicators[indicator_id], release, SOURCE_CREDIT)
        (jsonstat / f"{indicator_id}.json").write_text(
            json.dumps(dataset, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
    views = "\n".join(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{name}.parquet');" for name in tables
    )
    (folder / "views.sql").write_text(VIEWS_SQL.format(views=views), encoding="utf-8")
    write_spreadsheets(folder, tables, catalogue, release)  # the workbook and CSV files, for analysts


def publish_public(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> Path:
    """Publish one release atomically; returns its build folder (``latest`` points at it)."""
    tables = public_tables(con, catalogue)
    return publish(
        base_dir / PUBLIC_DIR, release, lambda folder: write_public_files(folder, tables, catalogue, release)
    )
