"""The public release: typed star schema, JSON-stat, DuckDB views, atomic and idempotent releases, QC."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from jsonstat_validator import validate_jsonstat
from pyjstat import pyjstat

from pipelines.catalogue import load_catalogue
from pipelines.exports import origin
from pipelines.exports import release as release_module
from pipelines.exports.parquet import BI_SAFE_TYPES
from pipelines.exports.public import SPREADSHEETS_ENV, publish_public
from pipelines.exports.release import MANIFEST, build_stamp, content_digest, publish, releases, work_dir
from pipelines.formatting import round_half_up
from pipelines.ssb.jsonstat import decode
from pipelines.warehouse import connect

PUBLIC = Path("exports/public")
STAR = {
    "indicator_values", "goal_attainment", "goal_rollup", "dim_indicator", "dim_indicator_target_group",
    "dim_goal", "dim_target_group", "bridge_indicator_goal", "dim_geography", "dim_year",
    "finding_verdicts", "finding_tests", "priority_trends",
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
    stamp = build_stamp(dt.datetime.fromisoformat(manifest["built_at"]))
    digest = content_digest(public / "latest", stamp)
    assert manifest["content_sha256"] == digest == content_digest(public / dated, stamp)
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
    population = load_catalogue().sources["population"]
    assert credits["population"]["credit_nb"] == f"Kilde: {population.producer_nb} – {population.name_nb}"
    for credit in credits.values():  # invented figures are never credited to SSB or a directorate
        if "synthetic" in credit["data_origin"]:
            assert credit["credit_nb"].startswith(origin.SYNTHETIC_NB + " (viser formen til: ")
            assert credit["credit_en"].startswith(origin.SYNTHETIC_EN + " (standing in for: ")
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


def test_jsonstat_files_parse_back_to_the_parquet_rounded(pipeline_run: Path) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    cat = load_catalogue()
    values = pd.read_parquet(latest / "indicator_values.parquet")
    manifest = json.loads((latest / "release.json").read_text())
    files = sorted((latest / "jsonstat" / "nb").glob("*.json"))
    assert {f.stem for f in files} == set(values.indicator_id)
    assert {f.stem for f in (latest / "jsonstat" / "en").glob("*.json")} == set(values.indicator_id)
    symbols = {"shown": None, "missing": "..", "not_applicable": ".", "suppressed": ":"}
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        english = json.loads((latest / "jsonstat" / "en" / path.name).read_text(encoding="utf-8"))
        assert document["version"] == "2.0" and document["class"] == "dataset"
        decoded = decode(document)[0].rename(
            columns={"Region": "geo_code", "Tid": "year", "Maalgruppe": "target_group"}
        )
        decoded["year"] = decoded["year"].astype(int)
        expected = values[values.indicator_id == path.stem]
        merged = expected.merge(decoded, on=["geo_code", "year", "target_group"], suffixes=("", "_json"))
        assert len(merged) == len(expected) == len(decoded)
        shown = merged.status == "shown"
        decimals = cat.indicators[path.stem].decimals
        rounded = [round_half_up(v, decimals) for v in merged.loc[shown, "value"]]
        assert rounded == merged.loc[shown, "value_json"].astype(float).tolist(), path.name
        assert merged.loc[~shown, "value_json"].isna().all()
        assert (merged["status"].map(symbols).fillna("") == merged["status_json"].fillna("")).all()
        assert document["extension"]["synthetic"] is True
        assert document["updated"] == build_stamp(dt.datetime.fromisoformat(manifest["built_at"]))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["updated"])
        # the English file: the same codes and numbers, English labels
        assert english["value"] == document["value"] and english["status"] == document["status"]
        assert english["dimension"]["Tid"]["label"] == "year"
        assert (
            english["dimension"]["ContentsCode"]["category"]["label"][path.stem]
            == cat.indicators[path.stem].name_en
        )
        for lang, doc in (("nb", document), ("en", english)):
            groups = doc["dimension"]["Maalgruppe"]["category"]["label"]
            assert groups == {g: getattr(cat.target_groups[g], f"name_{lang}") for g in groups}
            assert validate_jsonstat(doc)


# pyjstat 2.4's documented Dataset.read(...).write("dataframe") calls its own deprecated
# from_json_stat inside and warns; nothing of ours to change, so only that warning is ignored
@pytest.mark.filterwarnings("ignore:Shouldn't use this function anymore:DeprecationWarning")
def test_jsonstat_reads_in_pyjstat_with_names_not_codes(pipeline_run: Path) -> None:
    """A data journalist's pyjstat gets a table with names and rounded numbers, in either language."""
    latest = pipeline_run / PUBLIC / "latest"
    cat = load_catalogue()
    indicator = next(i for i in cat.indicators.values() if "barnefamilier" in i.target_groups)
    for lang in ("nb", "en"):
        text = (latest / "jsonstat" / lang / f"{indicator.id}.json").read_text(encoding="utf-8")
        frame = pyjstat.Dataset.read(text).write("dataframe")
        group_column = "målgruppe" if lang == "nb" else "target group"
        assert getattr(cat.target_groups["barnefamilier"], f"name_{lang}") in set(frame[group_column])
        shown = frame["value"].dropna()
        assert (shown == shown.map(lambda v: round_half_up(v, indicator.decimals))).all()


