"""The public release: the star schema for BI, JSON-stat per indicator, and DuckDB views.

Everything here reads only public tables (`indicator_values_public`, `goal_attainment`,
`goal_rollup`, `finding_verdicts`, `finding_tests`, `priority_trends`, `dim_geography`) and the
catalogue — never an internal table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.catalogue import Catalogue
from pipelines.exports import dimensions, origin
from pipelines.exports.dictionary import check_tables, datapackage, describe, lesmeg
from pipelines.exports.jsonstat import LANGUAGES, indicator_dataset
from pipelines.exports.keys import with_geo_key, with_is_headline
from pipelines.exports.parquet import (
    BRIDGE_INDICATOR_GOAL_SCHEMA,
    DIM_GEOGRAPHY_SCHEMA,
    DIM_GOAL_SCHEMA,
    DIM_INDICATOR_SCHEMA,
    DIM_INDICATOR_TARGET_GROUP_SCHEMA,
    DIM_TARGET_GROUP_SCHEMA,
    DIM_YEAR_SCHEMA,
    FINDING_TESTS_SCHEMA,
    FINDING_VERDICTS_SCHEMA,
    GOAL_ATTAINMENT_SCHEMA,
    GOAL_ROLLUP_SCHEMA,
    INDICATOR_VALUES_SCHEMA,
    PRIORITY_TRENDS_SCHEMA,
    cast_to_schema,
    to_arrow,
    with_metadata,
    write_parquet,
)
from pipelines.exports.release import LATEST, publish
from pipelines.formatting import data_origin_codes
from pipelines.privacy.build import PUBLIC_TABLE
from pipelines.privacy.cells import series_parts

PUBLIC_DIR = Path("exports") / "public"
LATEST_DIR = PUBLIC_DIR / LATEST
# The catalogue's credit for the release as a whole; published only through origin.source_text,
# which says whether the rows are real, synthetic or a mix.
SOURCE_CREDIT = "Statistisk sentralbyrå (SSB) m.fl.; se dim_indicator.source_nb"

VIEWS_SQL = """-- DuckDB views over this release. The file names below are relative to this folder: DuckDB
-- looks for them in the working directory and in the folders of its setting file_search_path.
-- In this folder:
--     duckdb -c ".read views.sql"        (or open it with: duckdb -init views.sql)
-- From any other folder, name this one first (relative to the working directory, or absolute):
--     duckdb -cmd "SET file_search_path = 'data/exports/public/latest'" \\
--            -c ".read data/exports/public/latest/views.sql"
--     Python: con.execute("SET file_search_path = '<folder>'")
--             con.execute(open('<folder>/views.sql').read())
-- The views find the files each time they are queried, so keep the setting while you query.
-- then e.g.  SELECT * FROM indicator_values_labelled WHERE geo_level = 'fylke' LIMIT 10;
-- Tallene: {source}
-- Figures: {source_en}
{views}
CREATE OR REPLACE VIEW indicator_values_labelled AS
SELECT v.*, i.name_nb AS indicator_name_nb, i.unit_nb, i.direction, g.name_nb AS target_group_name_nb,
       geo.county_code, geo.kostra_group, geo.centrality_class, geo.size_band
