"""A full materialisation on the bundled data, and what its outputs must look like."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.exports.parquet import BI_SAFE_TYPES

EXPORT = Path("exports/public/indicator_values.parquet")


def test_definitions_load_with_every_stage() -> None:
    from pipelines.definitions import defs

    repository = defs.get_repository_def()
    groups = {node.group_name for node in repository.asset_graph.asset_nodes}
    assert {"sources", "staging", "indicators", "exports", "charts"} <= groups
    # every asset explains itself to analysts in the UI
    for node in repository.asset_graph.asset_nodes:
        assert node.description and len(node.description) > 80, node.key


def test_full_run_writes_warehouse_export_and_charts(pipeline_run: Path) -> None:
    assert (pipeline_run / "warehouse.duckdb").exists()
    assert (pipeline_run / EXPORT).exists()
    charts = sorted((pipeline_run / "charts").glob("*.png"))
    assert {c.stem for c in charts} == set(load_catalogue().indicators)


@pytest.fixture(scope="module")
def values(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / EXPORT)


def test_rectangular_grid(values: pd.DataFrame) -> None:
    cat = load_catalogue()
    expected = (
        sum(len(i.target_groups) for i in cat.indicators.values()) * (357 + 15 + 1) * len(cat.settings.years)
    )
    assert len(values) == expected
    assert not values.duplicated(["indicator_id", "geo_level", "geo_code", "year", "target_group"]).any()
    assert values.groupby("geo_level")["geo_code"].nunique().to_dict() == {
        "kommune": 357,
        "fylke": 15,
        "land": 1,
    }


def test_land_equals_sum_of_numerators_over_sum_of_denominators(values: pd.DataFrame) -> None:
    cat = load_catalogue()
    kommune = values[values.geo_level == "kommune"]
    sums = kommune.groupby(["indicator_id", "year"])[["numerator", "denominator"]].sum()
    land = values[values.geo_level == "land"].set_index(["indicator_id", "year"])
    joined = land.join(sums, rsuffix="_sum")
    factor = joined.index.get_level_values("indicator_id").map(lambda i: cat.indicators[i].factor)
    expected = joined["numerator_sum"] / joined["denominator_sum"] * factor
    assert (joined["numerator"] == joined["numerator_sum"]).all()
    assert (joined["denominator"] == joined["denominator_sum"]).all()
    pd.testing.assert_series_equal(joined["value"], expected, check_names=False, rtol=1e-12)
    # and it is not the mean of municipal rates
    means = kommune.groupby(["indicator_id", "year"])["value"].mean()
    assert not (joined["value"] - means.reindex(joined.index)).abs().lt(1e-9).all()


def test_county_sums_equal_nation(values: pd.DataFrame) -> None:
    fylke = (
        values[values.geo_level == "fylke"]
        .groupby(["indicator_id", "year"])[["numerator", "denominator"]]
        .sum()
    )
    land = values[values.geo_level == "land"].set_index(["indicator_id", "year"])[
        ["numerator", "denominator"]
    ]
    pd.testing.assert_frame_equal(fylke.sort_index(), land.sort_index())


def test_kostra_denominator_is_population_on_1_january_next_year(pipeline_run: Path) -> None:
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        staged = con.execute(
            "SELECT value FROM stg_measure_values WHERE measure_id = 'inhabitants_end_of_year' "
            "AND kommunenr = '0301' AND year = 2023"
        ).fetchall()
    population = pd.read_csv("data/reference/population_municipality_2024borders.csv", dtype={"code": str})
    oslo_2024 = population[(population.code == "0301") & (population.year == 2024)].population.item()
    assert staged == [(oslo_2024,)]


def test_export_schema_is_power_bi_safe(pipeline_run: Path) -> None:
    schema = pq.read_schema(pipeline_run / EXPORT)
    types = {field.name: field.type for field in schema}
    assert set(types.values()) <= BI_SAFE_TYPES
    assert types["year"] == pa.int32()
    for column in ("numerator", "denominator", "value"):
        assert types[column] == pa.float64()
    assert {"indicator_id", "geo_level", "geo_code", "year", "target_group", "unit", "data_origin"} <= set(
        types
    )
    assert not any(pa.types.is_dictionary(t) or pa.types.is_unsigned_integer(t) for t in types.values())


def test_export_is_readable_by_duckdb_pyarrow_and_pandas(pipeline_run: Path, values: pd.DataFrame) -> None:
    path = pipeline_run / EXPORT
    by_duckdb = duckdb.sql(f"SELECT count(*), count(value) FROM read_parquet('{path}')").fetchall()[0]
    by_arrow = pq.read_table(path)
    assert by_duckdb[0] == by_arrow.num_rows == len(values)
    assert by_duckdb[1] == values["value"].notna().sum()
    # missing values are nulls, never text or zero
    not_shown = values[values.status != "shown"]
    assert not_shown["value"].isna().all()
    assert values["data_origin"].isin(["synthetic", "ssb", "file"]).all()
    assert (values.loc[values.status == "shown", "data_origin"] == "synthetic").all()


def test_cli_style_job_resolves_every_asset() -> None:
    from pipelines.definitions import defs

    job = defs.resolve_implicit_global_asset_job_def()
    assert isinstance(job, dg.JobDefinition)
    assert len(job.asset_layer.executable_asset_keys) >= 6