# --- no invented figure is credited to a real source -----------------------------------------------

# Who the catalogue credits; none of them may be named as a source of synthetic figures.
CREDITED = re.compile(
    r"\b(SSB|Statistisk sentralbyrå|Statistics Norway|Husbanken|IMDi|Helsedirektoratet|NIBR|KoRus"
    r"|[Pp]olitiet)\b"
)
SYNTHETIC_MARKS = (
    origin.SYNTHETIC_NB,
    origin.SYNTHETIC_EN,
    origin.PARTLY_SYNTHETIC_NB,
    origin.PARTLY_SYNTHETIC_EN,
)
CREDIT_NAME = re.compile(r"source|kilde|credit|utgiver|publisher|^note$", re.IGNORECASE)
CREDIT_WORD = re.compile(r"kilde|source|credit|utgiver|publisher|tallene|figures", re.IGNORECASE)
# True credits: the geography (borders, KLASS codes, population for the size bands) is SSB's real data.
TRUE_CREDITS = {("dim_geography.parquet", "source")}


# A Table Schema's field list (datapackage.json) describes columns («the name as Statistics Norway
# writes it»), it credits no one: left out, like the descriptions in the Parquet field metadata.
COLUMN_DESCRIPTIONS = "fields"


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == COLUMN_DESCRIPTIONS:
                continue
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _real_sources() -> tuple[str, ...]:
    """Names of the sources whose figures are real in every run (declared ``data_origin: ssb``, such as
    SSB's population): a text naming one of them is a true credit, synthetic run or not."""
    real = [s for s in load_catalogue().sources.values() if s.data_origin == "ssb"]
    return tuple(name for s in real for name in (s.name_nb, s.name_en))


