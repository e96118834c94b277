"""A full materialisation on the bundled data, and what its outputs must look like."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.direct import run_all
from pipelines.exports.parquet import BI_SAFE_TYPES

EXPORT = Path("exports/public/latest/indicator_values.parquet")
INTERNAL = Path("exports/internal/indicator_values.parquet")


def test_definitions_load_with_every_stage() -> None:
    from pipelines.definitions import defs

    repository = defs.get_repository_def()
    groups = {node.group_name for node in repository.asset_graph.asset_nodes}
    assert {"sources", "staging", "indicators", "privacy", "progress", "exports", "publication"} <= groups
    # every asset explains itself to analysts in the UI
    for node in repository.asset_graph.asset_nodes:
        assert node.description and len(node.description) > 80, node.key


def test_full_run_writes_warehouse_export_and_charts(pipeline_run: Path) -> None:
    assert (pipeline_run / "warehouse.duckdb").exists()
    assert (pipeline_run / EXPORT).exists()
    charts = {c.stem for c in (pipeline_run / "charts").glob("*.png")}
    indicators = set(load_catalogue().indicators)
    assert indicators <= charts  # every indicator has its national trend chart …
    kinds = ("_fylker", "_malgrupper", "_kostragrupper")
    extra = charts - indicators  # … and every other file is one of the other kinds of one indicator
    assert all(any(c.endswith(k) and c.removesuffix(k) in indicators for k in kinds) for c in extra), extra
    assert sum(c.endswith("_fylker") for c in extra) == len(indicators)
    profiles = pipeline_run / "profiles"
    assert len(list((profiles / "kommune").glob("*.png"))) == 357
    assert len(list((profiles / "kommune").glob("*.html"))) == 357
    assert len(list((profiles / "fylke").glob("*.html"))) == 15 and (profiles / "index.html").exists()
    # the county PDFs are a yearly-only asset, which the suite's runs leave out as `make run` does
    assert not list((profiles / "fylke").glob("*.pdf"))
    assert len(list((pipeline_run / "reports").glob("styringsinformasjon_*.html"))) == 1


@pytest.fixture(scope="module")
def values(pipeline_run: Path) -> pd.DataFrame:
    """The internal (unsuppressed) tier: the arithmetic is checked on every cell."""
    return pd.read_parquet(pipeline_run / INTERNAL)


@pytest.fixture(scope="module")
def public_values(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / EXPORT)


def test_rectangular_grid(values: pd.DataFrame, pipeline_run: Path) -> None:
    cat = load_catalogue()
    geographies = pd.read_parquet(pipeline_run / "exports/public/latest/dim_geography.parquet")
    cells = sum(len(i.target_groups) for i in cat.indicators.values()) * len(cat.settings.years)
    assert len(values) == cells * len(geographies)
    assert not values.duplicated(["indicator_id", "geo_level", "geo_code", "year", "target_group"]).any()
    assert values.groupby("geo_level")["geo_code"].nunique().to_dict() == {
        "kommune": 357,
        "fylke": 15,
        "statsforvalter": 10,
        "land": 1,
        "kostragruppe": 17,
        "sentralitet": 6,
        "storrelsesgruppe": 4,
    }
    # every geography of the dimension table has its rows, and nothing else does
    assert set(zip(values.geo_level, values.geo_code, strict=True)) == set(
        zip(geographies.geo_level, geographies.geo_code, strict=True)
    )


@pytest.fixture(scope="module")
def municipal_based(values: pd.DataFrame, pipeline_run: Path) -> pd.DataFrame:
    """Rows of the indicators whose values rest on municipalities (not county or national sources)."""
    indicators = pd.read_parquet(pipeline_run / "exports/public/latest/dim_indicator.parquet")
    municipal = indicators.loc[indicators.unit_level == "kommune", "indicator_id"]
    return values[values.indicator_id.isin(municipal)]


def test_land_equals_sum_of_numerators_over_sum_of_denominators(municipal_based: pd.DataFrame) -> None:
    cat = load_catalogue()
    key = ["indicator_id", "target_group", "year"]
    kommune = municipal_based[municipal_based.geo_level == "kommune"]
    sums = kommune.groupby(key)[["numerator", "denominator"]].sum(min_count=1)
    land = municipal_based[municipal_based.geo_level == "land"].set_index(key)
    joined = land.join(sums.add_suffix("_sum"))
    joined = joined[joined.status == "shown"]
    factor = joined.index.get_level_values("indicator_id").map(lambda i: cat.indicators[i].factor)
    ratio = joined["numerator_sum"] / joined["denominator_sum"] * factor
    expected = ratio.where(joined["denominator"].notna(), joined["numerator_sum"])  # counts: the sum itself
    pd.testing.assert_series_equal(joined["numerator"], joined["numerator_sum"], check_names=False)
    pd.testing.assert_series_equal(joined["value"], expected, check_names=False, rtol=1e-12)
    # and a rate is not the mean of municipal rates
    rates = joined[joined["denominator"].notna()]
    means = kommune.groupby(key)["value"].mean().reindex(rates.index)
    assert not (rates["value"] - means).abs().lt(1e-9).all()


@pytest.mark.parametrize(
    "level", ["statsforvalter", "fylke", "kostragruppe", "sentralitet", "storrelsesgruppe"]
)
def test_each_partition_of_municipalities_sums_to_the_nation(
    municipal_based: pd.DataFrame, level: str
) -> None:
    key = ["indicator_id", "target_group", "year"]
    columns = ["numerator", "denominator"]
    parts = municipal_based[municipal_based.geo_level == level].groupby(key)[columns].sum(min_count=1)
    land = municipal_based[municipal_based.geo_level == "land"].set_index(key)[columns]
    pd.testing.assert_frame_equal(parts.sort_index(), land.sort_index())


def test_county_sources_exist_at_county_and_national_level_only(values: pd.DataFrame) -> None:
    """A county-reported source has values for the counties and what they add up to (the
    statsforvalter regions, the nation), and none below."""
    evictions = values[values.indicator_id == "utkastelser_per_1000_leie"]
    for level in ("fylke", "statsforvalter", "land"):
        assert (evictions.loc[evictions.geo_level == level, "status"] == "shown").all(), level
    below = evictions[~evictions.geo_level.isin(["fylke", "statsforvalter", "land"])]
    assert (below.status == "not_applicable").all() and below.value.isna().all()
    county = evictions[evictions.geo_level == "fylke"].groupby("year")[["numerator", "denominator"]].sum()
    nation = evictions[evictions.geo_level == "land"].set_index("year")[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(
        county.sort_index(), nation.sort_index(), check_names=False, check_index_type=False
    )


def test_survey_indicators_exist_only_in_survey_years_and_nationally(values: pd.DataFrame) -> None:
    homeless = values[values.indicator_id == "bostedslose_per_1000"]
    shown = homeless[homeless.status == "shown"]
    assert set(shown.geo_level) == {"land"} and sorted(shown.year) == [2016, 2020, 2024]
    others = homeless[homeless.status != "shown"]
    assert (others.status == "not_applicable").all() and others.value.isna().all()


def test_population_harmonised_by_the_pipeline_equals_ssb_2024_borders(pipeline_run: Path) -> None:
    """The pipeline reads population by each year's codes and harmonises it itself; the result
    must equal the independently compiled 2024-border series (KOSTRA: inhabitants at 31.12 of
    year Y = population on 1 January Y+1)."""
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        staged = con.execute(
            "SELECT geo_code AS code, year + 1 AS year, value, is_estimate FROM stg_measure_values "
            "WHERE measure_id = 'inhabitants_end_of_year'"
        ).df()
    reference = pd.read_csv("data/reference/population_municipality_2024borders.csv", dtype={"code": str})
    joined = staged.merge(reference, on=["code", "year"], validate="one_to_one")
    assert len(joined) == len(staged) == 357 * 11
    difference = (joined["value"] - joined["population"]).abs()
    exact = ~joined["is_estimate_y"]
    assert difference[exact].max() == 0
    # apportioned splits: the reference rounds its weights to six decimals
    assert difference[~exact].max() < 2
    assert (joined["is_estimate_x"] == joined["is_estimate_y"]).all()
    assert joined.loc[joined.code == "0301", "value"].gt(600_000).all()


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
    # single-column keys for Power BI's one-column relationships
    assert types["geo_key"] == pa.string() and types["is_headline"] == pa.bool_()
    assert not any(pa.types.is_dictionary(t) or pa.types.is_unsigned_integer(t) for t in types.values())


def test_export_is_readable_by_duckdb_pyarrow_and_pandas(
    pipeline_run: Path, public_values: pd.DataFrame
) -> None:
    values = public_values
    path = pipeline_run / EXPORT
    by_duckdb = duckdb.sql(f"SELECT count(*), count(value) FROM read_parquet('{path}')").fetchall()[0]
    by_arrow = pq.read_table(path)
    assert by_duckdb[0] == by_arrow.num_rows == len(values)
    assert by_duckdb[1] == values["value"].notna().sum()
    # missing values are nulls, never text or zero
    not_shown = values[values.status != "shown"]
    assert not_shown["value"].isna().all()
    # every value rests on known data: its origin is named (cells without data have none)
    assert values["data_origin"].dropna().isin(["synthetic", "ssb", "file"]).all()
    assert values.loc[values.status == "shown", "data_origin"].notna().all()
    assert (values.loc[values.status == "shown", "data_origin"] == "synthetic").all()


def test_cli_style_job_resolves_every_asset() -> None:
    from pipelines.definitions import defs

    job = defs.resolve_implicit_global_asset_job_def()
    assert isinstance(job, dg.JobDefinition)
    assert len(job.asset_layer.executable_asset_keys) >= 6


@pytest.mark.slow  # runs the whole pipeline again
def test_another_vintage_of_borders_is_a_setting(tmp_path: Path, values: pd.DataFrame) -> None:
    """With geography_vintage 2020 the same data come out in the 356 municipalities of 2020, and
    the national figures do not change. County-level sources are left out: they are reported in
    2024 counties, and counties are not harmonised across reforms (the pipeline says so)."""
    cat = load_catalogue()
    county_sources = {s.id for s in cat.sources.values() if s.geo_level == "fylke"}
    measures = {m: v for m, v in cat.measures.items() if v.source not in county_sources}
    indicators = {
        i: v
        for i, v in cat.indicators.items()
        if all(m in measures for m in v.parts(v.target_groups[0]) if m)
    }
    variant = dataclasses.replace(
        cat,
        settings=cat.settings.model_copy(update={"geography_vintage": 2020}),
        sources={k: v for k, v in cat.sources.items() if k not in county_sources},
        measures=measures,
        indicators=indicators,
        targets=[t for t in cat.targets if t.indicator in indicators],
        relations=[r for r in cat.relations if {r.whole, *r.parts} <= measures.keys()],
    )
    run_all(tmp_path, variant, charts=False)
    in_2020 = pd.read_parquet(tmp_path / INTERNAL)
    assert in_2020.loc[in_2020.geo_level == "kommune", "geo_code"].nunique() == 356
    assert in_2020.loc[in_2020.geo_level == "fylke", "geo_code"].nunique() == 11
    assert {"3024", "1507"} <= set(in_2020.geo_code) and "3201" not in set(in_2020.geo_code)
    key = ["indicator_id", "target_group", "year"]
    land_2020 = in_2020[in_2020.geo_level == "land"].set_index(key)[["numerator", "denominator"]].sort_index()
    land_2024 = values[values.geo_level == "land"].set_index(key)[["numerator", "denominator"]].sort_index()
    pd.testing.assert_frame_equal(land_2020, land_2024.loc[land_2020.index])


def test_every_published_value_knows_its_source_vintage_and_origin(public_values: pd.DataFrame) -> None:
    shown = public_values[public_values.status == "shown"]
    assert shown[["source", "vintage", "data_origin"]].notna().all().all()
    assert not shown.stale.any()
    dwellings = shown[(shown.indicator_id == "KOSboligSper10000000") & (shown.geo_level == "land")].iloc[0]
    files = ["file:data/demo/kostra_form13.csv", "file:data/reference/population_municipality.csv"]
    assert dwellings.source == " + ".join(files)
    assert dwellings.vintage.count("sha256:") == 2


def test_every_output_table_says_where_its_data_come_from(pipeline_run: Path) -> None:
    """Demo data are synthetic, and every table built on them says so in a data_origin column."""
    latest = pipeline_run / "exports/public/latest"
    for name in ("indicator_values", "goal_attainment", "goal_rollup"):
        frame = pd.read_parquet(latest / f"{name}.parquet")
        assert "data_origin" in frame.columns, name
        assert frame["data_origin"].dropna().eq("synthetic").all(), name
    internal = pd.read_parquet(pipeline_run / "exports/internal/indicator_values.parquet")
    assert internal.loc[internal.status == "shown", "data_origin"].eq("synthetic").all()


def test_loading_the_definitions_does_not_import_the_drawing_libraries() -> None:
    """Every Dagster process (webserver, daemon, each run) loads the definitions; matplotlib and
    Pillow cost ~0.5 s there and only the chart, profile and report steps need them (Jinja2 and
    pypdf only the profile steps)."""
    import subprocess
    import sys

    heavy = "{'matplotlib', 'PIL', 'jinja2', 'pypdf'}"
    code = f"import sys, pipelines.definitions; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
