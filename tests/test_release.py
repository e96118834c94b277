"""The public release: typed star schema, JSON-stat, DuckDB views, atomic and idempotent releases, QC."""

from __future__ import annotations

import dataclasses
import hashlib
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
from pipelines.exports import release as release_module
from pipelines.exports.parquet import BI_SAFE_TYPES
from pipelines.exports.public import publish_public
from pipelines.exports.release import MANIFEST, content_digest, publish, releases, work_dir
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


def test_dated_copy_and_latest_are_the_same_release_in_real_folders(pipeline_run: Path) -> None:
    public = pipeline_run / PUBLIC
    assert [p for p in public.rglob("*") if p.is_symlink()] == []
    assert sorted(p.name for p in public.iterdir()) == sorted([*releases(public), "latest"])
    assert not (public / ".builds").exists() and not work_dir(public).exists()
    [dated] = releases(public)
    manifest = json.loads((public / "latest" / MANIFEST).read_text())
    assert manifest == json.loads((public / dated / MANIFEST).read_text())
    assert manifest["release"] == dated
    assert manifest["content_sha256"] == content_digest(public / "latest") == content_digest(public / dated)
    values = "indicator_values.parquet"
    assert not os.path.samefile(public / "latest" / values, public / dated / values)  # copies, not links


