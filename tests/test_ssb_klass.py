"""KLASS client and the reference check/refresh, against a local fake KLASS (no internet)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipelines.paths import REFERENCE_DIR, REPO_ROOT
from pipelines.ssb.cache import ResponseCache
from pipelines.ssb.klass import (
    COUNTIES,
    MUNICIPALITIES,
    KlassClient,
    compare_with_reference,
    main,
    parse_years,
    refresh_reference,
)
from tests.ssb_fake_server import FakeResponse, FakeSSB

FIXTURES = Path(__file__).parent / "fixtures" / "ssb"

MUNICIPALITIES_CSV = """year,code,name,county_code,county_name
2024,0301,Oslo,03,Oslo
2024,1103,Stavanger,11,Rogaland
2024,5001,Trondheim - Tråante,50,Trøndelag - Trööndelage
2024,5006,Steinkjer,50,Trøndelag - Trööndelage
2025,0301,Oslo,03,Oslo
2025,1103,Stavanger,11,Rogaland
2025,1106,Haugesund,11,Rogaland
2025,5001,Trondheim,50,Trøndelag - Trööndelage
2025,5006,Steinkjer,50,Trøndelag - Trööndelage
"""
COUNTIES_CSV = """year,county_code,county_name
2024,03,Oslo
2024,11,Rogaland
2024,50,Trøndelag - Trööndelage
2025,03,Oslo
2025,11,Rogaland
2025,50,Trøndelag - Trööndelage
"""
COUNTIES_NOW = [("03", "Oslo"), ("11", "Rogaland"), ("50", "Trøndelag - Trööndelage"), ("99", "Uoppgitt")]


@pytest.fixture
def fake():
    with FakeSSB() as server:
        # 2024 agrees with the reference. In 2025 KLASS has 1108 (not in the reference), lacks
        # 1106 (which the reference has) and spells 5001 differently. In 2026 Steinkjer is renamed.
        server.add_klass_codes(
            MUNICIPALITIES,
            "2024-01-01",
            [
                ("0301", "Oslo"),
                ("1103", "Stavanger"),
                ("5001", "Trondheim - Tråante"),
                ("5006", "Steinkjer"),
                ("9999", "Uoppgitt"),
            ],
        )
        server.add_klass_codes(
            MUNICIPALITIES,
            "2025-01-01",
            [
                ("0301", "Oslo"),
                ("1103", "Stavanger"),
                ("1108", "Sandnes"),
                ("5001", "Trondheim - Tråante"),
                ("5006", "Steinkjer"),
                ("9999", "Uoppgitt"),
            ],
        )
        server.add_klass_codes(
            MUNICIPALITIES,
            "2026-01-01",
            [
                ("0301", "Oslo"),
                ("1103", "Stavanger"),
                ("1108", "Sandnes"),
                ("5001", "Trondheim - Tråante"),
                ("5006", "Steinkjer - Stïentje"),
                ("9999", "Uoppgitt"),
            ],
        )
        server.add_klass_codes(COUNTIES, "2024-01-01", COUNTIES_NOW)
        yield server


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "municipalities_by_year.csv").write_text(MUNICIPALITIES_CSV, encoding="utf-8")
    (folder / "counties_by_year.csv").write_text(COUNTIES_CSV, encoding="utf-8")
    return folder


def make_client(fake: FakeSSB, tmp_path: Path, mode: str = "live") -> KlassClient:
    return KlassClient(
        fake.klass_url, ResponseCache(tmp_path / "cache"), mode, retries=1, sleep=lambda _: None
    )


# Client ------------------------------------------------------------------------------------------


def test_codes_at_drops_uoppgitt_and_asks_for_json(fake, tmp_path):
    path = FakeSSB.klass_path(131, "codesAt")
    fake.route("GET", path, lambda request: _fixture_response("klass_131_codesAt_2024-01-01_excerpt.json"))
    codes = make_client(fake, tmp_path).codes_at(131, "2024-01-01")

    assert list(codes.columns) == ["code", "name", "parent_code", "level"]
    assert codes["code"].tolist() == ["0301", "1103", "5006", "5636"]
    assert "9999" not in set(codes["code"]) and "Uoppgitt" not in set(codes["name"])
    assert codes.loc[codes["code"] == "5636", "name"].item() == "Unjárga - Nesseby"
    assert codes["level"].tolist() == [1, 1, 1, 1] and codes["parent_code"].isna().all()
    request = fake.requests_to(path)[0]
    assert request.params == {"date": "2024-01-01"}
    assert request.headers["Accept"] == "application/json"


def test_codes_at_picks_the_version_valid_on_the_date_and_drops_county_99(fake, tmp_path):
    client = make_client(fake, tmp_path)
    assert "1108" in set(client.codes_at(MUNICIPALITIES, "2025-06-30")["code"])
    assert "1108" not in set(client.codes_at(MUNICIPALITIES, "2024-12-31")["code"])
    assert client.codes_at(COUNTIES, "2025-01-01")["code"].tolist() == ["03", "11", "50"]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        client.codes_at(MUNICIPALITIES, "1.1.2025")


def test_changes_parses_klass_and_treats_to_date_as_inclusive(fake, tmp_path):
    recorded = json.loads(
        (FIXTURES / "klass_104_changes_2019-01-01_2020-01-02_excerpt.json").read_text("utf-8")
    )
    fake.add_klass_changes(104, recorded["codeChanges"])
    fake.add_klass_changes(104, [(None, None, "56", "Finnmark - Finnmárku - Finmarkku", "2024-01-01")])
    client = make_client(fake, tmp_path)

    changes = client.changes(104, "2019-01-01", "2020-01-01")
    assert list(changes.columns) == ["old_code", "old_name", "new_code", "new_name", "change_occurred"]
    assert len(changes) == 5
    first = changes.iloc[0]
    assert (first.old_code, first.old_name, first.new_code, first.new_name, first.change_occurred) == (
        "01",
        "Østfold",
        "30",
        "Viken",
        "2020-01-01",
    )
    assert changes.iloc[-1].new_name == "Troms og Finnmark - Romsa ja Finnmárku - Tromssa ja Finmarkku"
    # KLASS's `to` is exclusive: a change on 1 January needs to = 2 January.
    assert fake.requests_to(FakeSSB.klass_path(104, "changes"))[0].params == {
        "from": "2019-01-01",
        "to": "2020-01-02",
    }

    assert client.changes(104, "2018-01-01", "2019-12-31").empty
    new_county = client.changes(104, "2024-01-01", "2024-01-01")
    assert new_county.iloc[0].old_code is None and new_county.iloc[0].new_code == "56"


def test_cache_mode_replays_and_refuses_unknown_requests(fake, tmp_path):
    live = make_client(fake, tmp_path).codes_at(MUNICIPALITIES, "2025-01-01")
    fake.stop()
    offline = make_client(fake, tmp_path, mode="cache")
    pd.testing.assert_frame_equal(offline.codes_at(MUNICIPALITIES, "2025-01-01"), live)
    with pytest.raises(LookupError, match="live mode"):
        offline.codes_at(MUNICIPALITIES, "2023-01-01")


# Reference comparison and refresh --------------------------------------------------------------


def test_compare_finds_added_removed_and_renamed(fake, tmp_path, reference_dir):
    diff = compare_with_reference(make_client(fake, tmp_path), reference_dir, [2024, 2025])
    assert not diff.is_empty
    by_year = {year.year: year for year in diff.years}
    assert by_year[2024].is_empty
    municipalities = by_year[2025].municipalities
    assert municipalities.added == [("1108", "Sandnes")]
    assert municipalities.removed == [("1106", "Haugesund")]
    assert municipalities.renamed == [("5001", "Trondheim", "Trondheim - Tråante")]
    assert by_year[2025].counties.is_empty

    report = diff.report()
    assert "2025: 1 renamed municipality: 5001 Trondheim → Trondheim - Tråante" in report
    assert "2025: 1 added municipality: 1108 Sandnes" in report
    assert "2025: 1 removed municipality: 1106 Haugesund" in report
    assert "No differences: 2024" in report


def test_a_year_missing_from_the_reference_is_compared_with_the_year_before(fake, tmp_path, reference_dir):
    diff = compare_with_reference(make_client(fake, tmp_path), reference_dir, [2026])
    (year,) = diff.years
    assert year.compared_with == 2025 and not year.in_reference
    report = diff.report()
    assert "2026: not in the reference yet; compared with 2025" in report
    assert "5006 Steinkjer → Steinkjer - Stïentje" in report
    assert "2026: 2 renamed municipalities" in report


def test_matching_reference_reports_agreement(fake, tmp_path, reference_dir):
    diff = compare_with_reference(make_client(fake, tmp_path), reference_dir, [2024])
    assert diff.is_empty
    assert diff.report() == "KLASS and the reference agree for 2024 (municipalities 131, counties 104)."


def test_refresh_without_write_changes_nothing(fake, tmp_path, reference_dir):
    before = {p.name: p.read_bytes() for p in reference_dir.iterdir()}
    diff = refresh_reference(make_client(fake, tmp_path), reference_dir, [2025], write=False)
    assert not diff.is_empty
    assert {p.name: p.read_bytes() for p in reference_dir.iterdir()} == before


def test_refresh_with_write_rewrites_the_csvs(fake, tmp_path, reference_dir):
    client = make_client(fake, tmp_path)
    refresh_reference(client, reference_dir, [2025, 2026], write=True)

    municipalities = (reference_dir / "municipalities_by_year.csv").read_bytes()
    assert b"\r\n" not in municipalities
    assert municipalities.decode("utf-8") == (
        "year,code,name,county_code,county_name\n"
        "2024,0301,Oslo,03,Oslo\n"
        "2024,1103,Stavanger,11,Rogaland\n"
        "2024,5001,Trondheim - Tråante,50,Trøndelag - Trööndelage\n"
        "2024,5006,Steinkjer,50,Trøndelag - Trööndelage\n"
        "2025,0301,Oslo,03,Oslo\n"
        "2025,1103,Stavanger,11,Rogaland\n"
        "2025,1108,Sandnes,11,Rogaland\n"
        "2025,5001,Trondheim - Tråante,50,Trøndelag - Trööndelage\n"
        "2025,5006,Steinkjer,50,Trøndelag - Trööndelage\n"
        "2026,0301,Oslo,03,Oslo\n"
        "2026,1103,Stavanger,11,Rogaland\n"
        "2026,1108,Sandnes,11,Rogaland\n"
        "2026,5001,Trondheim - Tråante,50,Trøndelag - Trööndelage\n"
        "2026,5006,Steinkjer - Stïentje,50,Trøndelag - Trööndelage\n"
    )
    counties = (reference_dir / "counties_by_year.csv").read_text(encoding="utf-8")
    assert counties.splitlines()[-3:] == [
        "2026,03,Oslo",
        "2026,11,Rogaland",
        "2026,50,Trøndelag - Trööndelage",
    ]
    assert not list(reference_dir.glob("*.tmp"))
    assert compare_with_reference(client, reference_dir, [2024, 2025, 2026]).is_empty


def test_refresh_refuses_a_municipality_without_its_county(fake, tmp_path, reference_dir):
    fake.add_klass_codes(COUNTIES, "2027-01-01", [("03", "Oslo"), ("11", "Rogaland")])
    fake.add_klass_codes(MUNICIPALITIES, "2027-01-01", [("0301", "Oslo"), ("5001", "Trondheim - Tråante")])
    before = (reference_dir / "municipalities_by_year.csv").read_bytes()
    with pytest.raises(ValueError, match="2027: 5001 Trondheim - Tråante"):
        refresh_reference(make_client(fake, tmp_path), reference_dir, [2027], write=True)
    assert (reference_dir / "municipalities_by_year.csv").read_bytes() == before


def test_refresh_reproduces_the_bundled_reference_byte_for_byte(tmp_path):
    """A KLASS that says what our reference says must give back exactly the same two files."""
    municipalities = pd.read_csv(
        REFERENCE_DIR / "municipalities_by_year.csv", dtype=str, keep_default_na=False
    )
    counties = pd.read_csv(REFERENCE_DIR / "counties_by_year.csv", dtype=str, keep_default_na=False)
    copy = tmp_path / "reference"
    copy.mkdir()
    for name in ("municipalities_by_year.csv", "counties_by_year.csv"):
        shutil.copy(REFERENCE_DIR / name, copy / name)
    years = sorted(int(y) for y in municipalities["year"].unique())
    with FakeSSB() as fake:
        for year in years:
            rows = municipalities[municipalities["year"] == str(year)]
            # KLASS lists codes in its own order and includes 9999; neither may matter.
            codes = [*zip(rows["code"], rows["name"], strict=True), ("9999", "Uoppgitt")][::-1]
            fake.add_klass_codes(MUNICIPALITIES, f"{year}-01-01", codes)
            county_rows = counties[counties["year"] == str(year)]
            fake.add_klass_codes(
                COUNTIES,
                f"{year}-01-01",
                zip(county_rows["county_code"], county_rows["county_name"], strict=True),
            )
        client = make_client(fake, tmp_path)
        diff = refresh_reference(client, copy, years, write=True)
    assert diff.is_empty
    for name in ("municipalities_by_year.csv", "counties_by_year.csv"):
        assert (copy / name).read_bytes() == (REFERENCE_DIR / name).read_bytes(), name


# Command line ------------------------------------------------------------------------------------


def test_parse_years():
    assert parse_years("2014-2016") == [2014, 2015, 2016]
    assert parse_years("2024") == [2024]
    assert parse_years("2014,2020-2021, 2025") == [2014, 2020, 2021, 2025]
    with pytest.raises(ValueError):
        parse_years("2025-2014")
    with pytest.raises(ValueError):
        parse_years("last year")


def test_cli_prints_report_and_writes(fake, tmp_path, reference_dir, capsys):
    arguments = ["--years", "2024-2025", "--base-url", fake.klass_url, "--cache", str(tmp_path / "cache")]
    arguments += ["--reference-dir", str(reference_dir)]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "2025: 1 added municipality: 1108 Sandnes" in output
    assert "Sandnes" not in (reference_dir / "municipalities_by_year.csv").read_text(encoding="utf-8")

    assert main([*arguments, "--write"]) == 0
    assert "Rewrote" in capsys.readouterr().out
    assert "2025,1108,Sandnes,11,Rogaland" in (reference_dir / "municipalities_by_year.csv").read_text(
        "utf-8"
    )


def test_cli_runs_as_a_module(fake, tmp_path, reference_dir):
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.ssb.klass", "--years", "2024"]
        + [
            "--base-url",
            fake.klass_url,
            "--cache",
            str(tmp_path / "cache"),
            "--reference-dir",
            str(reference_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert "KLASS and the reference agree for 2024" in completed.stdout


def _fixture_response(name: str) -> FakeResponse:
    return FakeResponse(body=(FIXTURES / name).read_bytes())
