"""File drops through the whole pipeline: loaded or quarantined, idempotent, key-exact, sensed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.resources import build_resources

HEADER = "kommunenr;år;antall_startlan;startlan_kr;barnefamilier;unge\n"


def _drop(inbox: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder = inbox / "husbanken_startlan"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture()
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    monkeypatch.setenv("BOLIG_INBOX_DIR", str(folder))
    return folder


# Everything but the drawing steps: they read the public release only, so they add time here, not
# coverage of the inbox.
EXPORTS = dg.AssetSelection.from_string("not group:publication")


def _materialize(base: Path, selection: str | dg.AssetSelection = EXPORTS) -> dg.ExecuteInProcessResult:
    from pipelines.materialize import materialize_all

    return materialize_all(
        base, resources=build_resources(base, release="2030-01-01"), selection=selection, raise_on_error=False
    )


def _staged(base: Path, measure: str, code: str, year: int) -> tuple[float, str]:
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT value, source_ref FROM stg_measure_values "
            "WHERE measure_id = ? AND geo_code = ? AND year = ?",
            [measure, code, year],
        ).fetchall()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.slow  # runs the whole pipeline again
@pytest.mark.usefixtures("reused_answers")  # the shared run's answers: only what changed is solved
def test_a_dropped_file_flows_to_the_outputs_and_bad_rows_are_quarantined(
    inbox: Path, tmp_path: Path
) -> None:
    _drop(
        inbox,
        "startlan_2023.csv",
        HEADER
        + "0301;2023;1 234;2 500 000 000;600;500\n"  # Oslo, thousands with a space
        + "219;2019;77;150 000 000;30;20\n"  # Bærum under its 2019 code, without the leading zero
        + "9998;2023;5;1 000 000;1;1\n"  # no such municipality
        + "4601;2023;-3;1 000 000;1;1\n",  # a negative count
    )
    base = tmp_path / "out"
    result = _materialize(base)
    assert result.success  # quarantine does not stop the run …
    checks = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    check = checks["inbox_husbanken_startlan"]
    assert not check.passed  # … but the check fails visibly
    assert check.metadata["quarantined_entries"].value == 2
    assert _staged(base, "start_loans", "0301", 2023) == (
        1234.0,
        "file:inbox/husbanken_startlan/startlan_2023.csv",
    )
    assert _staged(base, "start_loans", "3201", 2019)[0] == 77.0  # harmonised to 2024 borders in staging
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT geo_code FROM inbox_values WHERE year = 2019").fetchall()
    assert set(stored) == {("0219",)}  # … and stored under the code the file gave
    untouched = _staged(base, "start_loans", "0301", 2022)
    assert untouched[1] == "file:data/demo/husbanken_startlan.csv"
    materialization = result.asset_materializations_for_node("inbox_husbanken_startlan")[0]
    files = materialization.metadata["files"].value
    counts = {k: files["startlan_2023.csv"][k] for k in ("status", "read", "loaded", "quarantined")}
    assert counts == {"status": "loaded", "read": 4, "loaded": 2, "quarantined": 2}
    assert "no export date" in files["startlan_2023.csv"]["notes"][0]  # Husbanken exports are dated
    quarantine = pd.read_parquet(base / "exports/internal/quarantine.parquet")
    reasons = dict(zip(quarantine["row"], quarantine["reason"], strict=True))
    assert quarantine["sheet"].isna().all()  # a CSV has no sheets; an Excel row names its sheet here
    assert "9998" in reasons[4] and "negative" in reasons[5].lower()
    public = pd.read_parquet(base / "exports/public/latest/indicator_values.parquet")
    oslo = public[
        (public.indicator_id == "startlan_per_1000") & (public.geo_code == "0301") & (public.year == 2023)
    ]
    assert oslo[oslo.target_group == "alle"].numerator.item() == 1234.0


@pytest.mark.slow  # runs the pipeline up to staging
def test_pre_merger_codes_are_stored_as_reported_and_harmonised_in_staging(
    inbox: Path, tmp_path: Path
) -> None:
    """Asker, Røyken and Hurum (2019) became 3025 Asker in 2020 and 3203 Asker in 2024: the ledger
    keeps the file's codes, the staged table has the 2024 municipality with their sum."""
    _drop(inbox, "asker_2019.csv", HEADER + "0220;2019;40;80000000;10;9\n0627;2019;11;20000000;3;2\n"
          "0628;2019;7;9000000;1;1\n")  # fmt: skip
    base = tmp_path / "out"
    # the staged table and what it needs (the multi-asset of reference geography comes whole)
    staging = dg.AssetSelection.assets("stg_measure_values").upstream().required_multi_asset_neighbors()
    assert _materialize(base, staging).success
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT geo_code, year, value FROM inbox_values WHERE column_name = 'start_loans' ORDER BY ALL"
        ).fetchall()
        old_codes = con.execute(
            "SELECT count(*) FROM stg_measure_values WHERE geo_code IN ('0220', '0627', '0628', '3025')"
        ).fetchone()[0]
    assert stored == [("0220", 2019, 40.0), ("0627", 2019, 11.0), ("0628", 2019, 7.0)]
    asker = _staged(base, "start_loans", "3203", 2019)
    assert asker == (58.0, "file:inbox/husbanken_startlan/asker_2019.csv")
    assert _staged(base, "start_loans_nok", "3203", 2019)[0] == 109_000_000
    assert old_codes == 0
    assert _staged(base, "start_loans", "3203", 2020)[1] == "file:data/demo/husbanken_startlan.csv"


