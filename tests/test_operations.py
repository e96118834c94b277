"""Operations: one year recomputed, transactions, schedules, preliminary figures, data-quality checks."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.checks import rules
from pipelines.resources import build_resources
from pipelines.warehouse import replace_rows

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture()
def run_copy(pipeline_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(pipeline_run, copy, symlinks=True)
    return copy


def _stg(base: Path) -> pd.DataFrame:
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM stg_measure_values ORDER BY measure_id, geo_code, year").df()


def _materialize_year(base: Path, year: int, figures: str = "final") -> dg.ExecuteInProcessResult:
    from pipelines.definitions import all_assets
    from pipelines.schedules import year_run_config

    return dg.materialize(
        all_assets,
        resources=build_resources(base, release="2030-01-01"),
        run_config=year_run_config(year, figures),
        selection="not group:publication",  # the drawing steps read the release only
    )


@pytest.mark.slow  # runs the whole pipeline again
def test_a_year_replaces_exactly_its_own_rows_and_reruns_identically(run_copy: Path) -> None:
    before = _stg(run_copy)
    with duckdb.connect(str(run_copy / "warehouse.duckdb")) as con:
        con.execute("UPDATE stg_measure_values SET value = -1 WHERE year IN (2019, 2020)")
        con.execute("UPDATE raw_population SET population = -1 WHERE partition_year IN (2019, 2020)")
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'indicator_%' "
            "AND table_name NOT LIKE 'indicator_values%'"
        ).fetchall():
            con.execute(f"UPDATE \"{table}\" SET vintage = 'tampered' WHERE year IN (2019, 2020)")
    assert _materialize_year(run_copy, 2020).success
    after = _stg(run_copy)
    restored = after[after.year == 2020]
    pd.testing.assert_frame_equal(
        restored.reset_index(drop=True), before[before.year == 2020].reset_index(drop=True)
    )
    assert (after.loc[after.year == 2019, "value"] == -1).all()  # other years untouched
    pd.testing.assert_frame_equal(
        after[after.year.isin([2018, 2021])].reset_index(drop=True),
        before[before.year.isin([2018, 2021])].reset_index(drop=True),
    )
    with duckdb.connect(str(run_copy / "warehouse.duckdb"), read_only=True) as con:
        population = con.execute(
            "SELECT partition_year, min(population) FROM raw_population GROUP BY 1"
        ).fetchall()
        tampered = con.execute(
            "SELECT year, count(*) FILTER (vintage = 'tampered'), count(*) FROM indicator_values "
            "WHERE year IN (2019, 2020) GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert dict(population)[2019] == -1 and dict(population)[2020] > 0
    # the indicators follow the run's years too: 2020 recomputed, 2019 left as it was
    (y2019, tampered_2019, rows_2019), (y2020, tampered_2020, rows_2020) = tampered
    assert (y2019, y2020) == (2019, 2020)
    assert tampered_2019 == rows_2019 > 0 and tampered_2020 == 0 and rows_2020 == rows_2019


def test_a_failed_replacement_leaves_the_previous_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    old = pd.DataFrame({"year": [2019, 2020], "value": [1.0, 2.0]})
    replace_rows(con, "t", old, "year", None)
    broken = pd.DataFrame({"year": [2020], "value": ["not a number"]})
    with pytest.raises(duckdb.Error):
        replace_rows(con, "t", broken, "year", [2020])
    assert con.execute("SELECT * FROM t ORDER BY year").fetchall() == [(2019, 1.0), (2020, 2.0)]


def test_a_process_killed_mid_transaction_leaves_the_previous_state(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (2019, 1.0), (2020, 2.0)) v(year, value)")
    script = textwrap.dedent(
        f"""
        import os, signal, duckdb
        con = duckdb.connect({str(path)!r})
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM t WHERE year = 2020")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert subprocess.run([sys.executable, "-c", script]).returncode == -9
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT * FROM t ORDER BY year").fetchall() == [(2019, 1.0), (2020, 2.0)]


def _schedule(name: str, when: dt.datetime):
    from pipelines.definitions import defs

    schedule = defs.get_repository_def().get_schedule_def(name)
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    return schedule, list(schedule.evaluate_tick(context).run_requests or []), schedule.evaluate_tick(context)


def test_june_schedule_runs_last_years_final_figures() -> None:
    schedule, requests, _ = _schedule("kostra_final_figures", dt.datetime(2025, 6, 16, 7, tzinfo=OSLO))
    assert schedule.execution_timezone == "Europe/Oslo" and schedule.cron_schedule == "0 7 16 6 *"
    assert [r.run_config["resources"]["reporting"]["config"] for r in requests] == [
        {"years": [2024], "figures": "final"}
    ]
    assert requests[0].tags["bolig/figures"] == "final"


