"""The statsforvalter regions in every output of the shared pipeline run: each region's value is
recomputed here from its municipalities' (or counties') published numerators and denominators,
never from averaged rates; the level is in the release's tables, CSV, JSON-stat, goal tables,
internal exports and the suppression audit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.geography.levels import LEVELS

LATEST = Path("exports/public/latest")
INTERNAL = Path("exports/internal")
OSLO_REGION = {"SF01": ["03", "31", "32", "33"]}
KEY = ["indicator_id", "target_group", "year"]


@pytest.fixture(scope="module")
def values(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / LATEST / "indicator_values.parquet")


@pytest.fixture(scope="module")
def internal(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / INTERNAL / "indicator_values.parquet")


@pytest.fixture(scope="module")
def geography(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / LATEST / "dim_geography.parquet")


def _recompute(frame: pd.DataFrame, members: pd.Series, level: str) -> pd.DataFrame:
    """Σ numerator / Σ denominator × factor of the rows at ``level`` whose code maps to a region in
    ``members``, where every member has both parts (as the pipeline counts a unit)."""
    rows = frame[(frame.geo_level == level) & frame.geo_code.isin(members.index)].assign(
        region=lambda f: f.geo_code.map(members)
    )
    complete = rows.numerator.notna() & (rows.denominator.notna() | rows.denominator_expected.eq(False))
    rows = rows[complete]
    summed = rows.groupby([*KEY, "region"]).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"), units=("geo_code", "count")
    )
    return summed.reset_index()


def test_the_region_level_follows_the_nation_in_every_table(values, geography) -> None:
    assert LEVELS.index("statsforvalter") == LEVELS.index("land") + 1
    order = geography.drop_duplicates("geo_level").set_index("geo_level")["geo_order"]
    assert order["land"] < order["statsforvalter"] < order["fylke"]
    regions = geography[geography.geo_level == "statsforvalter"].set_index("geo_code")
    assert list(regions.index) == [f"SF{i:02d}" for i in range(1, 11)]
    assert regions.loc["SF01", "member_counties"] == "03 Oslo, 31 Østfold, 32 Akershus, 33 Buskerud"
    assert regions.loc["SF01", "geo_key"] == "statsforvalter:SF01"
    counties = geography[geography.geo_level == "fylke"]
    assert counties.statsforvalter_code.notna().all() and counties.statsforvalter_name.notna().all()
    published = values[values.geo_level == "statsforvalter"]
    assert set(published.geo_code) == set(regions.index)
    assert (published.geo_name == published.geo_code.map(regions.geo_name)).all()
    # as many rows per region as per county: every indicator, target group and year
    assert len(published) / 10 == len(values[values.geo_level == "fylke"]) / 15


@pytest.mark.parametrize("tier", ["public", "internal"])
def test_sf01_is_the_sum_of_its_municipalities_not_an_average_of_rates(
    tier, values, internal, geography, catalogue
) -> None:
    """SF01 (Oslo, Østfold, Akershus, Buskerud) from its municipalities' own numerators and
    denominators as published (where every one of them is printed), and in the internal tier
    (before suppression), for every municipal indicator."""
    rows = values if tier == "public" else internal
    municipalities = geography[geography.geo_level == "kommune"]
    members = municipalities.set_index("geo_code")["statsforvalter_code"]
    assert set(municipalities.loc[members.eq("SF01").to_numpy(), "county_code"]) == set(OSLO_REGION["SF01"])
    factors = {i.id: i.factor for i in catalogue.indicators.values()}
    parts = {(i.id, g): i.parts(g) for i in catalogue.indicators.values() for g in i.target_groups}
    frame = rows.assign(
        denominator_expected=[
            parts[(i, g)][1] is not None for i, g in zip(rows.indicator_id, rows.target_group, strict=True)
        ]
    )
    municipal = frame[frame.unit_level == "kommune"]
    expected = _recompute(municipal, members[members == "SF01"], "kommune")
    region = municipal[(municipal.geo_level == "statsforvalter") & (municipal.geo_code == "SF01")]
    merged = region.merge(expected, on=KEY, suffixes=("", "_sum"))
    merged = merged[merged.units_reported == merged.units_total]  # every municipality reported
    if tier == "public":
        # where a municipality's part is hidden the sum cannot be redone from the release
        merged = merged[merged.units == merged.units_reported]
    assert (merged.units == merged.units_reported).all()
    assert len(merged) > 50
    assert np.allclose(merged.numerator, merged.numerator_sum)
    rates = merged[merged.denominator_expected & (merged.denominator_sum > 0)]
    recomputed = rates.numerator_sum / rates.denominator_sum * rates.indicator_id.map(factors)
    assert np.allclose(rates.value, recomputed, rtol=1e-9)
    # an average of the municipalities' rates would differ: the check can tell them apart
    means = municipal[
        (municipal.geo_level == "kommune") & municipal.geo_code.isin(members[members == "SF01"].index)
    ]
    mean = means.groupby(KEY)["value"].mean().rename("mean")
    compared = rates.merge(mean, left_on=KEY, right_index=True)
    assert (abs(compared.value - compared["mean"]) > 1e-6).mean() > 0.5


def test_a_region_of_county_measures_is_the_sum_of_its_counties(values, geography) -> None:
    """Evictions are reported per county: each region's published numerator and denominator
    are the sums of its counties', and its rate their ratio."""
    counties = geography[geography.geo_level == "fylke"].set_index("geo_code")["statsforvalter_code"]
    evictions = values[values.indicator_id == "utkastelser_per_1000_leie"].assign(denominator_expected=True)
    expected = _recompute(evictions, counties, "fylke")
    regions = evictions[evictions.geo_level == "statsforvalter"].merge(
        expected, left_on=[*KEY, "geo_code"], right_on=[*KEY, "region"], suffixes=("", "_sum")
    )
    regions = regions[regions.status == "shown"]
    assert set(regions.geo_code) == {f"SF{i:02d}" for i in range(1, 11)} and len(regions) > 50
    assert (regions.unit_level == "fylke").all()
    assert (regions.units_reported == regions.geo_code.map(counties.value_counts())).all()
    assert np.allclose(regions.numerator, regions.numerator_sum)
    assert np.allclose(regions.denominator, regions.denominator_sum)
    assert np.allclose(regions.value, regions.numerator_sum / regions.denominator_sum * 1000)