FROM indicator_values v
JOIN dim_indicator i USING (indicator_id)
JOIN dim_target_group g USING (target_group)
JOIN dim_geography geo USING (geo_key);
"""


def dim_year(catalogue: Catalogue) -> pd.DataFrame:
    periods = {s.id: range(s.first_year, s.last_year + 1) for s in catalogue.strategies.values()}
    return pd.DataFrame(
        {
            "year": catalogue.settings.years,
            "date": [dt.date(y, 1, 1) for y in catalogue.settings.years],
            "bolig_for_velferd": [y in periods.get("bfv", ()) for y in catalogue.settings.years],
            "alle_trenger_et_trygt_hjem": [y in periods.get("atth", ()) for y in catalogue.settings.years],
        }
    )


# Every public Parquet file and its schema, in the order the dictionary and README list them.
PUBLIC_SCHEMAS: dict[str, pa.Schema] = {
    "indicator_values": INDICATOR_VALUES_SCHEMA,
    "goal_attainment": GOAL_ATTAINMENT_SCHEMA,
    "goal_rollup": GOAL_ROLLUP_SCHEMA,
    "finding_verdicts": FINDING_VERDICTS_SCHEMA,
    "finding_tests": FINDING_TESTS_SCHEMA,
    "priority_trends": PRIORITY_TRENDS_SCHEMA,
    "dim_geography": DIM_GEOGRAPHY_SCHEMA,
    "dim_indicator": DIM_INDICATOR_SCHEMA,
    "dim_indicator_target_group": DIM_INDICATOR_TARGET_GROUP_SCHEMA,
    "dim_goal": DIM_GOAL_SCHEMA,
    "dim_target_group": DIM_TARGET_GROUP_SCHEMA,
    "bridge_indicator_goal": BRIDGE_INDICATOR_GOAL_SCHEMA,
    "dim_year": DIM_YEAR_SCHEMA,
}


def public_tables(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, pa.Table]:
    """Every public table of the star schema, cast to its explicit schema."""

    def table(query: str, schema: pa.Schema) -> pa.Table:
        return cast_to_schema(with_geo_key(con.sql(query).to_arrow_table()), schema)

    values = with_is_headline(con.sql(f'SELECT * FROM "{PUBLIC_TABLE}"').to_arrow_table(), catalogue)
    values = cast_to_schema(with_geo_key(values), INDICATOR_VALUES_SCHEMA)
    origins = {
        str(i): origin.origin_counts(rows)
        for i, rows in values.select(["indicator_id", "data_origin"])
        .to_pandas()
        .groupby("indicator_id")["data_origin"]
    }
    return {
        "indicator_values": values,
        "goal_attainment": table("SELECT * FROM goal_attainment", GOAL_ATTAINMENT_SCHEMA),
        "goal_rollup": table("SELECT * FROM goal_rollup", GOAL_ROLLUP_SCHEMA),
        "finding_verdicts": to_arrow(con.sql("SELECT * FROM finding_verdicts").df(), FINDING_VERDICTS_SCHEMA),
        "finding_tests": to_arrow(con.sql("SELECT * FROM finding_tests").df(), FINDING_TESTS_SCHEMA),
        "priority_trends": table("SELECT * FROM priority_trends", PRIORITY_TRENDS_SCHEMA),
        "dim_geography": table(
            "SELECT * FROM dim_geography ORDER BY geo_order, geo_code", DIM_GEOGRAPHY_SCHEMA
        ),
        "dim_indicator": to_arrow(dimensions.dim_indicator(catalogue, origins), DIM_INDICATOR_SCHEMA),
        "dim_indicator_target_group": to_arrow(series_parts(catalogue), DIM_INDICATOR_TARGET_GROUP_SCHEMA),
        "dim_goal": to_arrow(dimensions.dim_goal(catalogue), DIM_GOAL_SCHEMA),
        "dim_target_group": to_arrow(dimensions.dim_target_group(catalogue), DIM_TARGET_GROUP_SCHEMA),
        "bridge_indicator_goal": to_arrow(
            dimensions.bridge_indicator_goal(catalogue), BRIDGE_INDICATOR_GOAL_SCHEMA
        ),
        "dim_year": to_arrow(dim_year(catalogue), DIM_YEAR_SCHEMA),
    }


def release_credit(tables: dict[str, pa.Table], lang: str = "nb") -> str:
    """The release's source text, from the origins of every indicator row."""
    counts = origin.origin_counts(tables["indicator_values"].column("data_origin").to_pylist())
    return origin.source_text(SOURCE_CREDIT, counts, lang)


def source_metadata(name: str, table: pa.Table, tables: dict[str, pa.Table]) -> dict[str, str]:
    """``source``/``source_en`` keys for a file whose rows carry data (``dim_geography`` keeps its
    own, true credit to SSB's reference data); other dimension files name no source."""
    if name == "dim_indicator":
        return {"source": release_credit(tables), "source_en": release_credit(tables, "en")}
    if "data_origin" not in table.column_names:
        return {}
    counts = origin.origin_counts(table.column("data_origin").to_pylist())
    return {
        "source": origin.source_text(SOURCE_CREDIT, counts),
        "source_en": origin.source_text(SOURCE_CREDIT, counts, "en"),
    }


SPREADSHEETS_ENV = "BOLIG_SPREADSHEETS"


def spreadsheets_wanted() -> bool:
    """Whether a release gets the Excel workbook and CSV files (default yes). ``BOLIG_SPREADSHEETS=0``
    leaves them out of a quick development run: the workbook costs about 30 s per release."""
    value = os.environ.get(SPREADSHEETS_ENV, "1").strip().lower()
    if value not in {"0", "1", "false", "true", "no", "yes"}:
        raise ValueError(f"{SPREADSHEETS_ENV}={value!r}: expected 1 or 0")
    return value in {"1", "true", "yes"}


