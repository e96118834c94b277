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