def test_the_region_is_in_csv_jsonstat_goal_tables_and_the_audit(pipeline_run: Path, values) -> None:
    release = pipeline_run / LATEST
    # the CSV files are for Norwegian Excel: «;» between fields, a byte-order mark first
    csv = pd.read_csv(release / "indicator_values.csv", sep=";", encoding="utf-8-sig", usecols=["geo_level"])
    assert (csv.geo_level == "statsforvalter").sum() == (values.geo_level == "statsforvalter").sum()
    jsonstat = json.loads(next((release / "jsonstat" / "nb").glob("*.json")).read_text(encoding="utf-8"))
    region = jsonstat["dimension"]["Region"]
    assert {"SF01", "SF10"} <= set(region["category"]["index"])
    assert region["extension"]["level"]["SF01"] == "statsforvalter"
    for table in ("goal_attainment", "goal_rollup"):
        frame = pd.read_parquet(release / f"{table}.parquet")
        assert "statsforvalter" in set(frame.geo_level), table
    audit = pd.read_parquet(pipeline_run / INTERNAL / "suppression_audit.parquet")
    assert "statsforvalter" in set(audit.geo_level)
    assert audit[audit.geo_level == "statsforvalter"].protected.all()
    datapackage = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    enums = [
        field["constraints"]["enum"]
        for resource in datapackage["resources"]
        for field in resource["schema"]["fields"]
        if field["name"] == "geo_level" and "constraints" in field
    ]
    assert enums and all("statsforvalter" in enum for enum in enums)
