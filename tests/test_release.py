"""The public release: typed star schema, JSON-stat, DuckDB views, atomic and idempotent releases, QC."""

from __future__ import annotations

import dataclasses
import datetime as dt
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
from pipelines.demo.allocation import round_half_up
from pipelines.exports import origin
from pipelines.exports.parquet import BI_SAFE_TYPES
from pipelines.exports.public import publish_public
from pipelines.exports.release import build_stamp, content_digest
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
    stamp = build_stamp(dt.datetime.fromisoformat(manifest["built_at"]))
    assert manifest["content_sha256"] == content_digest(public / "latest", stamp)


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


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


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
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    for cell in row:
                        if isinstance(cell, str):
                            yield f"{where} {sheet.title}", cell
        elif suffix in {".sql", ".md", ".csv", ".txt", ".tsv"}:
            for line in path.read_text(encoding="utf-8").splitlines():
                if CREDIT_WORD.search(line):
                    yield where, line


def false_credits(folder: Path) -> list[tuple[str, str]]:
    """Texts that name a real source without saying, in the same text, that the figures are synthetic."""
    return sorted(
        {
            (where, text[:160])
            for where, text in published_credit_texts(folder)
            # a link (https://www.politiet.no/) names no one as a source; the text around it may
            if CREDITED.search(re.sub(r"https?://\S+", "", text))
            and not any(mark in text for mark in SYNTHETIC_MARKS)
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