def write_public_files(
    folder: Path,
    tables: dict[str, pa.Table],
    catalogue: Catalogue,
    release: str,
    stamp: str,
    terms: dict[str, Any],
) -> None:
    """Parquet files, JSON-stat per indicator and language, views.sql, the data dictionary
    (datapackage.json, LESMEG.md), an Excel workbook and CSV files — everything a release holds.

    ``stamp`` is the build time (JSON-stat's ``updated``); ``terms`` the licence with a credit per
    source (:func:`licence`)."""
    check_tables(tables)  # an undescribed column is refused before anything is written
    for name, table in tables.items():
        metadata = {"release": release, **source_metadata(name, table, tables)}
        write_parquet(describe(name, with_metadata(table, **metadata)), folder / f"{name}.parquet")
    write_dictionary(folder, tables, release, terms)
    values = tables["indicator_values"].to_pandas()
    for lang in LANGUAGES:
        jsonstat = folder / "jsonstat" / lang
        jsonstat.mkdir(parents=True)
        for indicator_id, rows in values.groupby("indicator_id", sort=True):
            dataset = indicator_dataset(
                rows, catalogue.indicators[indicator_id], catalogue.target_groups, stamp, lang
            )
            (jsonstat / f"{indicator_id}.json").write_text(
                json.dumps(dataset, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
            )
    views = "\n".join(
        f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{name}.parquet');" for name in tables
    )
    (folder / "views.sql").write_text(
        VIEWS_SQL.format(views=views, source=release_credit(tables), source_en=release_credit(tables, "en")),
        encoding="utf-8",
    )
    if spreadsheets_wanted():
        # imported here: openpyxl brings Pillow, which no Dagster process should load for nothing
        from pipelines.exports.spreadsheet import write_spreadsheets

        write_spreadsheets(folder, tables, catalogue, release)  # the workbook and CSV files, for analysts


LICENCE = {
    "id": "CC-BY-4.0",
    "name_nb": "Creative Commons Navngivelse 4.0 Internasjonal (CC BY 4.0)",
    "name_en": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}


def source_origins(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, list[str]]:
    """Per source, the origin codes of the rows it loaded: as declared, or read from the raw table
    when the file carries a ``data_origin`` column (empty when the source was not loaded)."""
    origins: dict[str, list[str]] = {}
    for source in catalogue.sources.values():
        if source.data_origin != "column":
            origins[source.id] = [source.data_origin]
            continue
        table = f"raw_{source.id}"
        columns = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        }
        if "data_origin" not in columns:
            origins[source.id] = []
            continue
        values = con.execute(
            f'SELECT DISTINCT data_origin FROM "{table}" WHERE data_origin IS NOT NULL'
        ).fetchall()
        origins[source.id] = data_origin_codes([v for (v,) in values]) if values else []
    return origins


def licence(catalogue: Catalogue, origins: dict[str, list[str]]) -> dict[str, Any]:
    """CC BY 4.0 with a credit per source: «Kilde: <producer> – <source>» for real figures; for
    synthetic demo figures a credit that starts with the synthetic mark and says whose figures they
    stand in for (never credit invented figures to the producer). The one rule for every file that
    credits sources: release.json, datapackage.json and LESMEG.md."""
    credits = []
    for source in sorted(catalogue.sources.values(), key=lambda s: (s.producer_nb, s.name_nb)):
        found = origins.get(source.id, [])
        if "synthetic" in found:
            credit_nb = f"{origin.SYNTHETIC_NB} (viser formen til: {source.producer_nb} – {source.name_nb})"
            credit_en = f"{origin.SYNTHETIC_EN} (standing in for: {source.producer_nb} – {source.name_en})"
        else:
            credit_nb = f"Kilde: {source.producer_nb} – {source.name_nb}"
            credit_en = f"Source: {source.producer_nb} – {source.name_en}"
        credits.append(
            {
                "source": source.id,
                "url": source.url,
                "data_origin": found,
                "credit_nb": credit_nb,
                "credit_en": credit_en,
            }
        )
    return LICENCE | {"credits": credits}


def publish_public(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, base_dir: Path, release: str
) -> Path:
    """Publish one release atomically; returns its dated folder (``latest/`` holds the same files)."""
    tables = public_tables(con, catalogue)
    terms = licence(catalogue, source_origins(con, catalogue))
    return publish(
        base_dir / PUBLIC_DIR,
        release,
        lambda folder, stamp: write_public_files(folder, tables, catalogue, release, stamp, terms),
        licence=terms,
    )


def write_dictionary(folder: Path, tables: dict[str, pa.Table], release: str, terms: dict[str, Any]) -> None:
    """datapackage.json (Frictionless) and LESMEG.md, from assets/release_columns.yaml, with the
    licence's credits (:func:`licence`)."""
    counts = origin.origin_counts(tables["indicator_values"].column("data_origin").to_pylist())
    synthetic = origin.is_synthetic(counts)
    credits = [{"title": c["credit_nb"], "path": c["url"]} for c in terms["credits"]]
    origin_nb = (
        f"**{origin.SYNTHETIC_NB}.** Tallene i denne utgaven er laget av prosjektets demogenerator for å "
        "vise formen på utgivelsen. Kildene under viser hvor de ekte tallene publiseres."
        if synthetic
        else "Tallene kommer fra kildene under (se kolonnen `data_origin` for hver rad)."
    )
    title = "Boligsosiale indikatorer" + (f" – {origin.SYNTHETIC_NB}" if synthetic else "")
    package = datapackage(
        release,
        tables,
        credits,
        title_nb=title,
        description_nb=origin_nb.replace("**", ""),
    )
    (folder / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    text = lesmeg(
        release,
        {name: table.schema for name, table in tables.items()},
        origin_nb=origin_nb,
        credits_nb=[c["title"] + f" ({c['path']})" for c in credits],
    )
    (folder / "LESMEG.md").write_text(text, encoding="utf-8")