def test_manifest_describes_every_file_with_origin_and_licence(pipeline_run: Path) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    manifest = json.loads((latest / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["schema_version"] == "2.0"
    assert manifest["built_at"].endswith("+00:00")
    on_disk = sorted(p.relative_to(latest).as_posix() for p in latest.rglob("*") if p.is_file())
    assert sorted(f["path"] for f in manifest["files"]) == [p for p in on_disk if p != MANIFEST]
    by_path = {f["path"]: f for f in manifest["files"]}
    for path, entry in by_path.items():
        data = (latest / path).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    values = pd.read_parquet(latest / "indicator_values.parquet")
    entry = by_path["indicator_values.parquet"]
    assert entry["rows"] == len(values)
    expected = values["data_origin"].fillna("null").value_counts().to_dict()
    assert entry["data_origin"] == expected and sum(expected.values()) == len(values)
    assert by_path["dim_year.parquet"]["rows"] == len(pd.read_parquet(latest / "dim_year.parquet"))
    assert by_path["dim_year.parquet"]["data_origin"] is None
    assert by_path["views.sql"]["rows"] is None and by_path["views.sql"]["data_origin"] is None
    jsonstat = [e for p, e in by_path.items() if p.startswith("jsonstat/")]
    assert jsonstat and all(e["data_origin"] == ["synthetic"] for e in jsonstat)
    # the bundled data are synthetic, and the manifest says so
    assert manifest["synthetic"] is True and manifest["data_origin"] == ["synthetic"]
    assert "Syntetiske" in manifest["notice_nb"] and "Synthetic" in manifest["notice_en"]
    licence = manifest["licence"]
    assert licence["id"] == "CC-BY-4.0"
    credits = {c["source"]: c for c in licence["credits"]}
    assert set(credits) == set(load_catalogue().sources)
    assert credits["population"]["credit_nb"] == "Kilde: Statistisk sentralbyrå (SSB), tabell 07459"
    for credit in credits.values():  # invented figures are never credited to SSB or a directorate
        if "synthetic" in credit["data_origin"]:
            assert credit["credit_nb"].startswith("Syntetiske demodata, ikke tall fra ")
            assert "Kilde:" not in credit["credit_nb"]


def _query_views(con: duckdb.DuckDBPyConnection, views: Path) -> None:
    con.execute(views.read_text())
    counts = con.execute(
        "SELECT geo_level, count(*) FROM indicator_values_labelled WHERE year = 2024 GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert (
        dict(counts)["kommune"]
        == 357 * con.execute("SELECT count(*) FROM dim_indicator_target_group").fetchone()[0]
    )
    assert con.execute("SELECT count(*) FROM goal_rollup").fetchone()[0] > 0


def test_views_sql_lets_a_bi_developer_query_at_once(
    pipeline_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    monkeypatch.chdir(latest)
    _query_views(duckdb.connect(), latest / "views.sql")


def test_views_sql_works_from_another_folder(
    pipeline_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(duckdb.IOException):  # the control: without the setting DuckDB looks in the cwd
        _query_views(duckdb.connect(), latest / "views.sql")
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{latest}'")
    _query_views(con, latest / "views.sql")
    monkeypatch.chdir(pipeline_run)  # a folder relative to the working directory works too
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{PUBLIC / 'latest'}'")
    _query_views(con, PUBLIC / "latest" / "views.sql")


def test_views_sql_works_from_the_duckdb_cli_in_another_folder(pipeline_run: Path, tmp_path: Path) -> None:
    cli = shutil.which("duckdb")
    if cli is None:
        pytest.skip("no DuckDB CLI on PATH (pip install duckdb-cli)")
    latest = pipeline_run / PUBLIC / "latest"
    result = subprocess.run(
        [cli, "-csv", "-cmd", f"SET file_search_path = '{latest}'", "-c", f".read {latest / 'views.sql'}",
         "-c", "SELECT count(*) FROM indicator_values_labelled"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) == pq.read_metadata(latest / "indicator_values.parquet").num_rows


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


def _snapshot(folder: Path) -> dict[Path, tuple[bytes, int, int]]:
    """Every file's bytes, inode and modification time: "changes nothing" means none of them."""
    return {
        p.relative_to(folder): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_publishing_twice_changes_nothing(run_copy: Path) -> None:
    cat = load_catalogue()
    public = run_copy / PUBLIC
    [release] = releases(public)
    before = {name: _snapshot(public / name) for name in ("latest", release)}
    with connect(run_copy / "warehouse.duckdb") as con:
        dated = publish_public(con, cat, run_copy, release)
    assert dated == public / release
    assert {name: _snapshot(public / name) for name in ("latest", release)} == before
    assert sorted(p.name for p in public.iterdir()) == sorted(["latest", release])
    assert not work_dir(public).exists()


def _replace_by_a_real_copy(folder: Path) -> None:
    """What a sync tool (OneDrive, SharePoint, SMB) does: the folder comes back as a fresh copy."""
    copy = folder.with_name(folder.name + ".synced")
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    copy.rename(folder)


def _scans(public: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per file that DuckDB and Polars read from ``public/**/indicator_values.parquet``."""
    import polars as pl

    pattern = str(public / "**" / "indicator_values.parquet")
    found = duckdb.sql(
        f"SELECT filename, count(*) FROM read_parquet('{pattern}', filename = true) GROUP BY 1"
    ).fetchall()
    scanned = pl.scan_parquet(pattern, include_file_paths="filename").group_by("filename").len().collect()
    return (
        {Path(f).relative_to(public).as_posix(): n for f, n in found},
        {Path(f).relative_to(public).as_posix(): n for f, n in scanned.iter_rows()},
    )


def test_recursive_scans_see_each_release_once_after_a_sync_tool_copied_latest(run_copy: Path) -> None:
    cat = load_catalogue()
    public = run_copy / PUBLIC
    [first] = releases(public)
    with connect(run_copy / "warehouse.duckdb") as con:
        publish_public(con, cat, run_copy, "2099-01-01")
        _replace_by_a_real_copy(public / "latest")
        publish_public(con, cat, run_copy, "2099-01-02")
        # and the same content again over a synced copy: nothing to do, no error
        _replace_by_a_real_copy(public / "latest")
        publish_public(con, cat, run_copy, "2099-01-02")
    assert releases(public) == [first, "2099-01-01", "2099-01-02"]
    assert sorted(p.name for p in public.iterdir()) == sorted([first, "2099-01-01", "2099-01-02", "latest"])
    rows = pq.read_metadata(public / "latest" / "indicator_values.parquet").num_rows
    names = [first, "2099-01-01", "2099-01-02", "latest"]
    expected = {f"{name}/indicator_values.parquet": rows for name in names}
    assert _scans(public) == (expected, expected)
    latest = pq.read_schema(public / "latest" / "indicator_values.parquet").metadata[b"release"]
    assert latest == b"2099-01-02"
    assert [p for p in public.rglob("*") if p.is_symlink()] == []


def test_a_release_killed_half_way_leaves_the_previous_one_intact(run_copy: Path) -> None:
    public = run_copy / PUBLIC
    latest = public / "latest"
    previous = content_digest(latest)
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
    assert content_digest(latest) == previous
    assert not (public / "2099-01-01").exists()
    assert any(p.name.startswith(".tmp-") for p in work_dir(public).iterdir())  # the killed run's files
    manifest = json.loads((latest / MANIFEST).read_text())
    for entry in manifest["files"]:
        assert (latest / entry["path"]).exists()
    assert pq.read_table(latest / "indicator_values.parquet").num_rows > 0
    with connect(run_copy / "warehouse.duckdb") as con:  # the next publish removes the leftovers
        publish_public(con, load_catalogue(), run_copy, "2099-01-01")
    assert not work_dir(public).exists()
    assert releases(public)[-1] == "2099-01-01"


# --- the publishing mechanics on small folders (no pipeline run) --------------------------------


def _writer(text: str):
    def write(folder: Path) -> None:
        (folder / "data.csv").write_text(f"x,data_origin\n{text},synthetic\n", encoding="utf-8")
        (folder / "sub").mkdir()
        (folder / "sub" / "note.txt").write_text(text, encoding="utf-8")

    return write


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_publish_replaces_real_folders_atomically_with_or_without_exchange(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(release_module, "exchange_paths", lambda a, b: False)
    public = tmp_path / "exports" / "public"
    publish(public, "2026-01-01", _writer("1"))
    publish(public, "2026-02-01", _writer("2"))
    assert (public / "latest" / "sub" / "note.txt").read_text() == "2"
    assert (public / "2026-01-01" / "sub" / "note.txt").read_text() == "1"  # frozen
    publish(public, "2026-02-01", _writer("3"))  # the same release id again, new content: replaced
    assert (public / "2026-02-01" / "sub" / "note.txt").read_text() == "3"
    assert (public / "latest" / "sub" / "note.txt").read_text() == "3"
    assert sorted(p.name for p in public.iterdir()) == ["2026-01-01", "2026-02-01", "latest"]
    assert not (tmp_path / "exports" / ".public-work").exists()
    manifest = json.loads((public / "latest" / MANIFEST).read_text())
    [csv] = [f for f in manifest["files"] if f["path"] == "data.csv"]
    assert csv["rows"] == 1 and csv["data_origin"] == {"synthetic": 1}
    assert manifest["synthetic"] is True and manifest["licence"] is None


def test_publishing_the_same_small_release_twice_touches_no_file(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish(public, "2026-01-01", _writer("1"))
    before = {name: _snapshot(public / name) for name in ("latest", "2026-01-01")}
    publish(public, "2026-01-01", _writer("1"))
    assert {name: _snapshot(public / name) for name in ("latest", "2026-01-01")} == before
    _replace_by_a_real_copy(public / "latest")  # a sync tool's copy of the same content: kept as it is
    synced = _snapshot(public / "latest")
    publish(public, "2026-01-01", _writer("1"))
    assert _snapshot(public / "latest") == synced


def test_a_small_release_killed_half_way_leaves_latest_whole(tmp_path: Path) -> None:
    public = tmp_path / "public"
    publish(public, "2026-01-01", _writer("1"))
    before = _snapshot(public / "latest")
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from pipelines.exports.release import publish
        def dying(folder):
            (folder / "data.csv").write_text("x,data_origin\\n2,synthetic\\n", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
        publish(Path({str(public)!r}), "2026-02-01", dying)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path.cwd(), capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    assert _snapshot(public / "latest") == before
    assert sorted(p.name for p in public.iterdir()) == ["2026-01-01", "latest"]
    assert any(work_dir(public).iterdir())  # the killed run's temporary folder
    publish(public, "2026-02-01", _writer("2"))
    assert not work_dir(public).exists()
    assert (public / "latest" / "sub" / "note.txt").read_text() == "2"


def test_publish_turns_the_old_symbolic_link_layout_into_real_folders(tmp_path: Path) -> None:
    public = tmp_path / "public"
    build = public / ".builds" / "2026-01-01-abc"
    build.mkdir(parents=True)
    _writer("old")(build)
    (public / "2026-01-01").symlink_to(Path(".builds") / build.name)
    (public / "latest").symlink_to(Path(".builds") / build.name)
    (public / "2025-12-01").symlink_to(Path(".builds") / "gone")  # dangling
    publish(public, "2026-02-01", _writer("new"))
    assert sorted(p.name for p in public.iterdir()) == ["2026-01-01", "2026-02-01", "latest"]
    assert [p for p in public.rglob("*") if p.is_symlink()] == []
    assert (public / "2026-01-01" / "sub" / "note.txt").read_text() == "old"
    assert (public / "latest" / "sub" / "note.txt").read_text() == "new"


def test_the_old_layout_fails_the_recursive_scan(tmp_path: Path) -> None:
    """The control for the scan test above: with the symbolic links of the old layout, DuckDB skips
    the links (no `latest/` at all) and Polars follows them (one release read three times)."""
    public = tmp_path / "public"
    build = public / ".builds" / "b"
    build.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 1 AS x) TO '{build / 'indicator_values.parquet'}'")
    (public / "latest").symlink_to(Path(".builds") / "b")
    (public / "2026-01-01").symlink_to(Path(".builds") / "b")
    expected = {"2026-01-01/indicator_values.parquet": 1, "latest/indicator_values.parquet": 1}
    in_duckdb, in_polars = _scans(public)
    assert in_duckdb != expected and "latest/indicator_values.parquet" not in in_duckdb
    assert in_polars != expected and sum(in_polars.values()) == 3
    source = shutil.copy(build / "indicator_values.parquet", tmp_path)
    publish(public, "2026-02-01", lambda folder: shutil.copy(source, folder))
    expected = {f"{n}/indicator_values.parquet": 1 for n in ("2026-01-01", "2026-02-01", "latest")}
    assert _scans(public) == (expected, expected)  # the same folder after a publish: each once


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
    dated = run_copy / PUBLIC / "2099-01-01"
    assert dated.is_dir() and not dated.is_symlink()
