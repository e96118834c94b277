"""The public release: typed star schema, JSON-stat, DuckDB views, atomic and idempotent releases, QC."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.exports.parquet import BI_SAFE_TYPES
from pipelines.exports.public import publish_public
from pipelines.exports.release import content_digest
from pipelines.ssb.jsonstat import decode
from pipelines.warehouse import connect

PUBLIC = Path("exports/public")
STAR = {
    "indicator_values", "goal_attainment", "goal_rollup", "dim_indicator", "dim_indicator_target_group",
    "dim_goal", "dim_target_group", "bridge_indicator_goal", "dim_geography", "dim_year",
}  # fmt: skip


def test_latest_holds_the_star_schema_with_bi_safe_types(pipeline_run: Path) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    assert {p.stem for p in latest.glob("*.parquet")} == STAR
    for path in latest.glob("*.parquet"):
        schema = pq.read_schema(path)
        for field in schema:
            assert field.type in BI_SAFE_TYPES, (path.name, field.name, field.type)
            assert not pa.types.is_dictionary(field.type)
        metadata = pq.read_metadata(path)
        assert metadata.format_version == "1.0"
        assert metadata.row_group(0).column(0).compression == "SNAPPY"
        assert schema.metadata[b"release"]
    year = pq.read_schema(latest / "indicator_values.parquet").field("year").type
    assert year == pa.int32()


def test_dated_copy_and_latest_are_the_same_release(pipeline_run: Path) -> None:
    public = pipeline_run / PUBLIC
    dated = [p for p in public.iterdir() if p.is_symlink() and p.name != "latest"]
    assert len(dated) == 1
    assert dated[0].resolve() == (public / "latest").resolve()
    manifest = json.loads((public / "latest" / "release.json").read_text())
    assert manifest["release"] == dated[0].name
    assert manifest["content_sha256"] == content_digest(public / "latest")


def test_views_sql_lets_a_bi_developer_query_at_once(
    pipeline_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    monkeypatch.chdir(latest)
    con = duckdb.connect()
    con.execute((latest / "views.sql").read_text())
    counts = con.execute(
        "SELECT geo_level, count(*) FROM indicator_values_labelled WHERE year = 2024 GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert (
        dict(counts)["kommune"]
        == 357 * con.execute("SELECT count(*) FROM dim_indicator_target_group").fetchone()[0]
    )
    assert con.execute("SELECT count(*) FROM goal_rollup").fetchone()[0] > 0


def test_jsonstat_files_parse_back_to_the_parquet(pipeline_run: Path) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    values = pd.read_parquet(latest / "indicator_values.parquet")
    files = sorted((latest / "jsonstat").glob("*.json"))
    assert {f.stem for f in files} == set(values.indicator_id)
    symbols = {"shown": None, "missing": "..", "not_applicable": ".", "suppressed": ":"}
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["version"] == "2.0" and document["class"] == "dataset"
        decoded = decode(document)[0].rename(
            columns={"Region": "geo_code", "Tid": "year", "Maalgruppe": "target_group"}
        )
        decoded["year"] = decoded["year"].astype(int)
        expected = values[values.indicator_id == path.stem]
        merged = expected.merge(decoded, on=["geo_code", "year", "target_group"], suffixes=("", "_json"))
        assert len(merged) == len(expected) == len(decoded)
        shown = merged.status == "shown"
        assert (merged.loc[shown, "value"] - merged.loc[shown, "value_json"].astype(float)).abs().max() < 1e-9
        assert merged.loc[~shown, "value_json"].isna().all()
        assert (merged["status"].map(symbols).fillna("") == merged["status_json"].fillna("")).all()
        assert document["extension"]["synthetic"] is True


@pytest.fixture()
def run_copy(pipeline_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(pipeline_run, copy, symlinks=True)
    return copy


def test_publishing_twice_changes_nothing(run_copy: Path) -> None:
    cat = load_catalogue()
    latest = run_copy / PUBLIC / "latest"
    before = {p.relative_to(latest): p.read_bytes() for p in latest.rglob("*") if p.is_file()}
    release = latest.resolve().name.rsplit("-", 1)[0]
    with connect(run_copy / "warehouse.duckdb") as con:
        build = publish_public(con, cat, run_copy, release)
    assert build == latest.resolve()
    after = {p.relative_to(latest): p.read_bytes() for p in latest.rglob("*") if p.is_file()}
    assert before == after


def test_a_release_killed_half_way_leaves_the_previous_one_intact(run_copy: Path) -> None:
    latest = run_copy / PUBLIC / "latest"
    previous = latest.resolve()
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        import pipelines.exports.public as public
        from pipelines.catalogue import load_catalogue
        from pipelines.warehouse import connect
        original, written = public.write_parquet, []
        def dying(table, path):
            written.append(path)
            if len(written) == 4:
                os.kill(os.getpid(), signal.SIGKILL)  # a hard kill, half-way through the files
            return original(table, path)
        public.write_parquet = dying
        with connect(Path({str(run_copy)!r}) / "warehouse.duckdb") as con:
            public.publish_public(con, load_catalogue(), Path({str(run_copy)!r}), "2099-01-01")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path.cwd(), capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    assert latest.resolve() == previous
    assert not (run_copy / PUBLIC / "2099-01-01").exists()
    manifest = json.loads((latest / "release.json").read_text())
    for name in manifest["files"]:
        assert (latest / name).exists()
    assert pq.read_table(latest / "indicator_values.parquet").num_rows > 0


@pytest.mark.slow  # runs the whole pipeline again
def test_qc_report_lists_changes_since_the_previous_release(run_copy: Path) -> None:
    from pipelines.direct import run_all

    cat = load_catalogue()
    looser = dataclasses.replace(cat, suppression=cat.suppression.model_copy(update={"min_count": 4}))
    fewer = dict(list(looser.indicators.items())[:-1])
    variant = dataclasses.replace(
        looser, indicators=fewer, targets=[t for t in cat.targets if t.indicator in fewer]
    )
    run_all(run_copy, variant, charts=False, release="2099-01-01")
    qc = pd.read_parquet(run_copy / "exports/internal/qc/2099-01-01.parquet")
    changes = set(qc.change)
    assert "indicator_removed" in changes and "suppression_lifted" in changes
    removed = list(cat.indicators)[-1]
    assert qc.loc[qc.change == "indicator_removed", "indicator_id"].tolist() == [removed]
    report = (run_copy / "exports/internal/qc/2099-01-01.md").read_text()
    assert "INTERN" in report and "Opphevede prikkinger" in report and removed in report
    assert os.path.islink(run_copy / PUBLIC / "2099-01-01")


# --- single-column keys for BI tools (issue 21, point 4) -------------------------------------


def _read(pipeline_run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / PUBLIC / "latest" / f"{name}.parquet")


def test_geo_key_is_one_column_join_from_every_table_to_dim_geography(pipeline_run: Path) -> None:
    geography = _read(pipeline_run, "dim_geography")
    assert geography.geo_key.is_unique
    assert {"kommune:0301", "fylke:03", "land:EAK"} <= set(geography.geo_key)
    for name in ("indicator_values", "goal_attainment", "goal_rollup", "dim_geography"):
        table = _read(pipeline_run, name)
        assert (table.geo_key == table.geo_level + ":" + table.geo_code).all(), name
        assert set(table.geo_key) <= set(geography.geo_key), name
    internal = pd.read_parquet(pipeline_run / "exports/internal/indicator_values.parquet")
    assert (internal.geo_key == internal.geo_level + ":" + internal.geo_code).all()


def test_goal_rollup_has_one_key_column_per_dimension(pipeline_run: Path) -> None:
    rollup = _read(pipeline_run, "goal_rollup")
    goals, groups = rollup[rollup.rollup_by == "goal"], rollup[rollup.rollup_by == "target_group"]
    assert len(goals) + len(groups) == len(rollup) and len(goals) and len(groups)
    assert set(goals.goal_key) <= set(_read(pipeline_run, "dim_goal").goal_key)
    assert (goals.goal_key == goals.strategy_id + ":" + goals.rollup_id).all()
    assert goals.target_group.isna().all()
    assert set(groups.target_group) == set(_read(pipeline_run, "dim_target_group").target_group)
    assert (groups.target_group == groups.rollup_id).all()
    assert groups.goal_key.isna().all()


def test_bridge_reaches_the_main_goals_through_their_sub_goals(pipeline_run: Path) -> None:
    cat = load_catalogue()
    bridge = _read(pipeline_run, "bridge_indicator_goal")
    assert not bridge.duplicated(["indicator_id", "goal_key"]).any()
    assert set(bridge.link) == {"direct", "via_subgoal"}
    declared = {(i.id, f"{r.strategy}:{r.goal}") for i in cat.indicators.values() for r in i.serves}
    direct = bridge[bridge.link == "direct"]
    assert set(zip(direct.indicator_id, direct.goal_key, strict=True)) == declared
    # every goal of dim_goal now has an indicator, main goals (H1–H3) included
    assert set(bridge.goal_key) == set(_read(pipeline_run, "dim_goal").goal_key)
    parents = {f"{s.id}:{g.id}": g.parent for s in cat.strategies.values() for g in s.goals}
    for row in bridge[bridge.link == "via_subgoal"].itertuples():
        below = _descendants(parents, row.goal_key)
        assert below and any((row.indicator_id, key) in declared for key in below), row
    # KOSboligSper10000000 is declared for bfv 1b, a priority area under H1
    h1 = bridge[(bridge.indicator_id == "KOSboligSper10000000") & (bridge.goal_key == "bfv:H1")]
    assert h1.link.tolist() == ["via_subgoal"]


def _descendants(parents: dict[str, str | None], goal_key: str) -> set[str]:
    strategy = goal_key.split(":")[0]
    found, frontier = set(), {goal_key}
    while frontier:
        frontier = {k for k, p in parents.items() if p is not None and f"{strategy}:{p}" in frontier}
        frontier = {k for k in frontier if k.startswith(f"{strategy}:")} - found
        found |= frontier
    return found


def test_bridge_keeps_a_goal_declared_and_inherited_as_direct() -> None:
    from pipelines.catalogue.models import GoalRef
    from pipelines.exports.dimensions import bridge_indicator_goal

    cat = load_catalogue()
    indicator = cat.indicators["KOSboligSper10000000"]
    both = indicator.model_copy(
        update={"serves": [GoalRef(strategy="bfv", goal="1b"), GoalRef(strategy="bfv", goal="H1")]}
    )
    bridge = bridge_indicator_goal(dataclasses.replace(cat, indicators={indicator.id: both}))
    assert sorted(zip(bridge.goal_key, bridge.link, strict=True)) == [
        ("bfv:1b", "direct"),
        ("bfv:H1", "direct"),
    ]


def _headline_problems(values: pd.DataFrame, indicator_ids: set[str]) -> list[str]:
    """What stops "filter the fact on is_headline" from giving one series per indicator."""
    headline = values[values.is_headline]
    groups = headline.groupby("indicator_id").target_group.nunique()
    problems = [f"{i}: {n} target groups" for i, n in groups.items() if n != 1]
    problems += [f"{i}: no headline rows" for i in sorted(indicator_ids - set(headline.indicator_id))]
    return problems


def test_filtering_the_fact_on_is_headline_gives_one_series_per_indicator(pipeline_run: Path) -> None:
    values = _read(pipeline_run, "indicator_values")
    dim_indicator = _read(pipeline_run, "dim_indicator")
    ids = set(dim_indicator.indicator_id)
    assert len(ids) == 34
    assert _headline_problems(values, ids) == []
    headline = values[values.is_headline][["indicator_id", "target_group"]].drop_duplicates()
    assert dict(zip(headline.indicator_id, headline.target_group, strict=True)) == dict(
        zip(dim_indicator.indicator_id, dim_indicator.headline_target_group, strict=True)
    )
    # a whole series: every row of the headline group is flagged, no other row is
    flagged = values.merge(dim_indicator[["indicator_id", "headline_target_group"]], on="indicator_id")
    assert (flagged.is_headline == (flagged.target_group == flagged.headline_target_group)).all()
    # the check catches what it guards against: filtering on "alle" loses 20 indicators, and a
    # flag on every row gives several series for the indicators with more than one group
    assert len(_headline_problems(values.assign(is_headline=values.target_group == "alle"), ids)) == 20
    assert _headline_problems(values.assign(is_headline=True), ids)


def test_dim_year_date_is_a_parquet_date_every_reader_reads_as_a_date(pipeline_run: Path) -> None:
    import datetime as dt

    import polars as pl

    path = pipeline_run / PUBLIC / "latest" / "dim_year.parquet"
    assert pq.read_schema(path).field("date").type == pa.date32()
    assert str(pq.ParquetFile(path).schema.column(1).logical_type) == "Date"
    years = pd.read_parquet(path)
    assert (years.date == [dt.date(y, 1, 1) for y in years.year]).all()
    assert duckdb.sql(f"SELECT DISTINCT typeof(date) FROM read_parquet('{path}')").fetchall() == [("DATE",)]
    assert pl.read_parquet(path).schema["date"] == pl.Date
    # date32 is the one date type allowed; timestamps (units, time zones, INT96) still are not
    assert not any(pa.types.is_timestamp(t) for t in BI_SAFE_TYPES)


def _readme_table(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after ``heading`` in README.md, as backticked names."""
    import re

    lines = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = [line for line in lines[start:] if line.startswith("|")]
    table = []
    for line in rows[2:]:
        if lines.index(line, start) != lines.index(rows[0], start) + 2 + len(table):
            break  # the first table only
        table.append(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return table


def test_readme_documents_exactly_the_published_columns_and_files() -> None:
    from pipelines.exports.parquet import INDICATOR_VALUES_SCHEMA

    documented = [name for row in _readme_table("### `indicator_values` columns") for name in row]
    assert sorted(documented) == sorted(INDICATOR_VALUES_SCHEMA.names)
    files = {name for row in _readme_table("### The public release, for BI developers") for name in row[:2]}
    assert files >= STAR


def test_without_inherited_rows_the_main_goals_have_no_indicator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure the bridge's inherited rows guard against: a report filtered on a main goal
    (Bolig for velferd H1–H3, declared by no indicator) would show nothing."""
    from pipelines.exports import dimensions

    cat = load_catalogue()
    goals = set(dimensions.dim_goal(cat).goal_key)
    assert set(dimensions.bridge_indicator_goal(cat).goal_key) == goals
    monkeypatch.setattr(dimensions, "_ancestors", lambda catalogue, strategy, goal: [])
    unreached = goals - set(dimensions.bridge_indicator_goal(cat).goal_key)
    assert {"bfv:H1", "bfv:H2", "bfv:H3"} <= unreached