@pytest.mark.slow  # runs the whole pipeline again
@pytest.mark.usefixtures("reused_answers")  # the shared run's answers: only what changed is solved
def test_same_file_again_changes_nothing_and_a_corrected_file_replaces_its_own_values(
    inbox: Path, tmp_path: Path
) -> None:
    original = HEADER + "0301;2023;1234;2500000000;600;500\n1103;2023;300;600000000;150;120\n"
    _drop(inbox, "startlan.csv", original)
    base = tmp_path / "out"
    assert _materialize(base).success
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        before = con.execute("SELECT * FROM inbox_values ORDER BY ALL").fetchall()
        files_before = con.execute("SELECT * FROM inbox_files").fetchall()
    result = _materialize(base, "inbox_husbanken_startlan")
    assert result.asset_materializations_for_node("inbox_husbanken_startlan")[0].metadata["files"].value == {
        "startlan.csv": {"status": "unchanged", "read": 0, "loaded": 0, "quarantined": 0}
    }
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT * FROM inbox_values ORDER BY ALL").fetchall() == before
        assert con.execute("SELECT * FROM inbox_files").fetchall() == files_before
    # A corrected file for Oslo only: Oslo's value changes; Stavanger's, which the file no longer
    # contains, is removed, so the base source's value is back.
    _drop(inbox, "startlan.csv", HEADER + "0301;2023;1300;2600000000;610;510\n")
    assert _materialize(base, "inbox_husbanken_startlan+").success
    assert _staged(base, "start_loans", "0301", 2023)[0] == 1300.0
    assert _staged(base, "start_loans", "1103", 2023)[1] == "file:data/demo/husbanken_startlan.csv"


@pytest.mark.slow  # runs the whole pipeline again
def test_a_file_that_cannot_be_read_fails_its_asset_naming_the_file(inbox: Path, tmp_path: Path) -> None:
    _drop(inbox, "tom.csv", "")
    result = _materialize(tmp_path / "out", "inbox_husbanken_startlan")
    assert not result.success
    failure = result.get_step_failure_events()[0]
    error = failure.event_specific_data.error
    assert "tom.csv: is empty" in error.to_string()


def test_sensor_launches_exactly_the_affected_assets(inbox: Path, tmp_path: Path) -> None:
    from pipelines.definitions import defs
    from pipelines.inbox.assets import inbox_sensor

    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    assert list(inbox_sensor(context)) == []  # nothing dropped yet
    _drop(inbox, "startlan.csv", HEADER + "0301;2023;1234;2500000000;600;500\n")
    context = dg.build_sensor_context(
        instance=instance, repository_def=defs.get_repository_def(), cursor=context.cursor
    )
    requests = list(inbox_sensor(context))
    assert len(requests) == 1
    keys = {k.to_user_string() for k in requests[0].asset_selection}
    assert "inbox_husbanken_startlan" in keys and "stg_measure_values" in keys and "public_release" in keys
    assert not any(k.startswith("inbox_") and k != "inbox_husbanken_startlan" for k in keys)
    assert "raw_population" not in keys  # upstream sources are not re-run
    cursor = json.loads(context.cursor)
    assert "startlan.csv" in cursor["inbox_husbanken_startlan"]
    again = dg.build_sensor_context(
        instance=instance, repository_def=defs.get_repository_def(), cursor=context.cursor
    )
    assert list(inbox_sensor(again)) == []  # unchanged files: no new run
    shutil.rmtree(inbox)