def test_march_schedule_marks_preliminary_and_unknown_years_are_skipped() -> None:
    schedule, requests, _ = _schedule("kostra_preliminary_figures", dt.datetime(2025, 3, 16, 7, tzinfo=OSLO))
    assert schedule.cron_schedule == "0 7 16 3 *"
    config = requests[0].run_config["resources"]["reporting"]["config"]
    assert config == {"years": [2024], "figures": "preliminary"}
    _, requests, tick = _schedule("kostra_preliminary_figures", dt.datetime(2027, 3, 16, 7, tzinfo=OSLO))
    assert requests == [] and "2026 is not a reporting year yet" in tick.skip_message


@pytest.mark.slow  # runs the whole pipeline again
def test_preliminary_run_marks_only_that_years_values(run_copy: Path) -> None:
    assert _materialize_year(run_copy, 2024, "preliminary").success
    values = pd.read_parquet(run_copy / "exports/public/latest/indicator_values.parquet")
    shown = values[values.status == "shown"]
    assert shown.loc[shown.year == 2024, "preliminary"].all()
    assert not shown.loc[shown.year < 2024, "preliminary"].any()


def test_quality_rules_catch_what_they_should(run_copy: Path) -> None:
    cat = load_catalogue()
    with duckdb.connect(str(run_copy / "warehouse.duckdb")) as con:
        assert rules.negative_counts(con, cat).empty and rules.implausible_values(con, cat).empty
        con.execute(
            "UPDATE stg_measure_values SET value = -5 "
            "WHERE measure_id = 'municipal_dwellings' AND geo_code = '0301'"
        )
        con.execute(
            "DELETE FROM stg_measure_values WHERE measure_id = 'new_applications' AND geo_code = '1103'"
        )
        con.execute(
            "UPDATE indicator_values SET value = 140 "
            "WHERE indicator_id = 'KOSAndeltilgjeng0000' AND geo_code = '03'"
        )
        assert set(rules.negative_counts(con, cat).geo_code) == {"0301"}
        missing = rules.missing_municipality_years(con, cat)
        assert set(missing.kommunenr) == {"1103"} and len(missing) == len(cat.settings.years)
        assert set(rules.implausible_values(con, cat).problem) == {"above 100.0"}
        assert rules.yearly_jumps(con, cat).empty  # no jump worth a look in the demo data
        con.execute(
            "UPDATE indicator_values SET value = value * 3, numerator = numerator * 3 "
            "WHERE indicator_id = 'KOStotnatt0000' AND geo_code = 'EAK' AND year = 2019"
        )
        jumps = rules.yearly_jumps(con, cat)
        # tripled nationally in 2019: a jump up in 2019 and back down in 2020, nothing else
        assert set(zip(jumps.indicator_id, jumps.geo_code, jumps.year, strict=True)) == {
            ("KOStotnatt0000", "EAK", 2019), ("KOStotnatt0000", "EAK", 2020)
        }
        con.execute(
            "UPDATE indicator_values SET value = value + 5, numerator = numerator + 5 "
            "WHERE indicator_id = 'KOStotnatt0000' AND geo_level = 'fylke' AND year = 2021"
        )
        # +5 people in a county is large in per cent somewhere, but within chance everywhere
        assert not (rules.yearly_jumps(con, cat).year == 2021).any()


def test_blocking_and_warning_checks_are_declared() -> None:
    from pipelines.checks.assets import quality_checks
    from pipelines.indicators.assets import indicator_assets

    specs = {spec.name: spec for check in quality_checks for spec in check.check_specs}
    for name in ("every_municipality_every_year", "no_negative_counts", "codes_valid_in_their_year"):
        assert specs[name].blocking, name
    catalogue = load_catalogue()
    per_indicator = {key.asset_key.path[-1]: {} for a in indicator_assets for key in a.check_keys}
    assert set(per_indicator) == {f"indicator_{i}" for i in catalogue.indicators}
    for asset in indicator_assets:
        checks = {spec.name: spec for spec in asset.check_specs}
        assert checks["values_within_declared_range"].blocking
        assert checks["no_large_yearly_jumps"].blocking is False


def test_all_years_is_one_unpartitioned_run(pipeline_run: Path) -> None:
    from pipelines.definitions import defs

    graph = defs.get_repository_def().asset_graph
    assert all(a.partitions_def is None for a in graph.assets_defs)  # "Materialize all" is one run
    # and the one run of the shared fixture (materialize_all) published every reporting year
    staged = pd.read_parquet(pipeline_run / "exports/public/latest/indicator_values.parquet")
    assert sorted(staged.year.unique()) == load_catalogue().settings.years