def published_credit_texts(folder: Path):
    """(where, text) for every text in a release that could credit a source, read by file suffix:
    Parquet schema metadata and string columns named like a credit (source*, kilde*, note), every
    string in a JSON file (JSON-stat source, label, note, extension …; release.json), every cell
    of a spreadsheet and every line of a text file (.sql, .md, .csv, .txt) that uses a credit word."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        where, suffix = str(path.relative_to(folder)), path.suffix.lower()
        if suffix == ".parquet":
            for key, value in (pq.read_schema(path).metadata or {}).items():
                name = key.decode()
                if CREDIT_NAME.search(name) and (path.name, name) not in TRUE_CREDITS:
                    yield f"{where} metadata {name}", value.decode()
            table = pq.read_table(path)
            for field in table.schema:
                if pa.types.is_string(field.type) and CREDIT_NAME.search(field.name):
                    for value in pc.unique(table[field.name]).drop_null().to_pylist():
                        yield f"{where} column {field.name}", value
        elif suffix == ".json":
            for text in _strings(json.loads(path.read_text(encoding="utf-8"))):
                yield where, text
        elif suffix == ".xlsx":
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True)
            for number, sheet in enumerate(workbook.worksheets):
                # the front sheet whole; of an indicator sheet the lines above its table (title,
                # origin, link) and the first rows: below them are codes, names and numbers, read
                # cell by cell in tests/test_spreadsheet.py (2.6 million cells, a minute to scan here)
                for row in sheet.iter_rows(values_only=True, max_row=None if number == 0 else 12):
                    for cell in row:
                        if isinstance(cell, str):
                            yield f"{where} {sheet.title}", cell
        elif suffix in {".sql", ".md", ".csv", ".txt", ".tsv"}:
            for line in path.read_text(encoding="utf-8").splitlines():
                if CREDIT_WORD.search(line):
                    yield where, line


def false_credits(folder: Path) -> list[tuple[str, str]]:
    """Texts that name a real source without saying, in the same text, that the figures are synthetic
    (unless the text credits a source whose figures are real: :func:`_real_sources`)."""
    real = _real_sources()
    return sorted(
        {
            (where, text[:160])
            for where, text in published_credit_texts(folder)
            # a link (https://www.politiet.no/) names no one as a source; the text around it may
            if CREDITED.search(re.sub(r"https?://\S+", "", text))
            and not any(mark in text for mark in SYNTHETIC_MARKS)
            and not any(name in text for name in real)
        }
    )


def test_no_published_text_credits_a_real_source_for_synthetic_figures(pipeline_run: Path) -> None:
    latest = pipeline_run / PUBLIC / "latest"
    texts = list(published_credit_texts(latest))
    # it reads what it should: JSON-stat in both languages, dim_indicator, Parquet metadata, views.sql
    wheres = {where.split(" ")[0].split("/")[0] for where, _ in texts}
    assert {"jsonstat", "dim_indicator.parquet", "indicator_values.parquet", "views.sql"} <= wheres
    assert false_credits(latest) == []
    dim = pd.read_parquet(latest / "dim_indicator.parquet")
    assert set(dim.data_origin) == {"synthetic"}
    assert dim.source_nb.str.startswith(origin.SYNTHETIC_NB).all()


def test_the_credit_check_catches_the_old_credit(pipeline_run: Path, tmp_path: Path) -> None:
    """The guard above fails on the texts this release used to print (SSB credited for demo data)."""
    copy = tmp_path / "release"
    shutil.copytree((pipeline_run / PUBLIC / "latest").resolve(), copy)
    assert false_credits(copy) == []
    jsonstat = sorted((copy / "jsonstat" / "nb").glob("*.json"))[0]
    document = json.loads(jsonstat.read_text(encoding="utf-8"))
    document["source"] = "Kilde: Statistisk sentralbyrå (SSB) m.fl.; se dim_indicator.source_nb"
    jsonstat.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    cat = load_catalogue()
    dim = pq.read_table(copy / "dim_indicator.parquet")
    old = [cat.indicators[i].source_nb for i in dim.column("indicator_id").to_pylist()]
    pq.write_table(dim.set_column(dim.schema.get_field_index("source_nb"), "source_nb", pa.array(old)),
                   copy / "dim_indicator.parquet")  # fmt: skip
    values = pq.read_table(copy / "indicator_values.parquet")
    pq.write_table(values.replace_schema_metadata({b"source": b"Kilde: Husbanken"}),
                   copy / "indicator_values.parquet")  # fmt: skip
    (copy / "README.md").write_text("Kilde: IMDi\n", encoding="utf-8")
    found = {where.split(" ")[0] for where, _ in false_credits(copy)}
    assert found == {
        f"jsonstat/nb/{jsonstat.name}",
        "dim_indicator.parquet",
        "indicator_values.parquet",
        "README.md",
    }


def test_source_text_is_true_for_every_mix_of_origins() -> None:
    real = "Statistisk sentralbyrå (SSB), KOSTRA"
    assert origin.source_text(real, {"ssb": 10}) == real
    assert origin.source_text(real, {"synthetic": 10}) == f"{origin.SYNTHETIC_NB} (viser formen til: {real})"
    mixed = origin.source_text(real, {"ssb": 1200, "synthetic": 300})
    assert origin.SYNTHETIC_NB in mixed and "300 av 1\u00a0500 rader" in mixed and "1\u00a0200 rader" in mixed
    assert origin.SYNTHETIC_EN in origin.source_text(real, {"file": 1, "synthetic": 1}, "en")
    both = origin.source_text(real, {"ssb": 2, "file": 1})
    assert "2 rader fra Statistisk sentralbyrå (SSB)" in both and "1 rader fra fagdatafil" in both
    assert not CREDITED.search(origin.source_text(real, {}))  # no rows: no source named
    assert origin.label_suffix({"ssb": 1}) == ""
    counts = origin.origin_counts(["synthetic", None, "ssb", float("nan")])
    assert origin.origin_code(counts) == "ssb,synthetic"
    with pytest.raises(ValueError, match="unknown data_origin"):
        origin.origin_counts(["demo"])


@pytest.fixture()
def run_copy(pipeline_run: Path, tmp_path: Path) -> Path:
    """A copy of the shared run. Its releases are republished without the workbook and CSV files
    (the suite's setting, see conftest.py): these tests are about folders, swaps and QC, and the
    workbook is its own test file's subject (tests/test_spreadsheet.py)."""
    copy = tmp_path / "run"
    shutil.copytree(pipeline_run, copy, symlinks=True)
    return copy


@pytest.fixture()
def run_copy_as_made(run_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The copy, republished as the shared run was made: with the workbook and CSV files."""
    monkeypatch.setenv(SPREADSHEETS_ENV, "1")
    return run_copy


def _snapshot(folder: Path) -> dict[Path, tuple[bytes, int, int]]:
    """Every file's bytes, inode and modification time: "changes nothing" means none of them."""
    return {
        p.relative_to(folder): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_publishing_twice_changes_nothing(run_copy_as_made: Path) -> None:
    run_copy = run_copy_as_made
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
    def write(folder: Path, stamp: str) -> None:
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
        def dying(folder, stamp):
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
    _writer("old")(build, "")
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
    publish(public, "2026-02-01", lambda folder, stamp: shutil.copy(source, folder))
    expected = {f"{n}/indicator_values.parquet": 1 for n in ("2026-01-01", "2026-02-01", "latest")}
    assert _scans(public) == (expected, expected)  # the same folder after a publish: each once


@pytest.mark.slow  # runs the whole pipeline again
def test_qc_report_lists_changes_since_the_previous_release(run_copy: Path) -> None:
    from pipelines.direct import run_all
    from pipelines.findings.spec import load_findings_spec

    cat = load_catalogue()
    looser = dataclasses.replace(cat, suppression=cat.suppression.model_copy(update={"min_count": 4}))
    # the last indicator no evaluation finding names (findings.yaml would rightly refuse the others)
    spec = load_findings_spec(cat)
    named = {t.indicator for f in spec.findings for t in f.tests}
    named |= {s.indicator for m in spec.priority_measures for s in m.tests}
    removed = [i for i in cat.indicators if i not in named][-1]
    fewer = {i: v for i, v in looser.indicators.items() if i != removed}
    variant = dataclasses.replace(
        looser, indicators=fewer, targets=[t for t in cat.targets if t.indicator in fewer]
    )
    run_all(run_copy, variant, charts=False, release="2099-01-01")
    qc = pd.read_parquet(run_copy / "exports/internal/qc/2099-01-01.parquet")
    changes = set(qc.change)
    assert "indicator_removed" in changes and "suppression_lifted" in changes
    assert qc.loc[qc.change == "indicator_removed", "indicator_id"].tolist() == [removed]
    report = (run_copy / "exports/internal/qc/2099-01-01.md").read_text()
    assert "INTERN" in report and "Opphevede prikkinger" in report and removed in report
    dated = run_copy / PUBLIC / "2099-01-01"
    assert dated.is_dir() and not dated.is_symlink()


# --- single-column keys for BI tools (issue 21, point 4) -------------------------------------


def _read(pipeline_run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / PUBLIC / "latest" / f"{name}.parquet")


def test_geo_key_is_one_column_join_from_every_table_to_dim_geography(pipeline_run: Path) -> None:
    geography = _read(pipeline_run, "dim_geography")
    assert geography.geo_key.is_unique
    assert {"kommune:0301", "fylke:03", "land:EAK"} <= set(geography.geo_key)
    for name in ("indicator_values", "goal_attainment", "goal_rollup", "priority_trends", "dim_geography"):
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


def test_readme_lists_every_file_of_the_star_schema() -> None:
    """The file table at the top of «The public release, for BI developers» names every file; the
    columns are checked against the files in tests/test_release_dictionary.py."""
    import re

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The public release, for BI developers") :]
    table = section[: section.index("\n\n", section.index("| file |"))]
    assert set(re.findall(r"^\| `([a-z_]+)`", table, re.M)) | set(re.findall(r", `([a-z_]+)`", table)) >= STAR


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