@pytest.mark.slow  # runs the whole pipeline again
@pytest.mark.usefixtures("reused_answers")  # the shared run's answers: only what changed is solved
def test_record_level_files_are_aggregated_into_the_measures(inbox: Path, tmp_path: Path) -> None:
    from pipelines.direct import run_all
    from pipelines.records.aggregate import aggregate_bostotte, aggregate_startlan
    from pipelines.records.generate import write_bostotte_records, write_startlan_records

    loans = inbox / "husbanken_startlan_records" / "startlan_2023.parquet"
    allowance = inbox / "husbanken_bostotte_records" / "bostotte_2023.csv"
    loans.parent.mkdir(parents=True)
    allowance.parent.mkdir(parents=True)
    write_startlan_records(loans, years=[2023])
    write_bostotte_records(allowance, years=[2023], scale=0.02, format="csv")
    base = tmp_path / "out"
    run_all(base, charts=False, release="2030-01-01")
    with duckdb.connect() as con:
        expected_loans = aggregate_startlan(con, str(loans)).aggregates.set_index("kommunenr")
        expected_allowance = aggregate_bostotte(con, str(allowance)).aggregates.set_index("kommunenr")
    value, source = _staged(base, "start_loans", "0301", 2023)
    assert value == expected_loans.loc["0301", "start_loans"]
    assert source == "file:inbox/husbanken_startlan/husbanken_startlan_records/startlan_2023.parquet"
    unique, _ = _staged(base, "bostotte_unique_households", "4601", 2023)
    assert unique == expected_allowance.loc["4601", "bostotte_unique_households"]
    december, _ = _staged(base, "bostotte_households", "4601", 2023)
    assert december == expected_allowance.loc["4601", "bostotte_households_december"] <= unique
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        files = con.execute(
            "SELECT file, rows_read, rows_loaded, rows_quarantined FROM inbox_files"
        ).fetchall()
    for _file, read, loaded, quarantined in files:
        assert read == loaded + quarantined and read > 0


@pytest.mark.slow  # runs the inbox asset in a Dagster run
def test_an_unreadable_file_fails_the_asset_after_the_others_are_loaded_and_skips_are_reported(
    inbox: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _drop(inbox, "tom.csv", "")
    _drop(inbox, "god.csv", HEADER.replace("antall_startlan;startlan_kr;barnefamilier;unge", "start_loans")
          + "0301;2023;1300\n")  # fmt: skip
    _drop(inbox, "~$utkast.xlsx", "lock")
    _drop(inbox, "gammel.xls", "old")
    result = _materialize(tmp_path / "out", "inbox_husbanken_startlan")
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "tom.csv: is empty" in failure.event_specific_data.error.to_string()
    files = failure.event_specific_data.user_failure_data.metadata["files"].data
    assert files["god.csv"]["status"] == "loaded" and files["god.csv"]["loaded"] == 1
    assert files["tom.csv"]["status"] == "unreadable"
    assert files["~$utkast.xlsx"]["status"] == files["gammel.xls"]["status"] == "skipped"
    warnings = [line for line in capfd.readouterr().err.splitlines() if " - WARNING - " in line]
    assert any("~$utkast.xlsx: skipped: an Office lock file" in w for w in warnings), warnings
    assert any("gammel.xls: skipped: is an Excel 97-2003 workbook" in w for w in warnings)
    assert any("tom.csv: unreadable: is empty" in w for w in warnings)
    with duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT file FROM inbox_files WHERE source_id = 'husbanken_startlan'").fetchall()
    assert loaded == [("god.csv",)]
