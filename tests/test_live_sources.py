"""A full pipeline run in live mode against a local replay of Statistics Norway's StatBank, then
offline from the cache, then with a failing server and the stale fallback. No internet."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.direct import run_all
from pipelines.paths import DEMO_DIR, REFERENCE_DIR
from pipelines.resources import SourceSettings
from pipelines.ssb.http import HttpError
from tests.ssb_fake_server import FakeResponse, FakeSSB, jsonstat_07459, jsonstat_dataset

POPULATION_UPDATED = "2025-02-25T07:00:00Z"
KOSTRA_UPDATED = "2025-06-16T06:00:00Z"
KOSTRA_CONTENTS = {
    "KOStotmidlbo0000": "temporary_accommodation_households",
    "KOSmidlbobarn0000": "temporary_accommodation_with_children",
    "KOStotnatt0000": "night_shelter_households",
    "KOSantnyinnflytt0000": "newly_housed_households",
    "KOSnyinnflyttfly0000": "newly_housed_refugees",
    "KOSventelistetil0000": "waiting_list_adapted",
    "KOSboligpkommuna0000": "municipal_dwellings_private_allocation",
}
SYMBOLS = {"0301": ":", "1103": "..", "4601": "."}  # municipalities SSB sends a symbol for


def population_table() -> dict:
    population = pd.read_csv(REFERENCE_DIR / "population_municipality_2024borders.csv", dtype={"code": str})
    frame = pd.DataFrame(
        {
            "Region": "K-" + population["code"],
            "Tid": population["year"].astype(str),
            "value": population["population"].round(),
        }
    )
    extra = pd.DataFrame({"Region": ["K-21-22", "K-23"], "Tid": ["2024", "2024"], "value": [2600, 0]})
    return jsonstat_07459(pd.concat([frame, extra], ignore_index=True), updated=POPULATION_UPDATED)


def kostra_table() -> dict:
    demo = pd.read_csv(DEMO_DIR / "kostra_form13.csv", dtype={"kommunenr": str})
    demo = demo[demo.year == 2024]
    rows = []
    for code, column in KOSTRA_CONTENTS.items():
        for kommunenr, value in zip(demo.kommunenr, demo[column], strict=True):
            symbol = SYMBOLS.get(kommunenr)
            rows.append((kommunenr, code, "2024", None if symbol else value, symbol))
        rows.append(("EAK", code, "2024", int(demo[column].sum()), None))  # the nation: not a municipality
    frame = pd.DataFrame(rows, columns=["KOKkommuneregion0000", "ContentsCode", "Tid", "value", "status"])
    return jsonstat_dataset(
        frame,
        dimensions=["KOKkommuneregion0000", "ContentsCode", "Tid"],
        table_id="12942",
        label="12942: Kommunalt disponerte boliger (KOSTRA)",
        updated=KOSTRA_UPDATED,
        role={"time": ["Tid"], "geo": ["KOKkommuneregion0000"], "metric": ["ContentsCode"]},
    )


@pytest.fixture(scope="module")
def fake_ssb():
    with FakeSSB() as fake:
        fake.add_table(population_table())
        fake.add_table(kostra_table())
        yield fake


def settings(fake: FakeSSB, cache: Path, mode: str, **extra) -> SourceSettings:
    return SourceSettings(mode=mode, statbank_base_url=fake.statbank_url, cache_dir=str(cache), **extra)


@pytest.fixture(scope="module")
def live_run(fake_ssb: FakeSSB, tmp_path_factory: pytest.TempPathFactory, reused_answers: None) -> Path:
    """A live run (answers for unchanged inputs are the shared run's, see conftest.reused_answers)."""
    base = tmp_path_factory.mktemp("live")
    run_all(base, charts=False, release="2025-06-16", sources=settings(fake_ssb, base / "cache", "live"))
    return base


def _public(base: Path) -> pd.DataFrame:
    return pd.read_parquet(base / "exports/public/latest/indicator_values.parquet")


def test_live_run_reads_population_from_statbank(live_run: Path) -> None:
    with duckdb.connect(str(live_run / "warehouse.duckdb"), read_only=True) as con:
        staged = con.execute(
            "SELECT geo_code, year, value, data_origin, source_ref, vintage FROM stg_measure_values "
            "WHERE measure_id = 'population_1_january'"
        ).df()
    reference = pd.read_csv(REFERENCE_DIR / "population_municipality_2024borders.csv", dtype={"code": str})
    joined = staged.merge(reference, left_on=["geo_code", "year"], right_on=["code", "year"])
    assert len(joined) == 357 * 11
    assert (joined.value - joined.population.round()).abs().max() == 0
    assert set(staged.data_origin) == {"ssb"} and set(staged.source_ref) == {"statbank:07459"}
    assert set(staged.vintage) == {POPULATION_UPDATED}
    assert "2122" not in set(staged.geo_code)  # Svalbard's K-21-22 is outside the municipalities


def test_ssb_symbols_arrive_as_nulls_with_their_status(live_run: Path) -> None:
    with duckdb.connect(str(live_run / "warehouse.duckdb"), read_only=True) as con:
        raw = (
            con.execute(
                "SELECT kommunenr, temporary_accommodation_households AS value, "
                "temporary_accommodation_households__status AS status "
                "FROM raw_kostra_form13 WHERE year = 2024"
            )
            .df()
            .set_index("kommunenr")
        )
        internal = (
            con.execute(
                "SELECT geo_code, status FROM indicator_values WHERE indicator_id = 'KOStotmidlbo0000' "
                "AND target_group = 'bostedslose' AND year = 2024 AND geo_level = 'kommune'"
            )
            .df()
            .set_index("geo_code")["status"]
        )
    for code, symbol in SYMBOLS.items():
        assert pd.isna(raw.loc[code, "value"]) and raw.loc[code, "status"] == symbol
    assert "EAK" not in raw.index
    assert (
        internal["0301"] == "suppressed"
        and internal["4601"] == "not_applicable"
        and internal["1103"] == "missing"
    )
    demo = pd.read_csv(DEMO_DIR / "kostra_form13.csv", dtype={"kommunenr": str}).query("year == 2024")
    expected = demo.set_index("kommunenr")["temporary_accommodation_households"]
    assert raw.loc["3201", "value"] == expected["3201"]


def test_values_carry_the_statbank_table_and_vintage(live_run: Path) -> None:
    public = _public(live_run)
    row = public[
        (public.indicator_id == "KOStotmidlbo0000") & (public.geo_level == "land") & (public.year == 2024)
    ]
    assert row.source.iloc[0] == "statbank:12942" and row.vintage.iloc[0] == KOSTRA_UPDATED
    assert row.data_origin.iloc[0] == "ssb"
    # a rate on a directorate file over StatBank's population names both, with both vintages
    rate = public[
        (public.indicator_id == "KOSfainansstartp0000") & (public.geo_level == "land") & (public.year == 2020)
    ].iloc[0]
    assert rate.source == "file:data/demo/husbanken_startlan.csv + statbank:07459"
    assert POPULATION_UPDATED in rate.vintage and "sha256:" in rate.vintage
    assert rate.data_origin == "synthetic"  # the strictest origin of its parts
    # a measure the StatBank table does not offer is missing in live mode, never zero
    dwellings = public[(public.indicator_id == "KOSboligSper10000000") & (public.geo_level == "land")]
    assert (dwellings.status == "missing").all() and dwellings.value.isna().all()


@pytest.mark.slow  # runs the whole pipeline again
def test_cache_mode_replays_offline(live_run: Path, fake_ssb: FakeSSB, tmp_path: Path) -> None:
    requests_before = len(fake_ssb.requests)
    replay = tmp_path / "replay"
    run_all(
        replay, charts=False, release="2025-06-16", sources=settings(fake_ssb, live_run / "cache", "cache")
    )
    assert len(fake_ssb.requests) == requests_before  # nothing was asked of the server
    pd.testing.assert_frame_equal(_public(replay), _public(live_run))


@pytest.mark.slow  # runs the whole pipeline again
def test_cache_mode_without_a_cached_response_fails_clearly(fake_ssb: FakeSSB, tmp_path: Path) -> None:
    with pytest.raises(
        LookupError, match=r"No cached StatBank response .*table 12942.*Run once in live mode"
    ):
        run_all(tmp_path, charts=False, sources=settings(fake_ssb, tmp_path / "empty", "cache"))


@pytest.mark.slow  # runs the whole pipeline again
def test_failing_live_calls_fail_the_run_or_fall_back_to_stale_cache(
    live_run: Path, fake_ssb: FakeSSB, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(live_run / "cache", cache)
    path = fake_ssb.statbank_path("07459", "data")
    fast = {"retries": 1, "backoff_seconds": 0.01}
    fake_ssb.script("POST", path, *[FakeResponse(status=503)] * 50)
    try:
        with pytest.raises(HttpError, match="07459"):
            run_all(tmp_path / "strict", charts=False, sources=settings(fake_ssb, cache, "live", **fast))
        run_all(
            tmp_path / "stale",
            charts=False,
            release="2025-06-16",
            sources=settings(fake_ssb, cache, "live", allow_stale=True, **fast),
        )
    finally:
        fake_ssb._queues[("POST", path)].clear()  # leave the server as other tests expect it
    public = _public(tmp_path / "stale")
    rate = public[(public.indicator_id == "KOSfainansstartp0000") & (public.status == "shown")]
    assert len(rate) and rate.stale.all()
    counts = public[(public.indicator_id == "KOStotnatt0000") & (public.status == "shown")]
    assert not counts.stale.any()


def test_statbank_timeout_retries_and_backoff_come_from_the_environment(monkeypatch, tmp_path) -> None:
    from pipelines.resources import build_resources

    monkeypatch.setenv("BOLIG_STATBANK_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "2")
    monkeypatch.setenv("BOLIG_STATBANK_BACKOFF_SECONDS", "0.5")
    sources = build_resources(tmp_path)["sources"]
    assert (sources.timeout_seconds, sources.retries, sources.backoff_seconds) == (7.5, 2, 0.5)
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "two")
    with pytest.raises(ValueError, match="BOLIG_STATBANK_RETRIES='two': expected a whole number"):
        build_resources(tmp_path)
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "2")
    monkeypatch.setenv("BOLIG_STATBANK_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValueError, match="BOLIG_STATBANK_TIMEOUT_SECONDS='0': expected a number above 0"):
        build_resources(tmp_path)
